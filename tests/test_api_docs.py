"""The API reference builds without warnings, and every public parameter is documented with its default."""

from __future__ import annotations

import dataclasses
import inspect
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import ddsecrets_constructs

ROOT = Path(__file__).resolve().parent.parent
SKIPPED_PARAMETERS = {"self", "cls", "scope", "construct_id"}


def test_api_reference_builds_without_warnings(tmp_path: Path) -> None:
    env = {**os.environ, "PDOC_ALLOW_EXEC": "1"}  # importing aws_cdk starts jsii's node process
    result = subprocess.run(
        [sys.executable, "-m", "pdoc", "--docformat", "restructuredtext", "-o", str(tmp_path), "ddsecrets_constructs"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert "Warn" not in result.stderr, result.stderr
    page = (tmp_path / "ddsecrets_constructs.html").read_text()
    for name in ddsecrets_constructs.__all__:
        assert f'id="{name}"' in page or name == "__version__", name


def documented_callables() -> list[tuple[str, object]]:
    found: list[tuple[str, object]] = []
    for name in ddsecrets_constructs.__all__:
        item = getattr(ddsecrets_constructs, name)
        if not inspect.isclass(item):
            continue
        if dataclasses.is_dataclass(item):
            found.append((f"{name}.__init__", item))  # fields are documented on the class
        elif "__init__" in vars(item):
            found.append((f"{name}.__init__", item.__init__))
        for member_name, member in vars(item).items():
            if member_name.startswith("_"):
                continue
            function = member.__func__ if isinstance(member, (classmethod, staticmethod)) else member
            if inspect.isfunction(function):
                found.append((f"{name}.{member_name}", function))
    return found


@pytest.mark.parametrize(("name", "function"), documented_callables())
def test_every_public_parameter_is_documented_with_its_default(name: str, function: object) -> None:
    doc = inspect.getdoc(function) or ""
    assert doc, f"{name} has no docstring"
    for parameter in inspect.signature(function).parameters.values():  # type: ignore[arg-type]
        if parameter.name.startswith("_"):
            continue
        if parameter.name in SKIPPED_PARAMETERS or parameter.kind is parameter.VAR_KEYWORD:
            continue
        match = re.search(rf":param {parameter.name}:(.*?)(?=\n\s*:param |\Z)", doc, flags=re.DOTALL)
        assert match, f"{name}: `{parameter.name}` is not documented"
        if parameter.default is not inspect.Parameter.empty:
            assert "Default:" in match.group(1), f"{name}: `{parameter.name}` does not say its default"
