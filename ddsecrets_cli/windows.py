"""When does the admin rotate? Children rotate as soon as their schedule is created (at deploy),
and an admin rotation deletes its old key pair before it promotes the new one (reference
section 2): a child rotating inside that gap fails. ``preflight`` warns near the admin's window.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Optional

from aws_croniter import AwsCroniter

MARGIN = dt.timedelta(hours=1)
_DURATION = re.compile(r"^(\d+)h$")


@dataclass(frozen=True)
class Nearest:
    start: Optional[dt.datetime]
    end: Optional[dt.datetime]
    inside: bool
    soon: bool
    description: str


def window_length(duration: Optional[str]) -> dt.timedelta:
    """The window length (``"2h"``); without ``Duration`` the window is read as the whole day."""
    match = _DURATION.match(duration or "")
    return dt.timedelta(hours=int(match.group(1))) if match else dt.timedelta(hours=24)


def nearest_window(expression: str, duration: Optional[str], now: dt.datetime) -> Nearest:
    """The admin window around ``now``: are we inside it, or less than an hour before it?"""
    length = window_length(duration)
    if expression.startswith("rate("):
        # Every rate() window starts at 00:00 UTC, on a day Secrets Manager chooses.
        midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
        starts = [midnight, midnight + dt.timedelta(days=1)]
        described = f"{expression}: windows start at 00:00 UTC on days Secrets Manager chooses"
    elif expression.startswith("cron("):
        starts = _cron_starts(AwsCroniter(expression[len("cron(") : -1]), now, length)
        described = expression
    else:
        return Nearest(None, None, False, False, f"unknown schedule {expression!r}")
    for start in starts:
        end = start + length
        if start <= now < end:
            return Nearest(start, end, True, False, described)
        if now < start <= now + MARGIN:
            return Nearest(start, end, False, True, described)
    upcoming = min((s for s in starts if s > now), default=None)
    return Nearest(upcoming, upcoming + length if upcoming else None, False, False, described)


def _cron_starts(croniter: AwsCroniter, now: dt.datetime, length: dt.timedelta) -> list[dt.datetime]:
    """Window starts from ``length`` before now to the next one after now."""
    return list(croniter.get_next(now - length, n=2, inclusive=True))
