"""The parameter values a deploy will use, gathered without ever echoing a key.

Each value comes, in this order, from ``--parameters`` (the ``cdk deploy`` syntax, ``Name=value`` or
``Stack:Name=value``; refused for ``NoEcho`` parameters, which would sit in the shell history and
the process list), from an environment variable named exactly after the parameter (``AdminApiKey``),
from the parameter's ``Default``, or from a prompt when standard input is a terminal (``getpass``
for ``NoEcho`` parameters: nothing is shown). The same environment variables can feed
``cdk deploy --parameters Stack:AdminApiKey="$AdminApiKey"``, so both see the same values.
"""

from __future__ import annotations

import getpass
import os
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Optional

from ddsecrets_cli.report import UsageError


def parse_assignments(stack_names: Sequence[str], assignments: Sequence[str]) -> dict[str, str]:
    """``Name=value`` / ``Stack:Name=value`` pairs, ``Stack`` one of ``stack_names`` (the stack's
    CloudFormation name, which ``cdk deploy`` matches, and the ``--stack`` given); pairs of another
    stack are ignored, as cdk does."""
    values: dict[str, str] = {}
    for assignment in assignments:
        name, sep, value = assignment.partition("=")
        if not sep or not name:
            raise UsageError(f"--parameters {assignment!r}: expected Name=value or {stack_names[0]}:Name=value")
        stack, colon, bare = name.rpartition(":")
        if colon and stack not in stack_names:
            continue
        values[bare if colon else name] = value
    return values


def is_no_echo(definition: Mapping[str, Any]) -> bool:
    return str(definition.get("NoEcho", "false")).lower() == "true"


def resolve(
    stack_name: str,
    definitions: Mapping[str, Mapping[str, Any]],
    needed: Iterable[str],
    given: Mapping[str, str],
    *,
    environ: Optional[Mapping[str, str]] = None,
    interactive: Optional[bool] = None,
    ask: Callable[[str], str] = input,
    ask_secret: Callable[[str], str] = getpass.getpass,
) -> dict[str, str]:
    """A value for each parameter in ``needed``; UsageError naming every one that has none."""
    environ = os.environ if environ is None else environ
    interactive = sys.stdin.isatty() if interactive is None else interactive
    for name in given:
        if name in definitions and is_no_echo(definitions[name]):
            raise UsageError(
                f"--parameters {name}=…: {name} is a NoEcho (key) parameter; pass it in the environment variable "
                f"{name} or at the prompt, never on the command line"
            )
    values: dict[str, str] = {}
    missing: list[str] = []
    for name in sorted(set(needed)):
        definition = definitions.get(name, {})
        if name in given:
            values[name] = given[name]
        elif environ.get(name):
            values[name] = environ[name]
        elif "Default" in definition:
            values[name] = str(definition["Default"])
        elif interactive:
            prompt = f"{stack_name} parameter {name} ({definition.get('Description', 'no description')}): "
            values[name] = (ask_secret if is_no_echo(definition) else ask)(prompt).strip()
        else:
            missing.append(name)
    for name in sorted(values):
        if is_no_echo(definitions.get(name, {})) and any(c.isspace() or not c.isprintable() for c in values[name]):
            raise UsageError(
                f"the value of the key parameter {name} holds white space or a control character (a line end "
                "read from a file?): Datadog keys have none, and the parameter's AllowedPattern would refuse it "
                "at deploy; the value is not shown"
            )
    if missing:
        raise UsageError(
            "no value for parameter(s) "
            + ", ".join(missing)
            + ": set an environment variable of the same name (keys) or pass --parameters Name=value (ids)"
        )
    return values
