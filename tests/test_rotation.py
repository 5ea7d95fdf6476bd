"""KeyRotation: rendering, the Secrets Manager schedule rules, and admin/child window separation."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Optional

import pytest
from aws_cdk import CfnCondition, CfnParameter, Duration, Fn, Token
from aws_cdk.assertions import Template

from ddsecrets_constructs import (
    DatadogAdminKeySecret,
    DatadogApiKeySecret,
    DatadogApplicationKeySecret,
    DdSecretsValidationError,
    KeyRotation,
)
from ddsecrets_constructs.defaults import ADMIN_ROTATION, KEY_ROTATION
from ddsecrets_constructs.rotation import RenderedRotation, check_windows_apart
from ddsecrets_constructs.validation import Problems
from tests.support import (
    ROTATION_VARIANTS,
    Built,
    admin_props,
    api_key_id,
    api_keys_rotating,
    app_key_id,
    built,
    new_stack,
    param,
    schedule_resource,
    skipped_checks,
    warnings_of,
)


def render(rotation: KeyRotation) -> tuple[Optional[RenderedRotation], list[str]]:
    problems = Problems()
    rendered = rotation._render(problems, "rotation")
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
        (KeyRotation.expression("cron(0 2 1 * MON *)"), "One must be a question mark"),
        (KeyRotation.expression("cron(0 2 1 1 ? 2027)"), "the year field must be '*'"),
        (KeyRotation.expression("cron(0 2 1 * ?)"), "6 fields"),
        (KeyRotation.expression("rate(5 minutes)"), "not a Secrets Manager schedule"),
        (KeyRotation.expression("every month"), "not a Secrets Manager schedule"),
        # Characters the Secrets Manager API refuses (its service model), e.g. pasted from a web page.
        (KeyRotation.expression("cron(0\u00a06 1 * ? *)"), "(a no-break space or a tab copied from a web page"),
        (KeyRotation.expression("cron(0\t6 1 * ? *)"), "Secrets Manager takes 1-256 characters among letters"),
        (KeyRotation.expression("cron(0 6 1 * ? *)" + " " * 240), "Secrets Manager takes 1-256 characters"),
    ],
)
def test_fails_on_schedules_secrets_manager_refuses(rotation: KeyRotation, error: str) -> None:
    rendered, errors = render(rotation)
    assert rendered is None
    assert any(error in e for e in errors), errors


def test_token_expression_is_accepted_and_its_checks_reported_as_skipped() -> None:
    problems = Problems()
    rendered = KeyRotation.expression(Token.as_string({"Ref": "Schedule"}))._render(problems, "rotation")
    assert rendered is not None
    assert rendered.analysis is None
    assert problems._skipped == ["`rotation` (schedule expression rules and window distance from the admin's)"]


def apart(child: KeyRotation, admin: KeyRotation) -> list[str]:
    problems = Problems()
    check_windows_apart(problems, "rotation", child._render(problems, "rotation"), admin._render(problems, "admin"))
    return [p.allowed for p in problems._problems]


def test_default_schedules_never_share_a_window() -> None:
    assert apart(KEY_ROTATION, ADMIN_ROTATION) == []
    admin = render(ADMIN_ROTATION)[0]
    child = render(KEY_ROTATION)[0]
    assert admin is not None
    assert child is not None
    assert admin.schedule_expression.startswith("cron(")
    assert child.schedule_expression.startswith("cron(")
    # "days apart" (README): one fixed day of the month each, at least two days apart in any month.
    days = [int(r.schedule_expression.split()[2]) for r in (admin, child)]
    gap = abs(days[0] - days[1])
    assert min(gap, 28 - gap) >= 2, days


def proposal_in(error: str) -> KeyRotation:
    """The schedule an error proposes, evaluated as the user would paste it."""
    match = re.search(r"a window that passes \([^()]+\): (KeyRotation\..*)$", error)
    assert match, error
    proposal = eval(match.group(1), {"KeyRotation": KeyRotation, "Duration": Duration})
    assert isinstance(proposal, KeyRotation)
    return proposal


# (child, admin, where it first comes too close). ADMIN_ROTATION is the 15th, 02:00-04:00 UTC.
CLASHES = [
    (KeyRotation.cron(hour="2", day="15", window=Duration.hours(2)), ADMIN_ROTATION, "2027-01-15 02:00-04:00 UTC"),
    (KeyRotation.cron(hour="3", day="15", window=Duration.hours(2)), ADMIN_ROTATION, "2027-01-15 03:00-05:00 UTC"),
    # Back to back, after and before: a rotation that starts at 03:59 is still running at 04:00.
    (KeyRotation.cron(hour="4", day="15", window=Duration.hours(2)), ADMIN_ROTATION, "2027-01-15 04:00-06:00 UTC"),
    (KeyRotation.cron(hour="1", day="15", window=Duration.hours(1)), ADMIN_ROTATION, "2027-01-15 01:00-02:00 UTC"),
    # Across midnight: the admin's window closes at 24:00 on the 14th, the child's opens at 00:00.
    (
        KeyRotation.cron(hour="0", day="15", window=Duration.hours(1)),
        KeyRotation.cron(hour="22", day="14", window=Duration.hours(2)),
        "first on 2027-01-14",
    ),
    # 15 February 2027 is a Monday: a weekly child meets a monthly admin there.
    (KeyRotation.cron(hour="2", week_day="MON", window=Duration.hours(1)), ADMIN_ROTATION, "2027-02-15 02:00"),
    (KeyRotation.every(Duration.days(30)), ADMIN_ROTATION, "rate() windows open at 00:00 UTC on days you do not"),
    (
        KeyRotation.every(Duration.days(7), window=Duration.hours(2)),
        ADMIN_ROTATION,
        "the rate() window 2027-01-15 00:00",
    ),
    (KeyRotation.every(Duration.days(7)), KeyRotation.every(Duration.days(30)), "both are rate() schedules"),
    (KeyRotation.cron(hour="0", window=Duration.hours(1)), KeyRotation.every(Duration.days(7)), "on days you do not"),
    (KeyRotation.expression("cron(0 4 15 * ? *)", window=Duration.hours(1)), ADMIN_ROTATION, "2027-01-15 04:00"),
]


@pytest.mark.parametrize(("child", "admin", "where"), CLASHES)
def test_fails_when_child_window_comes_within_an_hour_of_the_admins(
    child: KeyRotation, admin: KeyRotation, where: str
) -> None:
    (error,) = apart(child, admin)
    assert where in error
    assert "must stay at least 1 hour away from the admin secret's" in error
    assert "before and after" in error


def is_rate(rotation: KeyRotation) -> bool:
    rendered = render(rotation)[0]
    return rendered is not None and rendered.analysis is not None and rendered.analysis.is_rate


# A rate() admin with its default window (the whole day) leaves no room: tested below.
@pytest.mark.parametrize(("child", "admin", "where"), [c for c in CLASHES if not is_rate(c[1])])
def test_a_refused_clash_proposes_a_window_that_passes(child: KeyRotation, admin: KeyRotation, where: str) -> None:
    (error,) = apart(child, admin)
    proposal = proposal_in(error)
    assert apart(proposal, admin) == [], repr(proposal)
    assert render(proposal)[1] == []


def test_a_proposal_keeps_the_childs_days_and_style() -> None:
    (error,) = apart(KeyRotation.cron(hour="3", day="15", window=Duration.hours(2)), ADMIN_ROTATION)
    assert error.endswith(
        "a window that passes (monthly on the 15th, 05:00\N{EN DASH}07:00 UTC): "
        "KeyRotation.cron(hour='5', day='15', window=Duration.hours(2))"
    )
    (error,) = apart(KeyRotation.expression("cron(0 4 15 * ? *)", window=Duration.hours(1)), ADMIN_ROTATION)
    assert error.endswith(
        "a window that passes (monthly on the 15th, 05:00\N{EN DASH}06:00 UTC): "
        "KeyRotation.expression('cron(0 5 15 * ? *)', window=Duration.hours(1))"
    )


def test_when_no_child_window_can_pass_the_error_says_to_change_the_admin() -> None:
    (error,) = apart(KeyRotation.cron(hour="6", day="1"), KeyRotation.every(Duration.days(1)))
    assert "no child window can stay that far from this admin schedule" in error
    assert "give the admin a cron() schedule" in error


@pytest.mark.parametrize(
    ("child", "admin"),
    [
        (KeyRotation.cron(hour="5", day="15", window=Duration.hours(2)), ADMIN_ROTATION),  # one hour after
        (KeyRotation.cron(hour="0", day="15", window=Duration.hours(1)), ADMIN_ROTATION),  # one hour before
        (KeyRotation.cron(hour="2", day="16", window=Duration.hours(2)), ADMIN_ROTATION),
        (KeyRotation.every(Duration.days(7), window=Duration.hours(1)), ADMIN_ROTATION),  # 00:00-01:00
        (
            KeyRotation.cron(hour="2", week_day="SAT"),
            KeyRotation.cron(hour="2", week_day="SUN", window=Duration.hours(2)),
        ),
    ],
)
def test_windows_an_hour_apart_are_accepted(child: KeyRotation, admin: KeyRotation) -> None:
    assert apart(child, admin) == []


def test_construct_fails_when_its_window_meets_the_admins_and_names_its_path() -> None:
    _, stack = new_stack()
    admin = DatadogAdminKeySecret(stack, "Admin", **admin_props(stack))
    with pytest.raises(
        DdSecretsValidationError,
        match=r"^TestStack/Api: 1 invalid prop:\n  - `rotation`: got KeyRotation.every\(Duration.days\(30\)\) "
        r"\(every 30 days, 00:00\u201324:00 UTC\); .*admin secret's \(cron\(0 2 15 \* \? \*\), window 2h "
        r"\(monthly on the 15th, 02:00\u201304:00 UTC\)\)",
    ):
        DatadogApiKeySecret(
            stack,
            "Api",
            admin=admin,
            api_key=param(stack, "Key"),
            api_key_id=api_key_id(stack),
            rotation=KeyRotation.every(Duration.days(30)),
        )


def test_a_default_schedule_that_meets_the_admins_says_it_was_not_given_and_is_not_checked_when_no_key_uses_it() -> (
    None
):
    """The family's ``key_rotation`` and a key's ``rotation`` default to monthly on the 1st: when the
    admin's schedule comes too close to it, the message says that the value is the default, not one
    the user wrote; a family whose keys all have their own schedule, or that has no key, does not
    check that default against the admin's."""
    from ddsecrets_constructs import ApiKeySpec, DatadogManagedSecrets

    every_4_hours = KeyRotation.expression("cron(0 */4 * * ? *)")
    _, stack = new_stack()
    admin = DatadogAdminKeySecret(stack, "Admin", **admin_props(stack, rotation=every_4_hours))
    with pytest.raises(DdSecretsValidationError) as caught:
        DatadogApiKeySecret(stack, "Api", admin=admin, api_key=param(stack, "Key"), api_key_id=api_key_id(stack))
    assert str(caught.value).startswith(
        "TestStack/Api: 1 invalid prop:\n  - `rotation`: got KeyRotation.cron(hour='6', day='1', "
        "window=Duration.hours(2)) (monthly on the 1st, 06:00\N{EN DASH}08:00 UTC), the default (not given); its "
        "rotation windows must stay at least 1 hour away from the admin secret's"
    )
    with pytest.raises(DdSecretsValidationError) as caught:
        DatadogApiKeySecret(
            stack, "Api", admin=admin, api_key=param(stack, "Key"), api_key_id=api_key_id(stack), rotation=KEY_ROTATION
        )
    assert "window=Duration.hours(2)) (monthly on the 1st, 06:00\N{EN DASH}08:00 UTC); its rotation" in str(
        caught.value
    )

    with pytest.raises(DdSecretsValidationError) as caught:
        DatadogManagedSecrets(
            stack,
            "Datadog",
            **admin_props(stack, admin_rotation=every_4_hours),
            api_keys={"agent": ApiKeySpec(api_key=param(stack, "AgentKey"), api_key_id=api_key_id(stack))},
        )
    assert (
        "`key_rotation`: got KeyRotation.cron(hour='6', day='1', window=Duration.hours(2)) (monthly on the 1st, "
        in (str(caught.value))
    )
    assert "06:00\N{EN DASH}08:00 UTC), the default (not given); its rotation windows" in str(caught.value)
    # The same when the admin's window is known only at deploy time (a clash even at its shortest).
    deploy_time = KeyRotation.cron(
        hour="6", day="1", window=Duration.hours(CfnParameter(stack, "Hours", type="Number").value_as_number)
    )
    late = DatadogAdminKeySecret(stack, "LateAdmin", **admin_props(stack, rotation=deploy_time))
    with pytest.raises(DdSecretsValidationError) as caught:
        DatadogApiKeySecret(stack, "Late", admin=late, api_key=param(stack, "Late"), api_key_id=api_key_id(stack))
    assert (
        "  - `rotation`: got KeyRotation.cron(hour='6', day='1', window=Duration.hours(2)), the default (not given); "
        in (str(caught.value))
    )
    on_the_1st = KeyRotation.cron(hour="6", day="1", window=Duration.hours(1))  # where the keys' default is
    own = KeyRotation.cron(hour="12", day="10", window=Duration.hours(2))
    DatadogManagedSecrets(
        stack,
        "OwnSchedules",
        **admin_props(stack, admin_rotation=on_the_1st),
        api_keys={"agent": ApiKeySpec(api_key=param(stack, "OwnKey"), api_key_id=api_key_id(stack), rotation=own)},
    )
    _, alone = new_stack()
    keyless = DatadogManagedSecrets(
        alone, "Datadog", **admin_props(alone, admin_rotation=KeyRotation.every(Duration.days(90)))
    )
    assert dict(keyless.application_keys) == {}
    assert dict(keyless.api_keys) == {}
    (schedule,) = Template.from_stack(alone).find_resources("AWS::SecretsManager::RotationSchedule").values()
    assert schedule["Properties"]["RotationRules"]["ScheduleExpression"] == "rate(90 days)"


