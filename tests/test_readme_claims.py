"""What the README says about CDK itself, checked against the pinned aws-cdk-lib.

`@aws-cdk/core:checkSecretUsage` (on in every test app, `tests/support.py`, and in cdk.json) makes a
`SecretValue` turned into a string (`to_string()`, an f-string) fail at synth time; it does not
stop a `SecretValue.unsafe_plain_text(...)` given to a prop that takes a `SecretValue`, nor
`unsafe_unwrap()`: both reach the template as plain text.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_ssm as ssm

from tests.support import STRICT_FLAGS

PLAIN = "plain-text-value"
ROOT = Path(__file__).resolve().parent.parent


def _stack(check_secret_usage: bool) -> cdk.Stack:
    return cdk.Stack(cdk.App(context={"@aws-cdk/core:checkSecretUsage": check_secret_usage}), "Claims")


def _template_text(stack: cdk.Stack) -> str:
    return json.dumps(cdk.assertions.Template.from_stack(stack).to_json())


def test_the_flag_is_on_in_the_test_apps_and_in_cdk_json() -> None:
    assert STRICT_FLAGS["@aws-cdk/core:checkSecretUsage"] is True
    cdk_json = json.loads((ROOT / "cdk.json").read_text())
    assert cdk_json["context"]["@aws-cdk/core:checkSecretUsage"] is True


def test_check_secret_usage_refuses_a_secret_value_turned_into_a_string() -> None:
    stack = _stack(True)
    ssm.StringParameter(stack, "Leak", string_value=cdk.SecretValue.unsafe_plain_text(PLAIN).to_string())
    with pytest.raises(RuntimeError, match=re.escape("Synthing a secret value")):
        _template_text(stack)
    # Without the flag the same code puts the value in the template.
    stack = _stack(False)
    ssm.StringParameter(stack, "Leak", string_value=cdk.SecretValue.unsafe_plain_text(PLAIN).to_string())
    assert PLAIN in _template_text(stack)


def test_check_secret_usage_lets_unsafe_plain_text_and_unsafe_unwrap_through() -> None:
    stack = _stack(True)
    secretsmanager.Secret(stack, "Secret", secret_string_value=cdk.SecretValue.unsafe_plain_text(PLAIN))
    ssm.StringParameter(stack, "Unwrapped", string_value=cdk.SecretValue.unsafe_plain_text(PLAIN).unsafe_unwrap())
    assert _template_text(stack).count(PLAIN) == 2


def _pins(name: str) -> dict[str, str]:
    lines = (ROOT / name).read_text().splitlines()
    return dict(line.split("==", 1) for line in lines if "==" in line and not line.startswith("#"))


def test_the_two_tested_points_of_the_version_ranges_are_the_ones_the_readme_names() -> None:
    readme = " ".join((ROOT / "README.md").read_text().split())
    lowest, pinned = _pins("requirements-min.txt"), _pins("requirements.txt")
    pyproject = (ROOT / "pyproject.toml").read_text()
    for package in ("aws-cdk-lib", "constructs"):
        assert f'"{package}>={lowest[package]},' in pyproject  # the lowest is the range's lower bound
        assert f"`{package}>={lowest[package]}," in readme
    assert (
        f"the lowest (`make test-min`: aws-cdk-lib {lowest['aws-cdk-lib']} and constructs {lowest['constructs']}, "
        in readme
    )
    assert f"(aws-cdk-lib {pinned['aws-cdk-lib']} and constructs {pinned['constructs']}, every test)" in readme
    makefile = (ROOT / "Makefile").read_text()
    assert "-r requirements-min.txt" in makefile
