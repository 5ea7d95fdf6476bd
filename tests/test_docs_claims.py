"""Statements of README.md and docs/ that no other test module held to the code (issue 13).

docs/claims.md lists every behavioural statement of the docs with the test that proves it; the
first tests below keep that register from rotting (a renamed or deleted test fails them). The
others read the repository's own files, or build a construct without synthesizing, so the module
costs well under a second of jsii time.
"""

from __future__ import annotations

import ast
import importlib
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import Duration, RemovalPolicy

from ddsecrets_constructs import DatadogAdminKeySecret, DdSecretsValidationError, KeyRotation, defaults
from ddsecrets_constructs.validation import describe, redact
from tests.support import LITERAL_API_KEY, admin_props, new_stack

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
REGISTER = ROOT / "docs" / "claims.md"
LIBRARY = ROOT / "ddsecrets_constructs"


def flat(text: str) -> str:
    """Text with every run of white space as one space: a rewrapped paragraph reads the same."""
    return " ".join(text.split())


# --- docs/claims.md: every test it names exists ---------------------------------------------------

NODE_ID = re.compile(r"`((?:tests|e2e)/[\w/]+\.py)::(\w+)(?:\[[^\]`]*\])?`")
# A row proves its statement with a test, or says what became of it.
VERDICTS = ("removed", "fixed", "UNVERIFIED", "AWS docs", "Datadog docs", "CDK docs", "not behaviour")


def defined_tests(path: Path) -> set[str]:
    """Test functions of a module as pytest names them (``test_x``, ``TestClass::test_x``)."""
    names: set[str] = set()
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith("test_"):
            names.add(node.name)
        elif isinstance(node, ast.ClassDef) and node.name.startswith("Test"):
            names.update(f"{node.name}::{item.name}" for item in node.body if isinstance(item, ast.FunctionDef))
    return names


def missing_tests(register: str, root: Path) -> list[str]:
    """Node ids named in ``register`` whose module or test function does not exist under ``root``."""
    missing = []
    for module, name in NODE_ID.findall(register):
        path = root / module
        if not path.is_file() or name not in defined_tests(path):
            missing.append(f"{module}::{name}")
    return missing


def register_rows(register: str) -> list[list[str]]:
    """The cells of every table row of the register, header and separator rows left out."""
    rows = [line for line in register.splitlines() if line.startswith("|") and not set(line) <= set("|-: ")]
    cells = [[cell.strip() for cell in row.strip("|").split(" | ")] for row in rows]
    return [row for row in cells if row[0] != "Where"]


def test_every_test_named_in_the_claims_register_exists() -> None:
    register = REGISTER.read_text()
    assert len(NODE_ID.findall(register)) >= 100
    assert missing_tests(register, ROOT) == []


def test_every_row_of_the_register_names_a_test_or_what_became_of_the_statement() -> None:
    rows = register_rows(REGISTER.read_text())
    assert len(rows) >= 100
    assert [row for row in rows if len(row) != 3] == []  # a "|" inside a cell would shift the proof column
    unproved = [row for row in rows if not NODE_ID.search(row[-1]) and not row[-1].startswith(VERDICTS)]
    assert unproved == []


def test_the_register_check_catches_a_renamed_or_deleted_test() -> None:
    register = (
        "| a | `tests/test_docs_claims.py::test_every_test_named_in_the_claims_register_exists` |\n"
        "| b | `tests/test_docs_claims.py::test_a_test_that_was_renamed` |\n"
        "| c | `tests/test_gone.py::test_anything[param]` |\n"
    )
    assert missing_tests(register, ROOT) == [
        "tests/test_docs_claims.py::test_a_test_that_was_renamed",
        "tests/test_gone.py::test_anything",
    ]
    assert register_rows(register + "| d | nothing said |\n")[-1] == ["d", "nothing said"]


# --- README, Validation: the warnings table lists exactly the warnings the library emits ----------


def _constants(tree: ast.Module) -> dict[str, str]:
    found = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            if isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
                found[node.targets[0].id] = node.value.value
            elif isinstance(node.value, ast.JoinedStr) and isinstance(node.value.values[-1], ast.Constant):
                found[node.targets[0].id] = str(node.value.values[-1].value).lstrip(":")
    return found