# --- wrong arguments ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rotation", "received", "allowed"),
    [
        (KeyRotation.cron(hour=3), "KeyRotation.cron(hour=3)", "`hour` must be one cron field as a string"),  # type: ignore[arg-type]
        (KeyRotation.cron(hour="2 14"), "KeyRotation.cron(hour='2 14')", "`hour` must be one cron field"),
        (KeyRotation.cron(minute=None), "KeyRotation.cron(minute=None)", "`minute` must be one cron field"),  # type: ignore[arg-type]
        (KeyRotation.cron(day=1), "KeyRotation.cron(day=1)", "`day` must be one cron field"),  # type: ignore[arg-type]
        (KeyRotation.cron(week_day=["MON"]), "KeyRotation.cron(week_day=['MON'])", "`week_day` must be"),  # type: ignore[arg-type]
        (KeyRotation.cron(month=""), "KeyRotation.cron(month='')", "`month` must be one cron field"),
        (
            KeyRotation.cron(hour="2", day="1", week_day="MON"),
            "KeyRotation.cron(hour='2', day='1', week_day='MON')",
            "give `day` or `week_day`, not both",
        ),
        (KeyRotation.cron(window=2), "KeyRotation.cron(window=2)", "`window` must be a Duration of whole hours"),  # type: ignore[arg-type]
        (KeyRotation.every("30 days"), "KeyRotation.every('30 days')", "`interval` must be a Duration"),  # type: ignore[arg-type]
        (KeyRotation.every(None), "KeyRotation.every(None)", "`interval` must be a Duration"),  # type: ignore[arg-type]
        (
            KeyRotation.every(Duration.hours(Token.as_number({"Ref": "H"}))),
            "KeyRotation.every(a deploy-time Duration (token))",
            "use KeyRotation.expression(<token>)",
        ),
        (KeyRotation.expression(42), "KeyRotation.expression(42)", "`expression` must be a string"),  # type: ignore[arg-type]
        (
            KeyRotation.expression({"rate": "30 days"}),  # type: ignore[arg-type]
            "KeyRotation.expression({'rate': '30 days'})",
            "`expression` must be a string",
        ),
    ],
)
def test_fails_naming_the_argument_of_a_wrong_keyrotation(rotation: KeyRotation, received: str, allowed: str) -> None:
    problems = Problems()
    assert rotation._render(problems, "rotation") is None
    (problem,) = problems._problems
    assert (problem.prop, problem.received) == ("rotation", received)
    assert allowed in problem.allowed


