"""What a rotation schedule means in time: parse a rate()/cron() expression, check it against the
Secrets Manager rules, and find where two schedules' rotation windows meet.

Rules (reference section 2, Secrets Manager user guide "Rotation schedules"): UTC; as often as
every 4 hours, at most every 999 days; cron minutes must be 0 and year must be ``*``; a window is
whole hours, 1 to 24, starts on the hour and must not run past the end of the UTC day nor into the
next window; rate() windows start at 00:00 UTC. Without a Duration the window closes after one hour
for a schedule in hours and at the end of the day for a schedule in days.

Two schedules clash when a window of one comes within :data:`MIN_GAP` (one hour) of a window of
the other, in either order. cron() expressions are expanded into concrete windows over a fixed
horizon with ``aws_croniter`` (a maintained parser of AWS cron syntax, including ``L`` and
``#``). The horizon is fixed, not "now", so that synthesis does not depend on the day it runs.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise
from typing import Optional

from aws_croniter import AwsCroniter

UTC = dt.UTC
HORIZON_START = dt.datetime(2027, 1, 1, tzinfo=UTC)
# Four years hold one leap day, so a schedule that only matches 29 February is caught.
HORIZON_END = dt.datetime(2031, 1, 1, tzinfo=UTC)
# Enough to see every pattern of a schedule that runs several times a day; bounds synth time.
MAX_OCCURRENCES = 3000
MIN_INTERVAL = dt.timedelta(hours=4)
MAX_INTERVAL = dt.timedelta(days=999)

_RATE = re.compile(r"rate\((\d+) (hour|hours|day|days)\)")
_CRON = re.compile(r"cron\((.+)\)")


@dataclass(frozen=True)
class Window:
    """One concrete rotation window [start, end)."""

    start: dt.datetime
    end: dt.datetime

    def __str__(self) -> str:
        return f"{self.start:%Y-%m-%d %H:%M}-{self.end:%H:%M} UTC".replace("-00:00 UTC", "-24:00 UTC")


@dataclass(frozen=True)
class ScheduleAnalysis:
    """A schedule checked against the rules, with its windows when they can be known."""

    expression: str
    errors: tuple[str, ...]
    daily_windows: tuple[tuple[int, int], ...] = ()
    """rate(): hours of the day [start, end) in which a rotation may run, on any day."""
    windows: tuple[Window, ...] = ()
    """cron(): concrete windows from HORIZON_START until ``covered_until``."""
    covered_until: dt.datetime = HORIZON_END

    @property
    def is_rate(self) -> bool:
        return bool(self.daily_windows)


# The Secrets Manager API's ScheduleExpression (its service model): 1-256 of these characters.
_API_EXPRESSION = re.compile(r"[0-9A-Za-z()#?*\-/, ]{1,256}")


@lru_cache(maxsize=256)
def analyse(expression: str, window_hours: Optional[int]) -> ScheduleAnalysis:
    """Check a literal schedule expression and window (``None``: the Secrets Manager default)."""
    if not _API_EXPRESSION.fullmatch(expression):
        return ScheduleAnalysis(
            expression,
            (
                "Secrets Manager takes 1-256 characters among letters, digits, spaces and ( ) # ? * - / , "
                "(a no-break space or a tab copied from a web page is none of them)",
            ),
        )
    rate = _RATE.fullmatch(expression)
    if rate:
        return _analyse_rate(expression, int(rate.group(1)), rate.group(2).startswith("hour"), window_hours)
    cron = _CRON.fullmatch(expression)
    if cron:
        return _analyse_cron(expression, cron.group(1).split(), window_hours)
    return ScheduleAnalysis(
        expression,
        ("not a Secrets Manager schedule: expected 'rate(N hours|days)' or 'cron(0 H D M W *)'",),
    )


def _analyse_rate(expression: str, value: int, in_hours: bool, window_hours: Optional[int]) -> ScheduleAnalysis:
    hours = value if in_hours else value * 24
    errors = []
    if hours < MIN_INTERVAL.total_seconds() / 3600:
        errors.append("rotates more often than every 4 hours, the Secrets Manager minimum")
    if hours > MAX_INTERVAL.days * 24:
        errors.append("rotates less often than every 999 days, the Secrets Manager maximum")
    window = window_hours if window_hours is not None else (1 if in_hours else 24)
    if in_hours and hours and window > hours:
        errors.append(f"the {window}h window runs into the next window, {hours}h later")
    if errors:
        return ScheduleAnalysis(expression, tuple(errors))
    # rate() windows start at 00:00 UTC; a rate in hours repeats every `hours` from there.
    step = math.gcd(hours, 24)
    starts = range(0, 24, step) if in_hours else range(0, 1)
    return ScheduleAnalysis(expression, (), daily_windows=tuple((s, min(s + window, 24)) for s in starts))


def _analyse_cron(expression: str, fields: list[str], window_hours: Optional[int]) -> ScheduleAnalysis:
    if len(fields) != 6:
        return ScheduleAnalysis(expression, (f"a cron() expression has 6 fields, this one has {len(fields)}",))
    minute, _hour, day_of_month, _month, _week_day, year = fields
    errors = []
    if minute != "0":
        errors.append(f"minutes must be 0 (rotation windows open on the hour), not {minute!r}")
    if year != "*":
        errors.append(f"the year field must be '*', not {year!r}")
    if "W" in day_of_month.upper():
        errors.append("Secrets Manager cron() does not support 'W' (nearest weekday) in day-of-month")
    try:
        croniter = AwsCroniter(" ".join(fields))
    except Exception as error:  # aws_croniter raises its own exception types for each field.
        errors.append(str(error))
    if errors:
        return ScheduleAnalysis(expression, tuple(errors))

    starts = _occurrences(croniter)
    if not starts:
        return ScheduleAnalysis(expression, ("matches no date at all, so the secret would never rotate",))
    if len(starts) < 2:
        return ScheduleAnalysis(
            expression, (f"matches only once in four years ({starts[0]:%Y-%m-%d}): slower than every 999 days",)
        )
    gaps = [later - earlier for earlier, later in pairwise(starts)]
    if min(gaps) < MIN_INTERVAL:
        errors.append("rotates more often than every 4 hours, the Secrets Manager minimum")
    if max(gaps) > MAX_INTERVAL:
        errors.append("rotates less often than every 999 days, the Secrets Manager maximum")
    in_hours = any(a.date() == b.date() for a, b in pairwise(starts))
    windows = []
    for start in starts:
        hours = window_hours if window_hours is not None else (1 if in_hours else 24 - start.hour)
        windows.append(Window(start, start + dt.timedelta(hours=hours)))
    past_midnight = next((w for w in windows if w.end > _next_midnight(w.start)), None)
    if past_midnight:
        errors.append(f"the window {past_midnight} runs past 00:00 UTC; it must end by the end of the UTC day")
    overrun = next(((w, n) for w, n in zip(windows, starts[1:], strict=False) if w.end > n), None)
    if overrun:
        errors.append(f"the window {overrun[0]} runs into the next window at {overrun[1]:%Y-%m-%d %H:%M} UTC")
    capped = len(starts) >= MAX_OCCURRENCES
    return ScheduleAnalysis(
        expression,
        tuple(errors),
        windows=tuple(windows),
        covered_until=starts[-1] if capped else HORIZON_END,
    )


def _occurrences(croniter: AwsCroniter) -> list[dt.datetime]:
    starts: list[dt.datetime] = []
    cursor = HORIZON_START - dt.timedelta(seconds=1)
    while len(starts) < MAX_OCCURRENCES:
        found = croniter.occurrence(cursor).next()
        if found is None or found >= HORIZON_END:
            break
        starts.append(found)
        cursor = found
    return starts


def _next_midnight(moment: dt.datetime) -> dt.datetime:
    return dt.datetime.combine(moment.date() + dt.timedelta(days=1), dt.time(), tzinfo=UTC)


MIN_GAP = dt.timedelta(hours=1)
"""How far apart an admin window and a child window must be, end of one to start of the other: a
rotation that starts just before its window closes is still running after it."""


@dataclass(frozen=True)
class Clash:
    """Where two schedules' windows first come closer than the gap."""

    first: Optional[dt.date]
    """The first day it happens, or None when it happens on any day (two rate() schedules)."""
    where: str
    """The two windows, as a person reads them."""


