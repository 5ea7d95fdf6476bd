"""KeyRotation: rendering, the Secrets Manager schedule rules, and admin/child window separation."""

from __future__ import annotations

from typing import Optional

import pytest
from aws_cdk import Duration, Token

from ddsecrets_constructs import DatadogAdminKeySecret, DatadogApiKeySecret, DdSecretsValidationError, KeyRotation
from ddsecrets_constructs.defaults import ADMIN_ROTATION, KEY_ROTATION
from ddsecrets_constructs.rotation import RenderedRotation, check_windows_apart
from ddsecrets_constructs.validation import Problems
from tests.support import API_KEY_ID, ROTATION_VARIANTS, admin_props, built, new_stack, param


def render(rotation: KeyRotation) -> tuple[Optional[RenderedRotation], list[str]]:
    problems = Problems()
    rendered = rotation.render(problems, "rotation")
    return rendered, [p.allowed for p in problems._problems]


@pytest.mark.parametrize(
    ("rotation", "expression", "duration"),
    [
        (KeyRotation.every(Duration.hours(12)), "rate(12 hours)", None),
        (KeyRotation.every(Duration.hours(4), window=Duration.hours(1)), "rate(4 hours)", "1h"),
        (KeyRotation.every(Duration.hours(24)), "rate(1 day)", None),
        (KeyRotation.every(Duration.days(1)), "rate(1 day)", None),
        (KeyRotation.every(Duration.days(30), window=Duration.hours(3)), "rate(30 days)", "3h"),
        (KeyRotation.every(Duration.days(999)), "rate(999 days)", None),
        (KeyRotation.cron(), "cron(0 0 * * ? *)", None),
        (KeyRotation.cron(hour="6", day="1", window=Duration.hours(2)), "cron(0 6 1 * ? *)", "2h"),
        (KeyRotation.cron(hour="9", week_day="MON-FRI"), "cron(0 9 ? * MON-FRI *)", None),
        (KeyRotation.cron(hour="0/6", window=Duration.hours(1)), "cron(0 0/6 * * ? *)", "1h"),
        (KeyRotation.cron(hour="4", month="JAN,JUL", day="L"), "cron(0 4 L JAN,JUL ? *)", None),
        (KeyRotation.expression("cron(0 12 ? * 2#1 *)", window=Duration.hours(24 - 12)), "cron(0 12 ? * 2#1 *)", "12h"),
    ],
)
def test_renders_schedule_expression_and_window(
    rotation: KeyRotation, expression: str, duration: Optional[str]
) -> None:
    rendered, errors = render(rotation)
    assert errors == []
    assert rendered is not None
    assert (rendered.schedule_expression, rendered.duration) == (expression, duration)


@pytest.mark.parametrize(
    ("rotation", "error"),
    [
        (KeyRotation.every(Duration.hours(3)), "more often than every 4 hours"),
        (KeyRotation.every(Duration.days(1000)), "less often than every 999 days"),
        (KeyRotation.every(Duration.minutes(90)), "whole hours"),
        (KeyRotation.every(Duration.hours(0)), "whole hours"),
        (KeyRotation.every(Duration.hours(6), window=Duration.hours(7)), "runs into the next window"),
        (KeyRotation.every(Duration.days(1), window=Duration.minutes(30)), "whole hours from 1 to 24"),
        (KeyRotation.every(Duration.days(1), window=Duration.hours(25)), "whole hours from 1 to 24"),
        (KeyRotation.cron(hour="23", window=Duration.hours(2)), "runs past 00:00 UTC"),
        (KeyRotation.cron(hour="0,4", window=Duration.hours(6)), "runs into the next window"),
        (KeyRotation.cron(minute="30", hour="2"), "minutes must be 0"),
        (KeyRotation.cron(hour="*"), "more often than every 4 hours"),
        (KeyRotation.cron(hour="0,2"), "more often than every 4 hours"),
        (KeyRotation.cron(hour="2", day="30", month="2"), "matches no date at all"),
        (KeyRotation.cron(hour="2", day="29", month="2"), "slower than every 999 days"),
        (KeyRotation.cron(hour="2", day="15W"), "does not support 'W'"),
        (KeyRotation.cron(hour="25"), "Invalid hour value '25'"),
        (KeyRotation.cron(hour="2", day="1", week_day="MON"), "One must be a question mark"),
        (KeyRotation.expression("cron(0 2 1 1 ? 2027)"), "the year field must be '*'"),
        (KeyRotation.expression("cron(0 2 1 * ?)"), "6 fields"),
        (KeyRotation.expression("rate(5 minutes)"), "not a Secrets Manager schedule"),
        (KeyRotation.expression("every month"), "not a Secrets Manager schedule"),
    ],
)
def test_fails_on_schedules_secrets_manager_refuses(rotation: KeyRotation, error: str) -> None:
    rendered, errors = render(rotation)
    assert rendered is None
    assert any(error in e for e in errors), errors