@pytest.mark.parametrize(
    ("rotation", "received"),
    [
        ("rate(30 days)", "'rate(30 days)'"),
        ({"schedule_expression": "rate(30 days)"}, "{'schedule_expression': 'rate(30 days)'}"),
        (Duration.days(30), "Duration.days(30)"),
    ],
)
def test_construct_fails_on_a_rotation_that_is_not_a_keyrotation(rotation: Any, received: str) -> None:
    _, stack = new_stack()
    with pytest.raises(DdSecretsValidationError) as caught:
        DatadogAdminKeySecret(stack, "Admin", **admin_props(stack), rotation=rotation)
    assert str(caught.value) == (
        f"TestStack/Admin: 1 invalid prop:\n  - `rotation`: got {received}; a KeyRotation, e.g. "
        "KeyRotation.cron(hour='6', day='1', window=Duration.hours(2))"
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


def test_keys_on_one_expression_with_different_windows_each_get_their_own_window() -> None:
    """Schedules share their rotation rules per expression *and* window (5.5.0): each keeps its own."""
    _, stack = new_stack()
    admin = DatadogAdminKeySecret(stack, "Admin", **admin_props(stack))
    windows = {"TwoHours": 2, "FourHours": 4, "DefaultWindow": None}
    expression = "cron(0 20 ? * SAT *)"
    keys = api_keys_rotating(
        stack,
        admin,
        {
            name: KeyRotation.expression(expression, window=None if hours is None else Duration.hours(hours))
            for name, hours in windows.items()
        },
    )
    resources = Template.from_stack(stack).to_json()["Resources"]
    for name, hours in windows.items():
        rules = resources[stack.get_logical_id(keys[name].rotation_schedule)]["Properties"]["RotationRules"]
        assert rules == {
            "ScheduleExpression": "cron(0 20 ? * SAT *)",
            **({} if hours is None else {"Duration": f"{hours}h"}),
        }


# --- in words -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rotation", "described"),
    [
        (ADMIN_ROTATION, "cron(0 2 15 * ? *), window 2h (monthly on the 15th, 02:00\N{EN DASH}04:00 UTC)"),
        (KEY_ROTATION, "cron(0 6 1 * ? *), window 2h (monthly on the 1st, 06:00\N{EN DASH}08:00 UTC)"),
        (
            KeyRotation.cron(hour="20", week_day="SUN", window=Duration.hours(3)),
            "cron(0 20 ? * SUN *), window 3h (weekly on Sunday, 20:00\N{EN DASH}23:00 UTC)",
        ),
        (
            KeyRotation.cron(hour="4", week_day="2#1", month="1,JUL"),
            "cron(0 4 ? 1,JUL 2#1 *) (on the first Monday of January and July, 04:00\N{EN DASH}24:00 UTC)",
        ),
        (
            KeyRotation.cron(hour="1", day="1,15,22", window=Duration.hours(1)),
            "cron(0 1 1,15,22 * ? *), window 1h (monthly on the 1st, 15th and 22nd, 01:00\N{EN DASH}02:00 UTC)",
        ),
        (KeyRotation.cron(hour="3", day="L"), "cron(0 3 L * ? *) (monthly on the last day, 03:00\N{EN DASH}24:00 UTC)"),
        (KeyRotation.every(Duration.days(30)), "rate(30 days) (every 30 days, 00:00\N{EN DASH}24:00 UTC)"),
        (KeyRotation.every(Duration.hours(6)), "rate(6 hours) (every 6 hours, each window 1h)"),
        # Too unusual to put in words: the expression alone, never a guess.
        (KeyRotation.cron(hour="0/6", window=Duration.hours(1)), "cron(0 0/6 * * ? *), window 1h"),
        (KeyRotation.expression(Token.as_string({"Ref": "Schedule"})), "${Token[TOKEN."),
        # Invalid: the call that made it.
        (KeyRotation.cron(hour=3), "KeyRotation.cron(hour=3)"),  # type: ignore[arg-type]
    ],
)
def test_describe_says_the_schedule_as_a_person_would_beside_the_expression(
    rotation: KeyRotation, described: str
) -> None:
    assert rotation.describe().startswith(described)
    assert str(rotation) == rotation.describe()