def first_clash(a: ScheduleAnalysis, b: ScheduleAnalysis, gap: dt.timedelta = MIN_GAP) -> Optional[Clash]:
    """The first time windows of ``a`` and ``b`` overlap or come closer than ``gap``, or None."""
    if a.errors or b.errors:
        return None
    if a.is_rate and b.is_rate:
        return Clash(None, "both are rate() schedules, whose windows all open at 00:00 UTC")
    if a.is_rate or b.is_rate:
        rate, cron = (a, b) if a.is_rate else (b, a)
        return _first_rate_clash(rate, cron, gap)
    until = min(a.covered_until, b.covered_until)
    i = j = 0
    while i < len(a.windows) and j < len(b.windows):
        wa, wb = a.windows[i], b.windows[j]
        if min(wa.start, wb.start) >= until:
            return None
        if _close(wa, wb, gap):
            return Clash(min(wa.start, wb.start).date(), f"{wa} and {wb}")
        # Windows of one schedule never overlap each other: the one that ends first cannot come
        # close to any later window of the other schedule.
        if wa.end <= wb.end:
            i += 1
        else:
            j += 1
    return None


def _close(a: Window, b: Window, gap: dt.timedelta) -> bool:
    return a.start < b.end + gap and b.start < a.end + gap


def _first_rate_clash(rate: ScheduleAnalysis, cron: ScheduleAnalysis, gap: dt.timedelta) -> Optional[Clash]:
    """A rate() window may fall on any day: compare each cron window with the rate() windows of
    the same day and of the days before and after (a window ending at 24:00 is close to 00:00)."""
    for window in cron.windows:
        midnight = dt.datetime.combine(window.start.date(), dt.time(), tzinfo=UTC)
        for offset in (-1, 0, 1):
            day = midnight + dt.timedelta(days=offset)
            for start, end in rate.daily_windows:
                candidate = Window(day + dt.timedelta(hours=start), day + dt.timedelta(hours=end))
                if _close(window, candidate, gap):
                    return Clash(
                        window.start.date(),
                        f"{window} and the rate() window {candidate} (rate() windows open at 00:00 UTC on days "
                        "you do not choose)",
                    )
    return None
