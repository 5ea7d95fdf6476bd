"""KeyRotation: when one secret rotates, as a Secrets Manager schedule expression and window.

A KeyRotation is only a description until a construct renders it: its arguments are checked
then, so that a wrong argument is reported with the construct path and the prop it was given to
(``KeyRotation.cron(hour=3)`` → "`rotation`: got KeyRotation.cron(hour=3); `hour` must be a string").
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import pairwise
from typing import Optional

from aws_cdk import Duration, Token
from aws_cdk import aws_secretsmanager as secretsmanager

from ._schedule import MIN_GAP, ScheduleAnalysis, analyse, first_clash
from ._schedule_words import describe_schedule
from .validation import Problems, describe, duration_millis, is_unresolved

_WINDOW_ALLOWED = "`window` must be a Duration of whole hours from 1 to 24, e.g. Duration.hours(2)"
_DEPLOY_TIME_WINDOW = (
    "; a window known only at deploy time as Duration.hours(<number token>), e.g. "
    "Duration.hours(param.value_as_number) or Duration.hours(Token.as_number(<string token>)), which "
    "CloudFormation receives as '<hours>h'"
)
WINDOW_RULES = "rotation window of whole hours from 1 to 24, ending by 24:00 UTC and before the next window opens"
"""How the window checks are named where a deploy-time window skips them."""
SHORTEST_WINDOW_HOURS = 1
"""The shortest rotation window Secrets Manager takes (a ``Duration`` of whole hours from 1)."""
_INTERVAL_ALLOWED = "`interval` must be a Duration of whole hours (at least 4) or whole days (at most 999)"
_CRON_FIELD = re.compile(r"\S+")
_CRON_EXAMPLES = {
    "minute": "'0'",
    "hour": "'3', '2,14', '9-17' or '0/6'",
    "day": "'1', '1,15' or 'L'",
    "month": "'*', '1-6' or 'JAN,JUL'",
    "week_day": "'MON', 'MON-FRI' or '2#1'",
}
_CRON_DEFAULTS: dict[str, Optional[str]] = {"minute": "0", "hour": "0", "day": None, "month": "*", "week_day": None}


@functools.lru_cache(maxsize=256)
def _rotation_rules(
    schedule_expression: str, duration: Optional[str]
) -> secretsmanager.CfnRotationSchedule.RotationRulesProperty:
    """One struct per distinct schedule (a family's keys share one; jsii type-checks each one made)."""
    # The generated struct class, never a dict: jsii silently drops a snake_case dict.
    return secretsmanager.CfnRotationSchedule.RotationRulesProperty(
        schedule_expression=schedule_expression, duration=duration
    )


@dataclass(frozen=True)
class RenderedRotation:
    """A KeyRotation turned into what CloudFormation receives, plus its analysis when literal."""

    schedule_expression: str
    window_hours: Optional[int]
    analysis: Optional[ScheduleAnalysis]
    rotation: Optional[KeyRotation] = None
    """The KeyRotation it was rendered from."""
    deploy_time_duration: Optional[str] = None
    """The ``Duration`` property of a window known only at deploy time (``"<token>h"``)."""
    shortest: Optional[ScheduleAnalysis] = None
    """For a window known only at deploy time: the analysis with the shortest window (1 hour), whose
    clashes every window has."""

    @property
    def duration(self) -> Optional[str]:
        """The ``Duration`` property (``"2h"``), or None for the Secrets Manager default window."""
        if self.deploy_time_duration is not None:
            return self.deploy_time_duration
        return None if self.window_hours is None else f"{self.window_hours}h"

    def rotation_rules(self) -> secretsmanager.CfnRotationSchedule.RotationRulesProperty:
        return _rotation_rules(self.schedule_expression, self.duration)

    @property
    def words(self) -> Optional[str]:
        """The schedule as a person says it ("monthly on the 15th, 02:00-04:00 UTC", with an en dash), None for a token
        or an expression too unusual to put in words."""
        if is_unresolved(self.schedule_expression) or self.deploy_time_duration is not None:
            return None
        return describe_schedule(self.schedule_expression, self.window_hours)

    def __str__(self) -> str:
        """``cron(0 2 15 * ? *), window 2h (monthly on the 15th, 02:00-04:00 UTC)`` (an en dash in the text)."""
        text = self.schedule_expression + (f", window {self.duration}" if self.duration else "")
        words = self.words
        return text if words is None else f"{text} ({words})"


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
        self._factory = "KeyRotation"
        self._cron: Optional[dict[str, object]] = None
        self._rendered: Optional[RenderedRotation] = None

    @classmethod
    def every(cls, interval: Duration, *, window: Optional[Duration] = None) -> KeyRotation:
        """Rotate every ``interval`` (a ``rate()`` expression); windows start at 00:00 UTC.

        :param interval: whole hours (at least 4) or whole days (at most 999).
        :param window: length of the rotation window in whole hours (1-24).
            Default: - 1 hour for an interval in hours, the rest of the UTC day for days.
        """
        rotation = cls(expression=None, interval=interval, window=window)
        rotation._factory = "every"
        return rotation

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
        :param hour: hour(s) of the day, 0-23, as a string (``"3"``, ``"2,14"``, ``"0/6"``). Default: "0"
        :param day: day(s) of the month; excludes ``week_day``. Default: - "*" unless ``week_day`` is set
        :param month: month(s), 1-12 or JAN-DEC. Default: "*"
        :param week_day: day(s) of the week, 1-7 or SUN-SAT (``2#1``: first Monday); excludes ``day``.
            Default: - any
        :param window: length of the rotation window in whole hours (1-24).
            Default: - 1 hour for several rotations a day, otherwise the rest of the UTC day
        """
        rotation = cls(expression=None, interval=None, window=window)
        rotation._factory = "cron"
        rotation._cron = {"minute": minute, "hour": hour, "day": day, "month": month, "week_day": week_day}
        return rotation

    @classmethod
    def expression(cls, expression: str, *, window: Optional[Duration] = None) -> KeyRotation:
        """Rotate on a raw Secrets Manager schedule expression (``rate(...)`` or ``cron(...)``).

        A token (e.g. a parameter) is accepted; its checks are skipped with a warning.

        :param expression: the ``ScheduleExpression``.
        :param window: length of the rotation window in whole hours (1-24).
            Default: - the Secrets Manager default window
        """
        rotation = cls(expression=expression, interval=None, window=window)
        rotation._factory = "expression"
        return rotation

    @property
    def window(self) -> Optional[Duration]:
        """The rotation window, or None for the Secrets Manager default."""
        return self._window

    def __repr__(self) -> str:
        """The call that made this rotation, e.g. ``KeyRotation.cron(hour='2', window=Duration.hours(2))``."""
        window = [] if self._window is None else [f"window={describe(self._window)}"]
        if self._factory == "cron" and self._cron is not None:
            given = [f"{k}={describe(v)}" for k, v in self._cron.items() if v != _CRON_DEFAULTS[k]]
            return f"KeyRotation.cron({', '.join(given + window)})"
        if self._factory == "every":
            return f"KeyRotation.every({', '.join([describe(self._interval), *window])})"
        if self._factory == "expression":
            return f"KeyRotation.expression({', '.join([describe(self._expression), *window])})"
        arguments = [f"expression={describe(self._expression)}", f"interval={describe(self._interval)}"]
        return f"KeyRotation({', '.join(arguments + window)})"

    def describe(self) -> str:
        """The schedule as CloudFormation gets it and as a person says it, e.g.
        ``cron(0 2 15 * ? *), window 2h (monthly on the 15th, 02:00-04:00 UTC)`` (an en dash in the text).

        A deploy-time expression is shown as its token; an invalid rotation as the call that made it.
        """
        rendered = self._render(Problems(), "rotation")
        return repr(self) if rendered is None else str(rendered)

    def __str__(self) -> str:
        """Same as :meth:`describe`."""
        return self.describe()

    def _render(self, problems: Problems, prop: str) -> Optional[RenderedRotation]:
        """Check this rotation and turn it into CloudFormation values; None if it is invalid.

        :param problems: where to record what is wrong.
        :param prop: the prop name to report problems under, e.g. ``"rotation"``.
        """
        if self._rendered is not None:
            return self._rendered
        count = len(problems)
        window = self._window_hours(problems, prop)
        expression = self._render_expression(problems, prop)
        if expression is None or len(problems) > count:
            return None
        # A window known only at deploy time: written as its token, its rules and the distance to
        # other windows unchecked; a literal expression is still checked (with the default window).
        window_hours, deploy_time = (None, window) if isinstance(window, str) else (window, None)
        if deploy_time is not None:
            problems.skip(prop, WINDOW_RULES)
        if is_unresolved(expression):
            problems.skip(prop, "schedule expression rules and window distance from the admin's")
            return RenderedRotation(expression, window_hours, None, self, deploy_time)
        analysis = analyse(expression, window_hours)
        words = describe_schedule(expression, window_hours) if deploy_time is None else None
        received = repr(self) if words is None else f"{self!r} ({words})"
        for error in analysis.errors:
            problems.add(prop, received, error)
        if analysis.errors:
            return None
        if deploy_time is not None:
            shortest = analyse(expression, SHORTEST_WINDOW_HOURS)
            return RenderedRotation(expression, None, None, self, deploy_time, None if shortest.errors else shortest)
        # A valid literal schedule records nothing, so the next render (each child of a family
        # renders the family's schedule) can reuse it instead of reading the Durations through jsii.
        self._rendered = RenderedRotation(expression, window_hours, analysis, self)
        return self._rendered

    def _render_expression(self, problems: Problems, prop: str) -> Optional[str]:
        if self._cron is not None:
            return self._cron_expression(problems, prop)
        if self._factory == "expression" or (self._factory == "KeyRotation" and self._interval is None):
            if not isinstance(self._expression, str):
                problems.add(prop, repr(self), "`expression` must be a string such as 'cron(0 6 1 * ? *)'")
                return None
            if not problems.refuse_key_shapes(prop, repr(self), "a schedule expression such as 'cron(0 6 1 * ? *)'"):
                return None
            return self._expression
        return self._rate_expression(problems, prop)

    def _cron_expression(self, problems: Problems, prop: str) -> Optional[str]:
        assert self._cron is not None
        fields: dict[str, str] = {}
        valid = True
        for name, value in self._cron.items():
            if value is None and _CRON_DEFAULTS[name] is None:
                continue  # day / week_day not given
            if not isinstance(value, str) or not (is_unresolved(value) or _CRON_FIELD.fullmatch(value)):
                problems.add(
                    prop,
                    repr(self),
                    f"`{name}` must be one cron field as a string, without spaces, e.g. {_CRON_EXAMPLES[name]}",
                )
                valid = False
                continue
            fields[name] = value
        if "day" in fields and "week_day" in fields:
            problems.add(
                prop,
                repr(self),
                "give `day` or `week_day`, not both (a cron() schedule matches days of the month or days of the week)",
            )
            valid = False
        if not valid:
            return None
        if "week_day" in fields:
            day, week_day = fields.get("day", "?"), fields["week_day"]
        else:
            day, week_day = fields.get("day", "*"), "?"
        return f"cron({fields['minute']} {fields['hour']} {day} {fields['month']} {week_day} *)"

    def _rate_expression(self, problems: Problems, prop: str) -> Optional[str]:
        interval = self._interval
        if not isinstance(interval, Duration):
            problems.add(prop, repr(self), _INTERVAL_ALLOWED)
            return None
        hours = _hours(interval)
        if hours is None:
            problems.add(
                prop,
                repr(self),
                f"{_INTERVAL_ALLOWED}, known at synth time; for a schedule known only at deploy time, "
                "use KeyRotation.expression(<token>)",
            )
            return None
        if not hours.is_integer() or hours <= 0:
            problems.add(prop, repr(self), _INTERVAL_ALLOWED)
            return None
        whole = int(hours)
        if whole % 24 == 0:
            days = whole // 24
            return f"rate({days} {'day' if days == 1 else 'days'})"
        return f"rate({whole} {'hour' if whole == 1 else 'hours'})"

    def _window_hours(self, problems: Problems, prop: str) -> Optional[int | str]:
        """The window in whole hours; for a window known only at deploy time, its ``Duration``
        property (``"<token>h"``); None for the default window or when it is invalid (recorded)."""
        window = self._window
        if window is None:
            return None
        if not isinstance(window, Duration):
            problems.add(prop, repr(self), _WINDOW_ALLOWED + (_DEPLOY_TIME_WINDOW if is_unresolved(window) else ""))
            return None
        hours = _hours(window)
        if hours is None:
            try:  # Duration.hours(<token>): the token itself; in another unit it cannot be converted
                return f"{Token.as_string(window.to_hours())}h"
            except RuntimeError:  # jsii: "Duration must be specified as 'Duration.hours()' here ..."
                problems.add(prop, repr(self), _WINDOW_ALLOWED + _DEPLOY_TIME_WINDOW)
                return None
        if not hours.is_integer() or not 1 <= hours <= 24:
            problems.add(prop, repr(self), _WINDOW_ALLOWED)
            return None
        return int(hours)


def _hours(duration: Duration) -> Optional[float]:
    """The duration in (possibly fractional) hours, or None for a deploy-time value."""
    millis = duration_millis(duration)
    return None if millis is None else millis / 3_600_000


def check_windows_apart(
    problems: Problems,
    prop: str,
    child: Optional[RenderedRotation],
    admin: Optional[RenderedRotation],
    *,
    given: bool = True,
) -> None:
    """Refuse a child schedule whose windows come within an hour of its admin's windows
    (``given``: False when ``child`` is the default of a prop the user did not give, which the
    message says).

    An admin rotation deletes the old key pair before it promotes the new one; a child rotation
    that reads the admin secret in that gap fails and blocks later rotations (reference section 2).
    A rotation that starts late in its window is still running after the window closes, hence
    the hour between the end of one window and the start of the other, in both directions.
    """
    if child is None or admin is None:
        return
    if child.analysis is None or admin.analysis is None:
        # A window known only at deploy time: a clash with its shortest window is a clash with any.
        child_at_least, admin_at_least = child.analysis or child.shortest, admin.analysis or admin.shortest
        certain = (
            None if child_at_least is None or admin_at_least is None else first_clash(child_at_least, admin_at_least)
        )
        if certain is None:
            problems.skip(prop, "window distance from the admin secret's rotation")
            return
        received = _as_received(child, given, words=False)
        whose = " and ".join(
            side for side, rendered in (("this", child), ("the admin secret's", admin)) if rendered.analysis is None
        )
        problems.add(
            prop,
            received,
            f"its rotation windows must stay at least {int(MIN_GAP.total_seconds() // 3600)} hour away from the "
            f"admin secret's ({admin}), before and after; {whose} window is known only at deploy time, and even "
            f"at its shortest ({SHORTEST_WINDOW_HOURS} hour, the length shown) they come too close: "
            f"{certain.where}; open the child's window at another hour or on other days, with a cron() schedule "
            "(a rate() window cannot be moved)",
        )
        return
    clash = first_clash(child.analysis, admin.analysis)
    if clash is None:
        return
    proposal = propose_child_rotation(child, admin.analysis)
    when = "on any day" if clash.first is None else f"first on {clash.first:%Y-%m-%d}"
    gap_hours = int(MIN_GAP.total_seconds() // 3600)
    advice = (
        f"a window that passes ({_words_of(proposal)}): {proposal!r}"
        if proposal is not None
        else "no child window can stay that far from this admin schedule: give the admin a cron() schedule "
        "with a shorter window, e.g. KeyRotation.cron(hour='2', day='15', window=Duration.hours(2))"
    )
    received = _as_received(child, given, words=True)
    problems.add(
        prop,
        received,
        f"its rotation windows must stay at least {gap_hours} hour away from the admin secret's ({admin}), "
        f"before and after, so that a child never reads the admin key while the admin key rotates; "
        f"too close {when}: {clash.where}; {advice}",
    )


def _as_received(child: RenderedRotation, given: bool, *, words: bool) -> str:
    """A refused child schedule as the message shows it: as written, its words if asked, and that it
    is the default when the prop was not given."""
    received = repr(child.rotation) if child.rotation is not None else repr(child.schedule_expression)
    if words and child.words is not None:
        received = f"{received} ({child.words})"
    return received if given else f"{received}, the default (not given)"


def _words_of(rotation: KeyRotation) -> str:
    rendered = rotation._render(Problems(), "rotation")
    words = None if rendered is None else rendered.words
    return words if words is not None else rotation.describe()


def propose_child_rotation(child: RenderedRotation, admin: ScheduleAnalysis) -> Optional[KeyRotation]:
    """A schedule like ``child``'s (same days, another hour or a shorter window) whose windows stay
    an hour away from ``admin``'s; failing that, a monthly one; None when none of the first
    :data:`_MAX_PROPOSALS` candidates does (the admin's windows then leave no room)."""
    if admin.is_rate and _longest_free_stretch(admin.daily_windows) < 2 * MIN_GAP + dt.timedelta(hours=1):
        return None  # no one-hour window fits between two rate() windows with an hour on each side
    for tried, candidate in enumerate(_candidates(child, admin)):
        if tried >= _MAX_PROPOSALS:
            break
        rendered = candidate._render(Problems(), "rotation")
        if rendered is not None and rendered.analysis is not None and first_clash(rendered.analysis, admin) is None:
            return candidate
    return None


def _longest_free_stretch(daily_windows: tuple[tuple[int, int], ...]) -> dt.timedelta:
    """The longest time between two rate() windows, which repeat every day."""
    starts_ends = sorted(daily_windows)
    gaps = [later[0] - earlier[1] for earlier, later in pairwise(starts_ends)]
    gaps.append(starts_ends[0][0] + 24 - starts_ends[-1][1])  # from the last window to the next day's first
    return dt.timedelta(hours=max(gaps))


_MAX_PROPOSALS = 200
"""Bounds the search on the error path; a free hour is found within the first few dozen
candidates unless the admin's windows cover whole days."""


def _candidates(child: RenderedRotation, admin: ScheduleAnalysis) -> Iterator[KeyRotation]:
    source = child.rotation
    given = child.window_hours
    widths = list(dict.fromkeys([given or 2, *(w for w in (2, 1) if w < (given or 2))]))
    fields = child.schedule_expression.removeprefix("cron(").removesuffix(")").split()
    if child.schedule_expression.startswith("cron(") and len(fields) == 6 and fields[1].isdigit():
        # Same days, another hour: the nearest later hours first.
        hours = [(int(fields[1]) + step) % 24 for step in range(1, 24)]
        for width in widths:
            for hour in (h for h in hours if h + width <= 24):
                if source is not None and source._cron is not None:
                    arguments = {k: v for k, v in source._cron.items() if k != "hour"}
                    yield KeyRotation.cron(hour=str(hour), window=Duration.hours(width), **arguments)  # type: ignore[arg-type]
                else:
                    expression = f"cron({' '.join([fields[0], str(hour), *fields[2:]])})"
                    yield KeyRotation.expression(expression, window=Duration.hours(width))
    # Monthly, away from the admin's first window: a rate() admin may rotate on any day, so only
    # the hour matters then.
    first_day = admin.windows[0].start.day if admin.windows else 1
    days = [1] if admin.is_rate else [(first_day - 1 + offset) % 28 + 1 for offset in (14, 7, 21, 10, 3, 17, 24)]
    for width in widths:
        for day in days:
            for hour in range(0, 25 - width):
                yield KeyRotation.cron(hour=str(hour), day=str(day), window=Duration.hours(width))
