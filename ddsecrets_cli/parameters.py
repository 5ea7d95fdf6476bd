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


def parse_assignments(
    stack_name: str, assignments: Sequence[str], *, construct_path: Optional[str] = None
) -> dict[str, str]:
    """The parameter values ``cdk deploy --parameters`` gives the stack of CloudFormation name
    ``stack_name``, read as cdk reads them (aws-cdk's ``parseParameters`` and
    ``buildParameterMap``): the name is the text before the first ``=``, the last assignment of a
    name wins, ``Stack:Name`` is split at the first ``:`` (and cut at the next one), and a value
    for this stack wins over a bare ``Name=value``, in any order. Values for other stacks are
    ignored, as cdk ignores them; one prefixed with the stack's construct path is refused, since
    cdk matches only the CloudFormation name. No value is ever shown (it may be a key)."""
    keyed: dict[str, str] = {}
    for position, assignment in enumerate(assignments, start=1):
        key, sep, value = assignment.partition("=")
        if not sep or not key:
            raise UsageError(
                f"--parameters number {position}: expected Name=value or {stack_name}:Name=value (the argument is "
                "not shown: it may hold a key)"
            )
        keyed[key] = value
    everywhere: dict[str, str] = {}
    mine: dict[str, str] = {}
    for key, value in keyed.items():
        parts = key.split(":")
        if len(parts) == 1 or not parts[1]:
            everywhere[parts[0]] = value
        elif parts[0] == stack_name:
            mine[parts[1]] = value
        elif parts[0] == construct_path:
            raise UsageError(
                f"--parameters {parts[0]}:{parts[1]}=…: cdk deploy matches parameters by the stack's CloudFormation "
                f"name, not its construct path, and would not use this value; write {stack_name}:{parts[1]}=…"
            )
    return {**everywhere, **mine}


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
