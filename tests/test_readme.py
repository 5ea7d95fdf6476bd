"""Every Python block of the README runs, and each stack it defines synthesizes Datadog secrets."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest

README = Path(__file__).resolve().parent.parent / "README.md"
ALL_BLOCKS = re.findall(r"^```python\n(.*?)^```", README.read_text(), flags=re.DOTALL | re.MULTILINE)
# Blocks of the user's app that import its other files or the Datadog consumers package run in a
# fresh app built from the README (tests/test_package.py); the others run here, on every version.
IN_THE_APP = re.compile(r"^from (my_app\.|datadog_cdk_constructs_v2 )", flags=re.MULTILINE)
BLOCKS = [block for block in ALL_BLOCKS if not IN_THE_APP.search(block)]


def test_readme_has_python_blocks() -> None:
    assert BLOCKS
    assert all(block.startswith("# file: ") for block in ALL_BLOCKS if block not in BLOCKS)


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_readme_python_block_runs_and_its_stacks_synthesize(index: int) -> None:
    namespace: dict[str, Any] = {"__name__": f"readme_block_{index}"}
    exec(compile(BLOCKS[index], f"README.md python block {index}", "exec"), namespace)
    stacks = [v for v in namespace.values() if isinstance(v, type) and issubclass(v, cdk.Stack) and v is not cdk.Stack]
    context = json.loads((README.parent / "cdk.json").read_text())["context"]  # a new app's feature flags
    for stack_class in stacks:
        app = cdk.App(context=context)
        stack = stack_class(app, "ReadmeStack")
        secrets = cdk.assertions.Template.from_stack(stack).find_resources("AWS::SecretsManager::Secret")
        assert {s["Properties"]["Type"] for s in secrets.values()} >= {"DatadogAdminKey"}