def test_token_expression_is_accepted_and_its_checks_reported_as_skipped() -> None:
    problems = Problems()
    rendered = KeyRotation.expression(Token.as_string({"Ref": "Schedule"})).render(problems, "rotation")
    assert rendered is not None
    assert rendered.analysis is None
    assert problems._skipped == ["`rotation` (schedule expression rules and window overlaps)"]


def apart(child: KeyRotation, admin: KeyRotation) -> list[str]:
    problems = Problems()
    check_windows_apart(problems, "rotation", child.render(problems, "rotation"), admin.render(problems, "admin"))
    return [p.allowed for p in problems._problems]


def test_default_schedules_never_share_a_window() -> None:
    assert apart(KEY_ROTATION, ADMIN_ROTATION) == []
    admin = render(ADMIN_ROTATION)[0]
    child = render(KEY_ROTATION)[0]
    assert admin is not None
    assert child is not None
    assert admin.schedule_expression.startswith("cron(")
    assert child.schedule_expression.startswith("cron(")


@pytest.mark.parametrize(
    ("child", "admin", "where"),
    [
        (KeyRotation.cron(hour="2", day="15", window=Duration.hours(2)), ADMIN_ROTATION, "2027-01-15 02:00-04:00 UTC"),
        (KeyRotation.cron(hour="3", day="15", window=Duration.hours(2)), ADMIN_ROTATION, "2027-01-15 03:00-05:00 UTC"),
        # 15 February 2027 is a Monday: a weekly child meets a monthly admin there.
        (KeyRotation.cron(hour="2", week_day="MON", window=Duration.hours(1)), ADMIN_ROTATION, "2027-02-15 02:00"),
        (KeyRotation.every(Duration.days(30)), ADMIN_ROTATION, "a rate() window may fall on any day"),
        (KeyRotation.every(Duration.days(7)), KeyRotation.every(Duration.days(30)), "both are rate() schedules"),
        (KeyRotation.cron(hour="0", window=Duration.hours(1)), KeyRotation.every(Duration.days(7)), "any day"),
    ],
)
def test_fails_when_child_window_meets_admin_window(child: KeyRotation, admin: KeyRotation, where: str) -> None:
    (error,) = apart(child, admin)
    assert where in error
    assert "choose cron() schedules whose windows never meet" in error


@pytest.mark.parametrize(
    ("child", "admin"),
    [
        (KeyRotation.cron(hour="4", day="15", window=Duration.hours(2)), ADMIN_ROTATION),  # back to back
        (KeyRotation.cron(hour="2", day="16", window=Duration.hours(2)), ADMIN_ROTATION),
        (KeyRotation.every(Duration.days(7), window=Duration.hours(2)), ADMIN_ROTATION),  # 00:00-02:00
        (KeyRotation.cron(hour="2", week_day="SAT"), KeyRotation.cron(hour="2", week_day="SUN")),
    ],
)
def test_windows_that_never_meet_are_accepted(child: KeyRotation, admin: KeyRotation) -> None:
    assert apart(child, admin) == []


def test_construct_fails_when_its_window_meets_the_admins_and_names_its_path() -> None:
    _, stack = new_stack()
    admin = DatadogAdminKeySecret(stack, "Admin", **admin_props(stack))
    with pytest.raises(
        DdSecretsValidationError, match=r"^TestStack/Api: 1 invalid prop:\n  - `rotation`: got 'rate\(30 days\)'"
    ):
        DatadogApiKeySecret(
            stack,
            "Api",
            admin=admin,
            api_key=param(stack, "Key"),
            api_key_id=API_KEY_ID,
            rotation=KeyRotation.every(Duration.days(30)),
        )


@pytest.mark.parametrize("name", ROTATION_VARIANTS)
def test_each_rotation_reaches_the_template_as_one_schedule_expression(name: str) -> None:
    configuration = built("rotations")
    key = configuration.refs[name]
    rendered = render(ROTATION_VARIANTS[name])[0]
    assert rendered is not None
    schedule = configuration.json["Resources"][configuration.stack.get_logical_id(key.rotation_schedule)]
    rules = schedule["Properties"]["RotationRules"]
    assert "AutomaticallyAfterDays" not in rules
    assert rules["ScheduleExpression"] == rendered.schedule_expression
    assert rules.get("Duration") == rendered.duration
    assert schedule["Properties"]["RotateImmediatelyOnUpdate"] is True