def test_a_schedule_refused_by_the_rules_is_shown_in_words_too() -> None:
    problems = Problems()
    assert KeyRotation.every(Duration.hours(2))._render(problems, "rotation") is None
    assert problems._problems
    received = {p.received for p in problems._problems}
    assert received == {"KeyRotation.every(Duration.hours(2)) (every 2 hours, each window 1h)"}


@pytest.mark.parametrize(
    ("row", "rotation"), [("Admin schedule", ADMIN_ROTATION), ("API / application key schedule", KEY_ROTATION)]
)
def test_readme_defaults_table_says_each_default_schedule_in_words_and_as_the_expression(
    row: str, rotation: KeyRotation
) -> None:
    rendered = render(rotation)[0]
    assert rendered is not None
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    expected = f"| {row} | {rendered.words}: `{rendered.schedule_expression}`, window `{rendered.duration}` |"
    assert any(line.startswith(expected) for line in readme.splitlines()), expected


# --- deploy-time windows and flags -----------------------------------------------------------------


@pytest.fixture(scope="module")
def deploy_time_schedules() -> Built:
    """An admin whose window and update flag are CloudFormation values (a Number parameter, a
    condition), an API key whose window comes from a String parameter through ``Token.as_number``,
    and an application key whose update flag is a parameter's string."""
    app, stack = new_stack()
    admin_window = CfnParameter(stack, "AdminWindow", type="Number")
    key_window = CfnParameter(stack, "KeyWindow")
    CfnCondition(stack, "RotateNow", expression=Fn.condition_equals(CfnParameter(stack, "Now").value_as_string, "yes"))
    admin = DatadogAdminKeySecret(
        stack,
        "Admin",
        **admin_props(stack),
        rotation=KeyRotation.cron(hour="2", day="15", window=Duration.hours(admin_window.value_as_number)),
        rotate_immediately_on_update=Fn.condition_if("RotateNow", True, False),
    )
    api_key = DatadogApiKeySecret(
        stack,
        "ApiKey",
        admin=admin,
        api_key=param(stack, "ApiKey"),
        api_key_id=api_key_id(stack),
        rotation=KeyRotation.expression(
            "cron(0 6 1 * ? *)", window=Duration.hours(Token.as_number(key_window.value_as_string))
        ),
    )
    app_key = DatadogApplicationKeySecret(
        stack,
        "AppKey",
        admin=admin,
        app_key=param(stack, "AppKey"),
        app_key_id=app_key_id(stack),
        rotate_immediately_on_update=CfnParameter(stack, "RotateAppKey").value_as_string,
    )
    return Built(app, stack, Template.from_stack(stack), {"admin": admin, "api_key": api_key, "app_key": app_key})