def emitted_warning_ids() -> tuple[set[str], list[str]]:
    """Every warning id the library passes to ``Problems.warn`` or ``add_warning_v2``, and the calls
    whose id this reading cannot tell (there must be none, or a new warning could hide)."""
    trees = {path.name: ast.parse(path.read_text()) for path in LIBRARY.glob("*.py")}
    constants = {name: value for tree in trees.values() for name, value in _constants(tree).items()}
    ids, unknown = set(), []
    for file_name, tree in trees.items():
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            if node.func.attr not in ("warn", "add_warning_v2") or not node.args:
                continue
            first = node.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                ids.add(first.value.removeprefix("ddsecrets-constructs:"))
            elif isinstance(first, ast.Name) and first.id in constants:
                ids.add(constants[first.id])
            elif file_name == "validation.py" and isinstance(first, ast.JoinedStr):
                continue  # Problems.raise_if_any annotating the ids recorded by warn()
            else:
                unknown.append(f"{file_name}:{node.lineno}")
    return ids, unknown


def readme_warning_ids() -> set[str]:
    text = README.read_text()
    table = text.split("| Warning id (`ddsecrets-constructs:...`) | When |", 1)[1].split("\n\n", 1)[0]
    first_cells = [row.split(" | ")[0] for row in table.splitlines() if row.startswith("| `")]
    return {name for cell in first_cells for name in re.findall(r"`(\w+)`", cell)}


def test_the_readme_warnings_table_lists_exactly_the_warnings_the_library_emits() -> None:
    ids, unknown = emitted_warning_ids()
    assert unknown == []
    assert {"adminSecretReader", "deployTimeValuesNotChecked"} <= ids  # the reading sees both kinds of call
    assert readme_warning_ids() == ids


# --- docs/versioning.md: the placeholder repository address and where it is set --------------------


def repository() -> str:
    return str(tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["urls"]["Repository"])


def test_the_placeholder_note_names_every_file_that_holds_the_repository_address() -> None:
    address = repository()
    section = (ROOT / "docs" / "versioning.md").read_text().split("## Before publishing: the repository address")[1]
    assert f"`{address}` is a **placeholder**" in section
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, check=True, capture_output=True, text=True).stdout
    holding = sorted(
        name
        for name in tracked.split()
        if (ROOT / name).is_file() and address in (ROOT / name).read_text(errors="replace")
    )
    assert {"pyproject.toml", "tests/test_package.py"} <= set(holding)
    assert [name for name in holding if name != "CHANGELOG.md" and f"`{name}`" not in section] == []
    # test_package.py's REPOSITORY must be the same address (it checks the wheel's metadata against it).
    assert f'REPOSITORY = "{address}"' in (ROOT / "tests" / "test_package.py").read_text()


# --- docs/versioning.md and README: supported versions, pins, what make test and CI run -----------


def _pins(name: str) -> dict[str, str]:
    lines = (ROOT / name).read_text().splitlines()
    pins = (line.split("==", 1) for line in lines if "==" in line and not line.startswith("#"))
    return {package.split("[")[0]: version for package, version in pins}


def test_the_supported_versions_table_is_pyproject_and_the_pins() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    ranges = {
        re.split(r"[<>=]", spec, maxsplit=1)[0]: spec[len(re.split(r"[<>=]", spec, maxsplit=1)[0]) :]
        for spec in [*pyproject["dependencies"], *pyproject["optional-dependencies"]["cli"]]
    }
    ranges["Python"] = pyproject["requires-python"]
    dev, lowest = _pins("requirements-dev.txt") | _pins("requirements.txt"), _pins("requirements-min.txt")
    text = (ROOT / "docs" / "versioning.md").read_text()
    table = text.split("| Dependency | Range (`pyproject.toml`) | Tested |", 1)[1].split("\n\n", 1)[0]
    rows = {
        cells[0].split(" ")[0]: cells[1:]
        for cells in (
            [c.strip() for c in row.strip("|").split(" | ")]
            for row in table.splitlines()
            if row.startswith("| ") and not row.startswith("|---")
        )
    }
    assert set(rows) == set(ranges)
    for package, (range_cell, tested) in rows.items():
        assert range_cell == f"`{ranges[package]}`", package
        if package != "Python":
            assert tested.startswith(dev[package]), package
        if package in lowest:  # the library's own ranges: the lowest pin is the range's lower bound
            assert lowest[package] in tested, package
            assert ranges[package].startswith(f">={lowest[package]},"), package
    # cdk-nag is the project's, not the library's: users register their own packs.
    assert not [spec for spec in pyproject["dependencies"] if spec.startswith("cdk-nag")]
    # README step 2: the consumers' and the tests' versions are the ones tested.
    readme = flat(README.read_text())
    assert f"`pip install datadog-cdk-constructs-v2=={dev['datadog-cdk-constructs-v2']}` (the version tested" in readme
    assert f"`pip install syrupy=={dev['syrupy']}`" in readme


