"""Check results, and how they are shown: a table for people, JSON for machines, an exit code.

Exit codes follow the usual convention: 0 every check passed (warnings allowed), 1 a check failed,
2 a usage error (argparse's own code for bad arguments).
"""

from __future__ import annotations

import json
import sys
import textwrap
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any, Optional, TextIO

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2


class Status(StrEnum):
    PASS = "pass"
    WARN = "warn"
    FAIL = "fail"
    SKIP = "skip"


@dataclass(frozen=True)
class Check:
    """One line of a report: what was checked on which subject, the outcome, and the fix."""

    subject: str
    check: str
    status: Status
    detail: str
    fix: str = ""

    def as_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["status"] = self.status.value
        return out


class UsageError(Exception):
    """Bad input that is not a failed check (exit 2): a missing stack, parameter or file."""


def exit_code(checks: Iterable[Check]) -> int:
    return EXIT_FAILED if any(c.status is Status.FAIL for c in checks) else EXIT_OK


def render(
    command: str,
    stack: str,
    checks: Sequence[Check],
    *,
    as_json: bool,
    out: TextIO,
    extra: Optional[dict[str, Any]] = None,
) -> None:
    """Write the report to ``out``: one JSON document, or a table with the fixes under each line."""
    if as_json:
        document = {"command": command, "stack": stack, "ok": exit_code(checks) == EXIT_OK, **(extra or {})}
        document["checks"] = [c.as_json() for c in checks]
        out.write(json.dumps(document, indent=2, default=str) + "\n")
        return
    subject_width = max([len("SUBJECT"), *(len(c.subject) for c in checks)])
    check_width = max([len("CHECK"), *(len(c.check) for c in checks)])
    out.write(f"{'STATUS':<6}  {'SUBJECT':<{subject_width}}  {'CHECK':<{check_width}}  DETAIL\n")
    for c in checks:
        out.write(f"{c.status.value.upper():<6}  {c.subject:<{subject_width}}  {c.check:<{check_width}}  {c.detail}\n")
        if c.fix and c.status in (Status.FAIL, Status.WARN):
            out.write(textwrap.indent(textwrap.fill(f"fix: {c.fix}", 100), " " * 8) + "\n")
    counts = {s: sum(1 for c in checks if c.status is s) for s in Status}
    words = {Status.PASS: "passed", Status.FAIL: "failed", Status.WARN: "warnings", Status.SKIP: "not checked"}
    out.write(f"{command} {stack}: " + ", ".join(f"{counts[s]} {words[s]}" for s in Status) + "\n")


class Progress:
    """One progress line on stderr while remote APIs are called (overwritten in place on a terminal)."""

    def __init__(self, stream: Optional[TextIO] = None, *, enabled: bool = True) -> None:
        self._stream = stream if stream is not None else sys.stderr
        self._enabled = enabled
        self._tty = bool(getattr(self._stream, "isatty", lambda: False)())
        self._shown = False

    def step(self, message: str) -> None:
        if not self._enabled:
            return
        if self._tty:
            self._stream.write(f"\r\033[K… {message}")
        else:
            self._stream.write(f"… {message}\n")
        self._stream.flush()
        self._shown = True

    def done(self) -> None:
        if self._enabled and self._tty and self._shown:
            self._stream.write("\r\033[K")
            self._stream.flush()