def schedule_properties(configuration: Built, name: str) -> dict[str, Any]:
    return schedule_resource(configuration, configuration.refs[name])["Properties"]  # type: ignore[no-any-return]


def test_a_deploy_time_window_reaches_the_template_as_the_token(deploy_time_schedules: Built) -> None:
    admin = schedule_properties(deploy_time_schedules, "admin")
    assert admin["RotationRules"] == {
        "ScheduleExpression": "cron(0 2 15 * ? *)",
        "Duration": {"Fn::Join": ["", [{"Ref": "AdminWindow"}, "h"]]},
    }
    api_key = schedule_properties(deploy_time_schedules, "api_key")
    assert api_key["RotationRules"] == {
        "ScheduleExpression": "cron(0 6 1 * ? *)",
        "Duration": {"Fn::Join": ["", [{"Ref": "KeyWindow"}, "h"]]},
    }


def test_a_deploy_time_rotate_immediately_on_update_reaches_the_template_as_the_token(
    deploy_time_schedules: Built,
) -> None:
    admin = schedule_properties(deploy_time_schedules, "admin")
    assert admin["RotateImmediatelyOnUpdate"] == {"Fn::If": ["RotateNow", True, False]}
    assert schedule_properties(deploy_time_schedules, "app_key")["RotateImmediatelyOnUpdate"] == {"Ref": "RotateAppKey"}


