"""The documented ``ddsecrets`` and ``make deploy`` commands are real, and the operating docs start
from ``ddsecrets status``."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from ddsecrets_cli.main import build_parser
from ddsecrets_cli.parameters import resolve

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def shell_blocks(text: str) -> list[str]:
    return [re.sub(r"\\\n\s*", " ", b) for b in re.findall(r"^\s*```sh\n(.*?)^\s*```", text, flags=re.DOTALL | re.M)]


def documented(prefix_pattern: str) -> list[tuple[str, str]]:
    found = []
    for doc in DOCS:
        for block in shell_blocks(doc.read_text()):
            for line in block.splitlines():
                line = re.sub(r"\s+#.*$", "", line.strip())
                match = re.search(prefix_pattern, line)
                if match:
                    found.append((doc.name, line[match.end() :]))
        spans = re.findall(r"`ddsecrets ((?:status|preflight|guard|protect)[^`]*)`", doc.read_text())
        found += [(doc.name, span) for span in spans if "--stack" in span]  # whole commands, not mentions
    return found


CLI_COMMANDS = documented(r"(?:^|\s)(?:ddsecrets|python -m ddsecrets_cli)\s+")


def test_docs_show_every_subcommand() -> None:
    used = {shlex.split(command)[0] for _, command in CLI_COMMANDS}
    assert used >= {"status", "preflight", "guard", "protect"}


@pytest.mark.parametrize(("doc", "command"), CLI_COMMANDS)
def test_documented_ddsecrets_command_parses(doc: str, command: str) -> None:
    args = shlex.split(re.sub(r"<[^<>]+>", "placeholder", command.replace("...", "").replace("[--off]", "")))
    if args in (["--help"], []):
        return
    parsed = build_parser().parse_args(args)  # exits 2 (failing the test) on a wrong option
    assert parsed.command in {"status", "preflight", "guard", "protect"}, f"{doc}: {command}"


def test_a_wrong_documented_option_would_be_caught() -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["status", "--stack", "S", "--dayz", "3"])


def test_make_deploy_variables_in_the_docs_exist_in_the_makefile() -> None:
    makefile = (ROOT / "Makefile").read_text()
    text = "\n".join(doc.read_text() for doc in DOCS)
    names = {
        v.split("=")[0] for found in re.findall(r"make deploy ((?:[A-Z_]+=[^\s`]+\s*)+)", text) for v in found.split()
    }
    assert names >= {"STACK", "PARAMS"}
    for name in names:
        assert f"$({name})" in makefile, name


@pytest.mark.parametrize(
    ("doc", "heading"), [("README.md", "## Operating it"), ("docs/runbook.md", "## 1. See the rotation state")]
)
def test_operating_docs_start_from_ddsecrets_status(doc: str, heading: str) -> None:
    text = (ROOT / doc).read_text()
    section = text[text.index(heading) :]
    first_block = shell_blocks(section)[0]
    assert first_block.strip().splitlines()[0].startswith("ddsecrets status --stack ")


def test_a_noecho_parameter_is_asked_without_echo_and_others_with_input() -> None:
    asked: list[tuple[str, str]] = []
    values = resolve(
        "S",
        {"Key": {"NoEcho": True}, "Id": {}},
        ["Key", "Id"],
        {},
        environ={},
        interactive=True,
        ask=lambda prompt: asked.append(("input", prompt)) or "id-value",  # type: ignore[func-returns-value]
        ask_secret=lambda prompt: asked.append(("getpass", prompt)) or "key-value",  # type: ignore[func-returns-value]
    )
    assert values == {"Key": "key-value", "Id": "id-value"}
    assert [kind for kind, _ in asked] == ["input", "getpass"]  # sorted: Id, then Key


def test_status_days_are_bounded_by_cloudtrail_history() -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["status", "--stack", "S", "--days", "91"])
    assert build_parser().parse_args(["status", "--stack", "S", "--days", "90"]).days == 90
