"""KeyRotation: when one secret rotates, as a Secrets Manager schedule expression and window."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from aws_cdk import Duration, Token
from aws_cdk import aws_secretsmanager as secretsmanager

from ._schedule import ScheduleAnalysis, analyse, first_shared_window
from .validation import Problems

_WINDOW_ALLOWED = "a Duration of whole hours from 1 to 24, e.g. Duration.hours(2)"


@dataclass(frozen=True)
class RenderedRotation:
    """A KeyRotation turned into what CloudFormation receives, plus its analysis when literal."""

    schedule_expression: str
    window_hours: Optional[int]
    analysis: Optional[ScheduleAnalysis]

    @property
    def duration(self) -> Optional[str]:
        """The ``Duration`` property (``"2h"``), or None for the Secrets Manager default window."""
        return None if self.window_hours is None else f"{self.window_hours}h"

    def rotation_rules(self) -> secretsmanager.CfnRotationSchedule.RotationRulesProperty:
        # The generated struct class, never a dict: jsii silently drops a snake_case dict.
        return secretsmanager.CfnRotationSchedule.RotationRulesProperty(
            schedule_expression=self.schedule_expression, duration=self.duration
        )


class KeyRotation:
    """The rotation schedule of one secret: a ``rate()`` or ``cron()`` expression and a window.

    Secrets Manager rotates at any time inside the window, in UTC. Prefer :meth:`cron`: every
    ``rate()`` window starts at 00:00 UTC, so two rate() schedules always share their windows,
    which makes an admin rotation race its children's rotations.
    """

    def __init__(self, *, expression: Optional[str], interval: Optional[Duration], window: Optional[Duration]) -> None:
        """Use :meth:`every`, :meth:`cron` or :meth:`expression` instead.

        :param expression: a schedule expression, or None with ``interval``.
        :param interval: a rate interval, or None with ``expression``.
        :param window: the rotation window, or None for the Secrets Manager default.
        """
        self._expression = expression
        self._interval = interval
        self._window = window

    @classmethod
    def every(cls, interval: Duration, *, window: Optional[Duration] = None) -> KeyRotation:
        """Rotate every ``interval`` (a ``rate()`` expression); windows start at 00:00 UTC.

        :param interval: whole hours (at least 4) or whole days (at most 999).
        :param window: length of the rotation window in whole hours (1-24).
            Default: - 1 hour for an interval in hours, the rest of the UTC day for days.
        """
        return cls(expression=None, interval=interval, window=window)

    @classmethod
    def cron(
        cls,
        *,
        minute: str = "0",
        hour: str = "0",
        day: Optional[str] = None,
        month: str = "*",
        week_day: Optional[str] = None,
        window: Optional[Duration] = None,
    ) -> KeyRotation:
        """Rotate on a ``cron()`` schedule (UTC); the window opens at ``hour``:00.

        :param minute: must be ``"0"`` (windows open on the hour). Default: "0"
        :param hour: hour(s) of the day, 0-23. Default: "0"
        :param day: day(s) of the month; excludes ``week_day``. Default: - "*" unless ``week_day`` is set
        :param month: month(s), 1-12 or JAN-DEC. Default: "*"
        :param week_day: day(s) of the week, 1-7 or SUN-SAT (``2#1``: first Monday). Default: - any
        :param window: length of the rotation window in whole hours (1-24).
            Default: - 1 hour for several rotations a day, otherwise the rest of the UTC day
        """
        if week_day is None:
            day_field, week_day_field = (day if day is not None else "*"), "?"
        else:
            day_field, week_day_field = (day if day is not None else "?"), week_day
        fields = (minute, hour, day_field, month, week_day_field, "*")
        return cls(expression=f"cron({' '.join(fields)})", interval=None, window=window)

    @classmethod
    def expression(cls, expression: str, *, window: Optional[Duration] = None) -> KeyRotation:
        """Rotate on a raw Secrets Manager schedule expression (``rate(...)`` or ``cron(...)``).

        A token (e.g. a parameter) is accepted; its checks are skipped with a warning.

        :param expression: the ``ScheduleExpression``.
        :param window: length of the rotation window in whole hours (1-24).
            Default: - the Secrets Manager default window
        """
        return cls(expression=expression, interval=None, window=window)

    @property
    def window(self) -> Optional[Duration]:
        """The rotation window, or None for the Secrets Manager default."""
        return self._window

    def __repr__(self) -> str:
        what = self._expression if self._expression is not None else f"every {self._interval}"
        return f"KeyRotation({what!r}, window={self._window})"

    def render(self, problems: Problems, prop: str) -> Optional[RenderedRotation]:
        """Check this rotation and turn it into CloudFormation values; None if it is invalid.

        :param problems: where to record what is wrong.
        :param prop: the prop name to report problems under, e.g. ``"rotation"``.
        """
        count = len(problems)
        window_hours = _window_hours(problems, f"{prop}.window", self._window)
        expression = self._expression if self._expression is not None else _rate(problems, prop, self._interval)
        if expression is None or len(problems) > count:
            return None
        if Token.is_unresolved(expression):
            problems.skip(prop, "schedule expression rules and window overlaps")
            return RenderedRotation(expression, window_hours, None)
        analysis = analyse(expression, window_hours)
        for error in analysis.errors:
            problems.add(prop, repr(self), error)
        return None if analysis.errors else RenderedRotation(expression, window_hours, analysis)


def _hours(duration: Duration) -> Optional[float]:
    """The duration in (possibly fractional) hours, or None for a deploy-time value."""
    return None if Token.is_unresolved(duration) else duration.to_seconds() / 3600


def _window_hours(problems: Problems, prop: str, window: Optional[Duration]) -> Optional[int]:
    if window is None:
        return None
    if not isinstance(window, Duration):
        problems.add(prop, f"{type(window).__name__} {window!r}", _WINDOW_ALLOWED)
        return None
    hours = _hours(window)
    if hours is None:
        problems.add(prop, "a deploy-time Duration", f"{_WINDOW_ALLOWED} known at synth time")
        return None
    if not hours.is_integer() or not 1 <= hours <= 24:
        problems.add(prop, window.to_human_string(), _WINDOW_ALLOWED)
        return None
    return int(hours)


def _rate(problems: Problems, prop: str, interval: Optional[Duration]) -> Optional[str]:
    allowed = "a Duration of whole hours (at least 4) or whole days (at most 999)"
    if not isinstance(interval, Duration):
        problems.add(prop, f"{type(interval).__name__} {interval!r}", allowed)
        return None
    hours = _hours(interval)
    if hours is None:
        problems.add(prop, "a deploy-time Duration", allowed + "; for a deploy-time value use KeyRotation.expression()")
        return None
    if not hours.is_integer() or hours <= 0:
        problems.add(prop, interval.to_human_string(), allowed)
        return None
    whole = int(hours)
    if whole % 24 == 0:
        days = whole // 24
        return f"rate({days} {'day' if days == 1 else 'days'})"
    return f"rate({whole} {'hour' if whole == 1 else 'hours'})"


def check_windows_apart(
    problems: Problems, prop: str, child: Optional[RenderedRotation], admin: Optional[RenderedRotation]
) -> None:
    """Refuse a child schedule that can rotate while its admin secret rotates.

    An admin rotation deletes the old key pair before it promotes the new one; a child rotation
    that reads the admin secret in that gap fails and blocks later rotations (reference section 2).
    """
    if child is None or admin is None:
        return
    if child.analysis is None or admin.analysis is None:
        problems.skip(prop, "window overlap with the admin secret's rotation")
        return
    shared = first_shared_window(child.analysis, admin.analysis)
    if shared:
        problems.add(
            prop,
            repr(child.schedule_expression) + (f" window {child.duration}" if child.duration else ""),
            f"its rotation window meets the admin secret's ({admin.schedule_expression!r}) at {shared}; "
            "choose cron() schedules whose windows never meet, so a child never reads the admin key "
            "while the admin key rotates",
        )