def test_what_a_deploy_time_window_or_flag_skips_is_listed(deploy_time_schedules: Built) -> None:
    def skipped(path: str) -> dict[str, list[str]]:
        (message,) = [m for m in warnings_of(deploy_time_schedules, path) if "deployTimeValuesNotChecked" in m]
        return skipped_checks(message)

    admin = skipped("/Admin")
    assert admin[WINDOW_RULES] == ["rotation"]
    assert admin["'true' or 'false'"] == ["rotate_immediately_on_update"]
    api_key = skipped("/ApiKey")
    assert api_key[WINDOW_RULES] == ["rotation"]
    # Neither window is known: how far apart they are cannot be checked.
    assert api_key["window distance from the admin secret's rotation"] == ["rotation"]
    app_key = skipped("/AppKey")
    assert app_key["'true' or 'false'"] == ["rotate_immediately_on_update"]
    assert app_key["window distance from the admin secret's rotation"] == ["rotation"]


WINDOW_RULES = "rotation window of whole hours from 1 to 24, ending by 24:00 UTC and before the next window opens"


def test_a_deploy_time_schedule_with_a_literal_expression_still_checks_the_expression() -> None:
    window = Duration.hours(Token.as_number({"Ref": "Window"}))
    rendered, errors = render(KeyRotation.cron(hour="2", minute="30", window=window))
    assert rendered is None
    assert any("minutes must be 0" in error for error in errors)


