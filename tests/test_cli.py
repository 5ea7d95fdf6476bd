"""The ``ddsecrets`` command's conventions: --help everywhere, exit 2 on usage errors, and the
package boundary (the constructs never load the CLI's dependencies, the CLI never loads aws_cdk)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from ddsecrets_cli.main import build_parser
from tests.cli_support import run_cli

COMMANDS = ["preflight", "guard", "protect", "status"]


def loaded_modules(statement: str) -> set[str]:
    code = f"import json, sys; {statement}; print(json.dumps(sorted(sys.modules)))"
    result = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    return set(json.loads(result.stdout.strip().splitlines()[-1]))


def test_importing_the_constructs_loads_neither_datadog_api_client_nor_boto3() -> None:
    modules = loaded_modules("import ddsecrets_constructs")
    assert "aws_cdk" in modules  # the check can see what is loaded
    assert not {m for m in modules if m.split(".")[0] in ("datadog_api_client", "boto3", "botocore", "ddsecrets_cli")}


def test_the_cli_loads_neither_aws_cdk_nor_the_constructs() -> None:
    modules = loaded_modules("from ddsecrets_cli import main, preflight, guard, status, protect")
    assert "datadog_api_client" in modules
    assert not {m for m in modules if m.split(".")[0] in ("aws_cdk", "jsii", "ddsecrets_constructs")}


@pytest.mark.parametrize("command", [[], *([c] for c in COMMANDS)])
def test_every_command_has_help(command: list[str]) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "ddsecrets_cli", *command, "--help"], check=True, capture_output=True, text=True
    )
    assert result.stdout.startswith("usage: ddsecrets")
    if command:
        assert "--stack" in result.stdout
        assert "--json" in result.stdout


@pytest.mark.parametrize(
    "argv", [["nosuchcommand"], ["status"], ["preflight", "--stack"], ["guard", "--stack", "S", "--x"]]
)
def test_usage_errors_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        build_parser().parse_args(argv)
    assert caught.value.code == 2
    assert "usage: ddsecrets" in capsys.readouterr().err


def test_a_missing_cloud_assembly_is_a_usage_error(tmp_path: object) -> None:
    run = run_cli("preflight", "--stack", "S", "--cdk-out", "/nonexistent/cdk.out")
    assert run.code == 2
    assert "cdk synth" in run.err
