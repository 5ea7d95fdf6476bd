"""The README's "Deploying for real" commands fit the synthesized stacks (no emulator needed).

`make e2e` runs these very commands (``e2e/readme_steps.py`` reads them for both); this test
catches a README or parameter change that breaks them without waiting for a deploy.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from app import CONSUMER_STACKS, STACKS
from e2e import readme_steps
from e2e.readme_steps import Command, DeploySteps
from tests.test_examples import template

STEPS = readme_steps.load()


def parameters_needed(t: dict[str, Any]) -> set[str]:
    return {name for name, p in t["Parameters"].items() if "Default" not in p}


def problems(command: Command, t: dict[str, Any]) -> list[str]:
    """What is wrong with a documented deploy command for a stack with template ``t``."""
    found = []
    passed = [p.name for p in command.parameters]
    if sorted(passed) != sorted(set(passed)):
        found.append(f"a parameter is passed twice: {sorted(passed)}")
    needed = parameters_needed(t)
    found += [f"missing --parameters {command.stack}:{n}" for n in sorted(needed - set(passed))]
    found += [f"no such parameter: {n}" for n in sorted(set(passed) - needed)]
    for p in command.parameters:
        secret = t["Parameters"].get(p.name, {}).get("NoEcho") is True
        if secret and p.variable not in command.reads:
            found.append(f"{p.name} is NoEcho: pass it as a variable read with `read -rs`, not {p.written}")
        if not secret and not p.is_placeholder:
            found.append(f"{p.name}: write a <placeholder>, not {p.written}")
    found += [
        f"`read -rs {v}` is never used" for v in command.reads if v not in {p.variable for p in command.parameters}
    ]
    return found


def test_steps_run_in_the_order_synth_bootstrap_deploy() -> None:
    kinds = ["synth" if c is STEPS.synth else c.cdk_verb for c in STEPS.deploy]
    assert kinds == ["synth", "bootstrap", "deploy", *["deploy"] * len(CONSUMER_STACKS)]
    assert STEPS.synth.text == "make synth"


def consumer_problems(command: Command, verb: str) -> list[str]:
    """What is wrong with the README's deploy or destroy of a consumer stack."""
    stack = command.stack
    if stack not in CONSUMER_STACKS:
        return [f"{stack} is not a consumer stack of app.py"]
    keys = CONSUMER_STACKS[stack]
    found = problems(command, template(stack)) if verb == "deploy" else []
    if verb == "deploy" and "--exclusively" not in command.words:
        found.append("deploy it --exclusively: the CLI would deploy the keys stack too, without ddsecrets guard")
    when = "after" if verb == "deploy" else "before"
    if command.comment != f"{when} {keys}":
        found.append(f"say where it goes: `# {when} {keys}`, not {command.comment!r}")
    return found


def test_consumer_stacks_deploy_after_and_destroy_before_their_keys_stack() -> None:
    """Each consumer stack of app.py has its README deploy (no parameters, --exclusively) and
    destroy, each saying which keys stack it follows or precedes (the e2e run keeps that order)."""
    deploys, destroys = STEPS.deploys[1:], STEPS.destroys[1:]
    assert sorted(c.stack or "" for c in deploys) == sorted(CONSUMER_STACKS)
    assert sorted(c.stack or "" for c in destroys) == sorted(CONSUMER_STACKS)
    assert [p for c in deploys for p in consumer_problems(c, "deploy")] == []
    assert [p for c in destroys for p in consumer_problems(c, "destroy")] == []


def test_deploy_passes_every_parameter_of_its_stack_and_keys_only_through_read() -> None:
    stack = STEPS.first_deploy.stack
    assert stack in STACKS
    assert problems(STEPS.first_deploy, template(stack)) == []


def test_reseed_passes_one_key_read_with_read_rs() -> None:
    assert STEPS.reseed.stack in STACKS
    (parameter,) = STEPS.reseed.parameters
    assert template(STEPS.reseed.stack)["Parameters"][parameter.name]["NoEcho"] is True
    assert STEPS.reseed.reads == (parameter.variable,)


def test_cli_commands_deploy_the_assembly_make_synth_wrote() -> None:
    """`--app cdk.out`: the CLI deploys exactly the checked templates instead of running the app again."""
    for command in (STEPS.bootstrap, *STEPS.deploys, STEPS.reseed, *STEPS.destroys):
        words = command.words
        assert words[words.index("--app") + 1] == "cdk.out", command.text


def test_destroy_names_a_stack_of_the_app() -> None:
    assert STEPS.destroy.stack in STACKS


def test_bootstrap_names_an_account_and_region() -> None:
    account, region = STEPS.account_and_region
    assert (len(account), region) == (12, "eu-west-1")


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (
            ("  --parameters DatadogSeedStack:AppKeyId=<uuid> \\\n", ""),
            "missing --parameters DatadogSeedStack:AppKeyId",
        ),
        (
            ('DatadogSeedStack:AdminApiKey="$ADMIN_API_KEY"', "DatadogSeedStack:AdminApiKey=<key>"),
            "AdminApiKey is NoEcho",
        ),
        (("; read -rs API_KEY", ""), "ApiKey is NoEcho"),
        (("AdminApiKeyId=<uuid>", "AdminApiKeyId=2d6f1c3a-7e4b-4a9d-9c1e-3f5b7a9d1e2f"), "AdminApiKeyId: write"),
        (("DatadogSeedStack:ApiKeyId=<uuid>", "DatadogSeedStack:ApiKeyIds=<uuid>"), "no such parameter: ApiKeyIds"),
    ],
)
def test_a_broken_readme_is_caught(tmp_path: Path, edit: tuple[str, str], expected: str) -> None:
    """The checks above must be able to fail."""
    readme = tmp_path / "README.md"
    text = readme_steps.README.read_text()
    assert edit[0] in text
    readme.write_text(text.replace(edit[0], edit[1], 1))
    broken: DeploySteps = readme_steps.load(readme)
    stack = broken.first_deploy.stack
    assert stack is not None
    assert [p for p in problems(broken.first_deploy, template(stack)) if p.startswith(expected)]


@pytest.mark.parametrize(
    ("edit", "verb", "expected"),
    [
        ("--app cdk.out --exclusively DatadogAgentStack", "deploy", "deploy it --exclusively"),
        ("DatadogAgentStack  # after DatadogSearchKeysStack", "deploy", "say where it goes: `# after"),
        ("DatadogAgentStack  # before DatadogSearchKeysStack", "destroy", "say where it goes: `# before"),
    ],
)
def test_a_broken_consumer_step_is_caught(tmp_path: Path, edit: str, verb: str, expected: str) -> None:
    """The consumer checks above must be able to fail."""
    readme = tmp_path / "README.md"
    text = readme_steps.README.read_text()
    assert edit in text
    readme.write_text(text.replace(edit, edit.replace("--exclusively ", "").split("  #")[0], 1))
    broken = readme_steps.load(readme)
    commands = broken.deploys[1:] if verb == "deploy" else broken.destroys[1:]
    assert [p for c in commands for p in consumer_problems(c, verb) if p.startswith(expected)]