def _recipe(makefile: str, target: str) -> tuple[list[str], list[str]]:
    """Prerequisites and recipe lines of a Makefile target."""
    match = re.search(rf"^{re.escape(target)}:(.*)\n((?:\t.*\n|\n)*)", makefile, flags=re.M)
    assert match, target
    return match[1].split(), [line.strip() for line in match[2].splitlines() if line.strip()]


def test_make_test_runs_lint_types_synth_pytest_then_test_min_and_ci_runs_e2e_after() -> None:
    makefile = (ROOT / "Makefile").read_text()
    prerequisites, recipe = _recipe(makefile, "test")
    assert prerequisites == ["lint", "typecheck", "synth"]
    assert recipe == ["pytest", "$(MAKE) test-min"]
    assert _recipe(makefile, "lint")[1] == ["ruff check .", "ruff format --check ."]
    assert _recipe(makefile, "typecheck")[1] == ["mypy"]
    assert tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mypy"]["strict"] is True
    assert "bench" not in " ".join(prerequisites + recipe)  # speed is measured, never asserted
    # test-min skips the ddsecrets command's tests: its extra is not installed there.
    test_min = " ".join(_recipe(makefile, "test-min")[1])
    cli_tests = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "tests").glob("test_cli*.py"))
    assert all(f"--ignore={name}" in test_min for name in cli_tests)
    assert not {"datadog-api-client", "boto3"} & set(_pins("requirements-min.txt"))
    commands = [line for line in (ROOT / ".ci" / "run").read_text().splitlines() if line.startswith("make ")]
    assert commands == ["make test", "make e2e"]


