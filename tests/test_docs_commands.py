"""Every `aws ...` command in the README and docs/ is real AWS CLI syntax.

awscli parses a command's arguments before it looks for credentials, so each documented command is
run with no credentials at all: it must fail with "Unable to locate credentials", never with a
usage error. Nothing reaches AWS.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
AWS = Path(sys.executable).parent / "aws"
NO_CREDENTIALS = "Unable to locate credentials"
PLACEHOLDER_ARN = "arn:aws:secretsmanager:eu-west-1:111122223333:secret:datadog/sre/admin-AbC123"


def documented_commands() -> list[tuple[str, str]]:
    """(document, command) for each aws command in a shell block or an inline code span."""
    found = []
    for doc in DOCS:
        text = doc.read_text()
        for block in re.findall(r"^\s*```sh\n(.*?)^\s*```", text, flags=re.DOTALL | re.MULTILINE):
            joined = re.sub(r"\\\n\s*", " ", block)
            found += [(doc.name, line.strip()) for line in joined.splitlines() if line.strip().startswith("aws ")]
        found += [(doc.name, span) for span in re.findall(r"`(aws [^`]+)`", text)]
    return found


def runnable(command: str, tmp_path: Path) -> list[str]:
    """The command with its placeholders filled in."""
    command = re.sub(r"\s+#.*$", "", command)
    command = command.replace('"$SECRET"', PLACEHOLDER_ARN)
    command = re.sub(r"<[^<>]+>", _placeholder, command)
    seed = tmp_path / "admin.json"
    seed.write_text('{"adminApiKey": "x"}')
    command = command.replace("file://admin.json", f"file://{seed}")
    return shlex.split(command)


def _placeholder(match: re.Match[str]) -> str:
    """A value of the right shape for a ``<...>`` placeholder (botocore checks lengths too)."""
    what = match.group(0).lower()
    if "arn" in what:
        return PLACEHOLDER_ARN
    if "version id" in what:
        return "9c0a1f6e-5b7d-4c3e-8f2a-6d1e0b9a7c55"
    return "placeholder"


def run(args: list[str]) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": os.environ["PATH"],
        "HOME": "/nonexistent",
        "AWS_CONFIG_FILE": "/dev/null",
        "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
        "AWS_DEFAULT_REGION": "eu-west-1",
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    return subprocess.run([str(AWS), *args[1:]], env=env, capture_output=True, text=True, timeout=60, check=False)


COMMANDS = documented_commands()


def test_docs_have_aws_commands() -> None:
    assert len(COMMANDS) >= 10
    assert {doc for doc, _ in COMMANDS} >= {"README.md", "runbook.md"}


@pytest.mark.parametrize(("doc", "command"), COMMANDS)
def test_documented_aws_command_parses(doc: str, command: str, tmp_path: Path) -> None:
    result = run(runnable(command, tmp_path))
    assert NO_CREDENTIALS in result.stderr, f"{doc}: {command}\n{result.stderr}"


def test_a_misspelt_option_is_caught(tmp_path: Path) -> None:
    """The check above must be able to fail."""
    result = run(runnable('aws secretsmanager rotate-secret --secret-idd "$SECRET"', tmp_path))
    assert NO_CREDENTIALS not in result.stderr
    assert "usage" in result.stderr.lower() or "error" in result.stderr.lower()
