"""No key-shaped value is ever echoed, whatever prop it was put in: not in an error, not in a
warning, not in the cloud assembly.

Every prop of every public construct and value object (the same sweep as test_wrong_inputs) gets
each key shape; every attempt is made in one app, which is then synthesized into a folder that is
searched whole, with every error message and every annotation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

import aws_cdk as cdk
import pytest

from ddsecrets_constructs import ApplicationKeySpec, DatadogManagedSecrets, DdSecretsValidationError
from tests.support import (
    API_KEY_LIMIT_CONTEXT,
    LEGACY_APP_KEY,
    LITERAL_API_KEY,
    LITERAL_APP_KEY,
    RAISED_API_KEY_LIMIT,
    STRICT_FLAGS,
    admin_props,
    app_key_id,
    param,
)
from tests.test_wrong_inputs import TARGETS, Target, _props

KEYS = {"api-key": LITERAL_API_KEY, "app-key": LITERAL_APP_KEY, "legacy-app-key": LEGACY_APP_KEY}
# Datadog key shapes (reference section 1), not embedded in a longer run of the same characters.
KEY_SHAPES = re.compile(r"ddapp_[A-Za-z0-9]{34}|(?<![0-9a-fA-F])(?:[0-9a-f]{32}|[0-9a-f]{40})(?![0-9a-fA-F])")


@dataclass
class Attempt:
    case: str
    error: Optional[str]
    ours: bool


def _cases() -> list[tuple[Target, str, str, str]]:
    cases = []
    for target in TARGETS:
        for name, _annotation in [("construct_id", str), *_props(target)]:
            for shape, key in KEYS.items():
                cases.append((target, name, shape, key))
    return cases


CASES = _cases()


def _value(target: Target, name: str, key: str) -> Any:
    """The key as a plain string: in a key prop too, where only a SecretValue is accepted (a literal
    key of the wrong kind there is tested in test_key_material)."""
    return key


@pytest.fixture(scope="module")
def attempts(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Attempt], str]:
    """Every attempt in one app, then the whole cloud assembly as text."""
    # Hundreds of admins of one service account in one app: past Datadog's API-key budget, which
    # test_datadog_budget.py tests; here the limit is raised so that each case meets only its own checks.
    context = {**STRICT_FLAGS, API_KEY_LIMIT_CONTEXT: RAISED_API_KEY_LIMIT * 10}
    app = cdk.App(context=context, outdir=str(tmp_path_factory.mktemp("cdk.out")))
    # Constructs this work does not own (marked xfail) are tried in an app that is not synthesized.
    others = cdk.App(context=STRICT_FLAGS)
    results: dict[str, Attempt] = {}
    for index, (target, name, shape, key) in enumerate(CASES):
        stack = cdk.Stack(
            others if target.not_ours else app,
            f"Stack{index}",
            env=cdk.Environment(account="111111111111", region="eu-west-1"),
            synthesizer=cdk.DefaultStackSynthesizer(generate_bootstrap_version_rule=False),
        )
        construct_id = key if name == "construct_id" else "Subject"
        overrides = {} if name == "construct_id" else {name: _value(target, name, key)}
        error = None
        try:
            target.build(stack, construct_id, overrides)
        except DdSecretsValidationError as caught:
            error = str(caught)
        except Exception as caught:  # only constructs this work does not own get here (see xfail)
            if not target.not_ours:
                raise
            error = f"not a DdSecretsValidationError: {caught}"
        case = f"{target.name}-{name}-{shape}"
        results[case] = Attempt(case, error, not target.not_ours)
    # A family child named like a key.
    stack = cdk.Stack(app, "ChildName", env=cdk.Environment(account="111111111111", region="eu-west-1"))
    try:
        DatadogManagedSecrets(
            stack,
            "Family",
            **admin_props(stack),
            application_keys={
                LITERAL_API_KEY: ApplicationKeySpec(app_key=param(stack, "A"), app_key_id=app_key_id(stack))
            },
        )
        results["child-name"] = Attempt("child-name", None, True)
    except DdSecretsValidationError as caught:
        results["child-name"] = Attempt("child-name", str(caught), True)
    # Synthesize what the library accepted (refused constructs have left their parents).
    assembly = app.synth()
    text = "\n".join(p.read_text(errors="replace") for p in sorted(Path(assembly.directory).rglob("*")) if p.is_file())
    return results, text


@pytest.mark.parametrize(
    ("target", "name", "shape", "key"),
    [
        pytest.param(
            *case,
            id=f"{case[0].name}-{case[1]}-{case[2]}",
            marks=[pytest.mark.xfail(reason=case[0].not_ours, strict=False)] if case[0].not_ours else [],
        )
        for case in CASES
    ],
)
def test_a_key_in_any_prop_is_refused_without_being_shown(
    attempts: tuple[dict[str, Attempt], str], target: Target, name: str, shape: str, key: str
) -> None:
    attempt = attempts[0][f"{target.name}-{name}-{shape}"]
    assert attempt.error is not None, "accepted: the key would reach the template"
    assert key not in attempt.error
    assert not KEY_SHAPES.search(attempt.error)
    assert "(not shown)" in attempt.error


def test_a_family_child_named_like_a_key_is_refused_without_being_shown(
    attempts: tuple[dict[str, Attempt], str],
) -> None:
    error = attempts[0]["child-name"].error
    assert error is not None
    assert LITERAL_API_KEY not in error
    assert "`application_keys key`: got a value shaped like a Datadog API key (not shown)" in error


def test_the_cloud_assembly_of_every_attempt_holds_no_key(attempts: tuple[dict[str, Attempt], str]) -> None:
    _, text = attempts
    assert len(text) > 10_000  # the assembly was written: manifest, tree and templates
    assert "Subject" not in text  # the refused constructs left the tree, not even an empty node stays
    assert KEY_SHAPES.findall(text) == []
    assert all(key not in text for key in KEYS.values())