def test_the_benchmark_refuses_templates_that_are_not_equivalent() -> None:
    """docs/performance.md: `make bench` compares the library's template with the L1 one first."""
    # Loaded by name: bench/ is a folder of scripts that mypy checks as top-level modules.
    differences = importlib.import_module("bench.bench_synth").differences

    def template(topic_name: str) -> dict[str, Any]:
        topic = {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": topic_name}}
        return {"Parameters": {"P": {"Type": "String"}}, "Resources": {"Topic": topic}}

    assert differences(template("a"), template("a")) == []
    assert differences(template("a"), template("b")) == ["Topic: differs"]
    fewer = template("a")
    del fewer["Parameters"]
    assert differences(template("a"), fewer) == ["parameters differ"]


def test_the_benchmark_imports_nothing_in_its_timed_part() -> None:
    """docs/performance.md: imports are outside the timed part on both sides (until 5.6.1 the L1
    side imported aws_cdk modules and made jsii's first call inside it, which the library side did
    before its clock)."""
    # A fresh process: this one has imported everything already.
    script = (
        "import sys\n"
        "from bench import bench_synth as b\n"
        "for side, build in (('l1', b.build_l1), ('library', b.build_library)):\n"
        "    b.load_modules(side)\n"
        "    before = set(sys.modules)\n"
        "    build(1).synth()\n"
        "    print(side, sorted(set(sys.modules) - before))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.splitlines()[-2:] == ["l1 []", "library []"]


def test_the_benchmark_variants_performance_md_names_apply_to_this_code() -> None:
    """docs/performance.md: each variant it measured is a patch in bench/variants/ that its commands
    apply with ``git apply`` (a variant that no longer applies must be refreshed or its text removed)."""
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    named = sorted(set(re.findall(r"bench/variants/([\w.-]+\.patch)", (ROOT / "docs" / "performance.md").read_text())))
    assert named == sorted(p.name for p in (ROOT / "bench" / "variants").glob("*.patch"))
    for patch in named:
        command = ["git", "apply", "--check", f"bench/variants/{patch}"]
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
        assert done.returncode == 0, f"{patch}: {done.stderr}"


def test_importing_the_library_leaves_aws_ecs_to_ecs_secret() -> None:
    """docs/performance.md: the library's import does not load ``aws_cdk.aws_ecs`` (0.1 s or more of
    every synth); ``ecs_secret`` imports it when called (its results are tested in test_cross_stack)."""
    script = "import sys, ddsecrets_constructs\nprint('aws_cdk.aws_ecs' in sys.modules)\n"
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.splitlines()[-1] == "False"


# --- README: messages quoted in the docs are the ones the library writes --------------------------


def test_the_messages_the_readme_quotes_are_the_librarys() -> None:
    readme = flat(README.read_text())
    # Validation: a wrong KeyRotation argument is named, as the README quotes it.
    _, stack = new_stack()
    with pytest.raises(DdSecretsValidationError) as caught:
        DatadogAdminKeySecret(stack, "Admin", **admin_props(stack), rotation=KeyRotation.cron(hour=3))  # type: ignore[arg-type]
    quoted = "`hour` must be one cron field as a string"
    assert f"(`` {quoted} ``)" in readme
    assert quoted in str(caught.value)
    assert "KeyRotation.cron(hour=3)" in str(caught.value)  # shown as written
    # Values shown as the user wrote them.
    shown = [describe(KeyRotation.cron(hour=3)), describe(Duration.hours(3)), describe(RemovalPolicy.DESTROY)]  # type: ignore[arg-type]
    assert shown == ["KeyRotation.cron(hour=3)", "Duration.hours(3)", "RemovalPolicy.DESTROY"]
    assert f"(`{shown[0]}`, `{shown[1]}`, `{shown[2]}`)" in readme
    # A key-shaped value is replaced by the words the README quotes.
    words = "a value shaped like a Datadog API key (not shown)"
    assert f'it says "{words}"' in readme
    assert redact(f"got {LITERAL_API_KEY}") == f"got <{words}>"
    # The constructs: describe() of the default admin schedule, quoted in full.
    assert f"`{defaults.ADMIN_ROTATION.describe()}`" in readme


# --- README, Try a deploy locally: e2e/find-python fails saying what is needed -------------------


def _bin_with(tmp: Path, python: str) -> dict[str, str]:
    """An environment whose PATH holds only what find-python runs, and ``python`` as python3."""
    bin_dir = tmp / "bin"
    bin_dir.mkdir()
    for tool in ("bash", "ls", "sort"):
        found = subprocess.run(["bash", "-c", f"command -v {tool}"], capture_output=True, text=True, check=True)
        (bin_dir / tool).symlink_to(found.stdout.strip())
    (bin_dir / "python3").symlink_to(python)
    return {"PATH": str(bin_dir), "HOME": str(tmp), "PYENV_ROOT": str(tmp / "no-pyenv")}


def test_find_python_fails_naming_what_is_needed_and_takes_e2e_python(tmp_path: Path) -> None:
    script = str(ROOT / "e2e" / "find-python")
    # A Python older than 3.13 only (this suite's own 3.11): fails, saying what to install.
    env = _bin_with(tmp_path, os.path.realpath(sys.executable))
    result = subprocess.run([script], env=env, capture_output=True, text=True)
    assert result.returncode == 1
    assert "make e2e needs Python >= 3.13" in result.stderr
    assert "E2E_PYTHON=/path/to/python3.13" in result.stderr
    assert result.stdout == ""
    # E2E_PYTHON naming a Python that answers as >= 3.13: printed.
    fake = tmp_path / "python3.13"
    fake.write_text('#!/bin/bash\n[ "$1" = -c ] && case "$2" in *print*) echo "$0";; esac\nexit 0\n')
    fake.chmod(0o755)
    result = subprocess.run([script], env={**env, "E2E_PYTHON": str(fake)}, capture_output=True, text=True)
    assert (result.returncode, result.stdout.strip()) == (0, str(fake))