@pytest.mark.parametrize(
    ("window", "received"),
    [
        (Duration.days(Token.as_number({"Ref": "Days"})), "window=a deploy-time Duration (token)"),
        (Duration.minutes(Token.as_number({"Ref": "Minutes"})), "window=a deploy-time Duration (token)"),
        (Token.as_string({"Ref": "Window"}), "window=a deploy-time value (token)"),
    ],
)
def test_a_deploy_time_window_not_given_in_hours_is_refused_saying_how_to_give_one(window: Any, received: str) -> None:
    _, stack = new_stack()
    with pytest.raises(DdSecretsValidationError) as caught:
        DatadogAdminKeySecret(stack, "Admin", **admin_props(stack), rotation=KeyRotation.cron(hour="2", window=window))
    message = str(caught.value)
    assert received in message
    assert "a window known only at deploy time as Duration.hours(<number token>)" in message


@pytest.mark.parametrize(
    "value", [Token.as_number({"Ref": "Now"}), Token.as_list({"Ref": "Now"})], ids=["number", "list"]
)
def test_a_number_or_list_token_for_rotate_immediately_on_update_is_refused_saying_what_to_give(value: Any) -> None:
    """jsii cannot hand a number or a list to the Boolean property: refused with our error, before
    anything is built (before, the check let it through and aws_cdk failed half-way)."""
    _, stack = new_stack()
    with pytest.raises(DdSecretsValidationError) as refused:
        DatadogAdminKeySecret(stack, "Admin", **admin_props(stack), rotate_immediately_on_update=value)
    message = str(refused.value)
    assert "`rotate_immediately_on_update`" in message
    assert "not a number or a list" in message
    assert stack.node.try_find_child("Admin") is None  # nothing half-built left


@pytest.mark.parametrize("deploy_time_side", ["child", "admin"])
def test_a_deploy_time_window_that_clashes_whatever_its_length_is_refused(deploy_time_side: str) -> None:
    """The admin's window opens at 02:00 on the 15th; a child opening at 02:00 on the 15th is within the
    hour of it whatever either window's length: a deploy-time window does not hide it. A child opening
    at 04:00 clashes only with a longer window: the check is listed as skipped."""
    _, stack = new_stack()
    hours = Duration.hours(CfnParameter(stack, "Window", type="Number").value_as_number)
    admin_window = hours if deploy_time_side == "admin" else Duration.hours(1)
    admin_rotation = KeyRotation.cron(hour="2", day="15", window=admin_window)
    admin = DatadogAdminKeySecret(stack, "Admin", **admin_props(stack, rotation=admin_rotation))
    child_window = hours if deploy_time_side == "child" else Duration.hours(1)
    with pytest.raises(DdSecretsValidationError) as refused:
        DatadogApiKeySecret(
            stack,
            "ApiKey",
            admin=admin,
            api_key=param(stack, "ApiKey"),
            api_key_id=api_key_id(stack),
            rotation=KeyRotation.cron(hour="2", day="15", window=child_window),
        )
    message = str(refused.value)
    assert "`rotation`" in message
    whose = "this" if deploy_time_side == "child" else "the admin secret's"
    assert f"{whose} window is known only at deploy time, and even at its shortest (1 hour" in message
    assert "open the child's window at another hour or on other days" in message
    # Two hours later: a clash only if the deploy-time window is longer than an hour; listed, not refused.
    later = DatadogApiKeySecret(
        stack,
        "LaterApiKey",
        admin=admin,
        api_key=param(stack, "LaterApiKey"),
        api_key_id=api_key_id(stack),
        rotation=KeyRotation.cron(hour="4", day="15", window=child_window),
    )
    (warning,) = [m for m in warnings_of_construct(later) if "deployTimeValuesNotChecked" in m]
    assert skipped_checks(warning)["window distance from the admin secret's rotation"] == ["rotation"]


def warnings_of_construct(construct: Any) -> list[str]:
    return [str(entry.data) for entry in construct.node.metadata if entry.type == "aws:cdk:warning"]
