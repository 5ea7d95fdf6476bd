"""The ``ddsecrets`` command line: argument parsing and dispatch to one module per subcommand.

Exit codes: 0 healthy, 1 a check failed, 2 a usage error. Reports go to stdout (a table, or one
JSON document with ``--json``); progress and errors go to stderr. No key is ever printed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import Optional, TextIO

from ddsecrets_cli.report import EXIT_USAGE, Check, Progress, UsageError, exit_code, render

DESCRIPTION = "Check Datadog before a deploy, guard stack updates, protect and watch Datadog secrets."


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ddsecrets", description=DESCRIPTION)

    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def common(sub: argparse.ArgumentParser, *, aws: bool = True) -> None:
        sub.add_argument(
            "--stack",
            required=True,
            help="the stack: its construct path in the cloud assembly (inside a Stage, <stage>/<stack>) or its "
            "CloudFormation name",
        )
        sub.add_argument("--json", action="store_true", help="print one JSON document instead of a table")
        sub.add_argument("--quiet", action="store_true", help="no progress line on stderr")
        if aws:
            sub.add_argument("--profile", help="AWS profile (default: the usual AWS configuration)")
            sub.add_argument("--region", help="AWS region (default: the usual AWS configuration)")

    def stack_source(sub: argparse.ArgumentParser) -> None:
        sub.add_argument(
            "--cdk-out",
            type=Path,
            default=Path("cdk.out"),
            help="when this cloud assembly holds the stack, --stack may be its construct path, and the stack's "
            "CloudFormation name, region and account come from it (default: cdk.out)",
        )

    def assembly_and_parameters(sub: argparse.ArgumentParser, parameters_help: str) -> None:
        sub.add_argument("--cdk-out", type=Path, default=Path("cdk.out"), help="cloud assembly (default: cdk.out)")
        sub.add_argument("--parameters", action="append", default=[], metavar="NAME=VALUE", help=parameters_help)

    preflight = commands.add_parser(
        "preflight",
        help="check keys, ids, owners, scopes and the time against Datadog before a deploy",
        description="Check the values a deploy will store in the stack's Datadog secrets against the Datadog "
        "API of the stack's site. Key parameters (NoEcho) come from environment variables named after them, "
        "or from a prompt that shows nothing; other parameters from --parameters, the environment, or a prompt.",
    )
    common(preflight, aws=False)
    assembly_and_parameters(
        preflight, "a non-key parameter value, as for cdk deploy (Name=value or Stack:Name=value); repeatable"
    )
    preflight.add_argument("--site", help="Datadog site of children whose admin is not in this stack")
    preflight.add_argument(
        "--datadog-url",
        help="send Datadog calls to this base URL instead of https://api.<site> (a proxy or test server)",
    )
    preflight.add_argument(
        "--at",
        type=_utc_time,
        help="check the admin-window rule as if deploying at this UTC time (ISO 8601; default: now)",
    )
    preflight.add_argument(
        "--timeout", type=_seconds, default=10.0, help="seconds per Datadog call, above 0 (default: 10)"
    )
    preflight.add_argument(
        "--retries", type=_retries, default=2, help="retries on timeouts, 429 and 5xx, 0-10 (default: 2)"
    )
    preflight.set_defaults(run=_preflight)

    guard = commands.add_parser(
        "guard",
        help="refuse a deploy that would re-seed, replace or unschedule a Datadog secret",
        description="Compare the deployed template (GetTemplate) with the one in cdk.out and fail when the deploy "
        "would write a secret's SecretString again, replace or remove a secret, or drop its rotation schedule.",
    )
    common(guard)
    assembly_and_parameters(guard, "the parameter values the deploy passes (same syntax as cdk deploy); repeatable")
    guard.add_argument(
        "--allow-reseed",
        action="append",
        default=[],
        metavar="LOGICAL_ID",
        help="accept that this secret (or schedule) is re-seeded, replaced or removed on purpose; repeatable",
    )
    guard.set_defaults(run=_guard)

    protect = commands.add_parser(
        "protect",
        help="set a stack policy that denies updates, replacement and deletion of the Datadog secrets",
        description="Set a CloudFormation stack policy denying Update:Modify, Update:Replace and Update:Delete on "
        "the stack's Datadog secrets (and Update:Replace/Update:Delete on their rotation schedules).",
    )
    common(protect)
    stack_source(protect)
    protect.add_argument("--off", action="store_true", help="replace the policy with one that allows every update")
    protect.set_defaults(run=_protect)

    status = commands.add_parser(
        "status",
        help="rotation health of each Datadog secret of a stack",
        description="For each Datadog secret of the stack: type, rotation enabled, last and next rotation, a "
        "version stuck in AWSPENDING, the last RotationFailed/RotationAbandoned (CloudTrail) and a verdict.",
    )
    common(status)
    stack_source(status)
    status.add_argument(
        "--days", type=_days, default=90, help="how far back to read CloudTrail (default: 90, its maximum)"
    )
    status.set_defaults(run=_status)
    return parser


def main(
    argv: Optional[Sequence[str]] = None, *, stdout: Optional[TextIO] = None, stderr: Optional[TextIO] = None
) -> int:
    out = stdout or sys.stdout
    err = stderr or sys.stderr
    args = build_parser().parse_args(argv)
    progress = Progress(err, enabled=not args.quiet)
    try:
        checks, extra = args.run(args, progress)
    except UsageError as error:
        return _usage_error(args, str(error), out, err, progress)
    except Exception as error:  # its message, or a traceback, may hold a key value
        message = (
            f"unexpected {type(error).__name__} {_where(error)}; its message is not shown, as it may hold a key value"
        )
        return _usage_error(args, message, out, err, progress)
    progress.done()
    render(args.command, args.stack, checks, as_json=args.json, out=out, extra=extra)
    return exit_code(checks)


Result = tuple[list[Check], dict[str, object]]


def _usage_error(args: argparse.Namespace, message: str, out: TextIO, err: TextIO, progress: Progress) -> int:
    """Exit 2 with ``message`` on stderr and, with ``--json``, a report without checks on stdout
    (``ok`` false, the message as ``error``), so that a script reading stdout sees why."""
    progress.done()
    err.write(f"ddsecrets {args.command}: {message}\n")
    if args.json:
        render(args.command, args.stack, [], as_json=True, out=out, extra={"ok": False, "error": message})
    return EXIT_USAGE


def _where(error: BaseException) -> str:
    """Where an error was raised (file and line of the innermost frame), without its message."""
    frames = traceback.extract_tb(error.__traceback__)
    return f"at {Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else ""


def _preflight(args: argparse.Namespace, progress: Progress) -> Result:
    from ddsecrets_cli import assembly, parameters, preflight
    from ddsecrets_cli.datadog import Endpoint

    stack = assembly.load_from_assembly(args.cdk_out, args.stack)
    given = parameters.parse_assignments(stack.name, args.parameters, construct_path=stack.path)
    values = parameters.resolve(args.stack, stack.parameters, preflight.parameters_needed(stack), given)

    def endpoint_for(site: str) -> Endpoint:
        return Endpoint(site=site, url=args.datadog_url, timeout=args.timeout, retries=args.retries)

    checks = preflight.run(stack, values, endpoint_for=endpoint_for, site=args.site, now=args.at, progress=progress)
    return checks, {}


def _whole_number(text: str, low: int, high: int, what: str) -> int:
    """``text`` as a number from ``low`` to ``high`` (ASCII digits: ``int`` refuses a "²" that
    ``str.isdigit`` takes)."""
    if not (text.isascii() and text.isdigit()) or not low <= int(text) <= high:
        raise argparse.ArgumentTypeError(f"{text!r}: {what}")
    return int(text)


def _days(text: str) -> int:
    """CloudTrail's event history keeps 90 days."""
    return _whole_number(text, 1, 90, "a number of days from 1 to 90 (CloudTrail keeps 90 days)")


def _seconds(text: str) -> float:
    try:
        seconds = float(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"{text!r}: a number of seconds") from error
    if not 0 < seconds <= 600:  # also refuses nan and inf
        raise argparse.ArgumentTypeError(f"{text!r}: a number of seconds above 0, at most 600")
    return seconds


def _retries(text: str) -> int:
    return _whole_number(text, 0, 10, "a number of retries from 0 to 10")


def _utc_time(text: str) -> dt.datetime:
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 time: {text!r}") from error
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)


def _guard(args: argparse.Namespace, progress: Progress) -> Result:
    from ddsecrets_cli import guard

    return guard.command(args, progress)


def _protect(args: argparse.Namespace, progress: Progress) -> Result:
    from ddsecrets_cli import protect

    return protect.command(args, progress)


def _status(args: argparse.Namespace, progress: Progress) -> Result:
    from ddsecrets_cli import status

    return status.command(args, progress)
