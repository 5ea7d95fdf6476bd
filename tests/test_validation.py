"""The error and warning machinery: one error, all problems, construct path first; values shown as
the user wrote them; nothing shaped like a key ever printed."""

from __future__ import annotations

import aws_cdk as cdk
import pytest
from aws_cdk import Duration, RemovalPolicy, SecretValue, Token
from aws_cdk.assertions import Annotations, Match

from ddsecrets_constructs import (
    ApiKeySpec,
    DatadogAdminKeySecret,
    DatadogSite,
    DdSecretsValidationError,
    KeyRotation,
)
from ddsecrets_constructs.validation import Problems, describe, describe_duration, is_unresolved, key_shapes, redact
from tests.support import LEGACY_APP_KEY, LITERAL_API_KEY, LITERAL_APP_KEY, admin_props, new_stack


def test_one_error_lists_every_problem_with_path_prop_value_and_what_is_allowed() -> None:
    _, stack = new_stack()
    with pytest.raises(DdSecretsValidationError) as caught:
        DatadogAdminKeySecret(
            stack,
            "Admin",
            **admin_props(
                stack,
                site="https://app.datadoghq.com",
                service_account_id="not-a-uuid",
                admin_api_key="0123456789abcdef0123456789abcdef",
                admin_app_key_id="3E7A2D4B-8F5C-4B0E-8D2F-4A6C8B0E2F3A",
            ),
        )
    error = caught.value
    message = str(error)
    assert message.startswith("TestStack/Admin: 4 invalid props:\n")
    assert [p.prop for p in error.problems] == ["site", "service_account_id", "admin_api_key", "admin_app_key_id"]
    assert "`site`: got 'https://app.datadoghq.com'; did you mean DatadogSite.US1 ('datadoghq.com')" in message
    assert "`service_account_id`: got 'not-a-uuid'; a UUID such as" in message
    assert "write it in lower case" in message
    assert "key material must be a SecretValue" in message
    assert error.construct_path == "TestStack/Admin"


def test_error_never_echoes_key_material() -> None:
    _, stack = new_stack()
    key = "0123456789abcdef0123456789abcdef"
    with pytest.raises(DdSecretsValidationError) as caught:
        DatadogAdminKeySecret(stack, "Admin", **admin_props(stack, admin_api_key=key))
    assert key not in str(caught.value)
    assert "a literal of 32 characters (not shown)" in str(caught.value)


def test_error_is_a_value_error_subclass() -> None:
    _, stack = new_stack()
    with pytest.raises(ValueError, match="admin_app_key"):
        DatadogAdminKeySecret(stack, "Admin", **admin_props(stack, admin_app_key=SecretValue.unsafe_plain_text("x")))


# --- redaction --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        (LITERAL_API_KEY, "a value shaped like a Datadog API key (not shown)"),
        (LITERAL_APP_KEY, "a value shaped like a Datadog application key (not shown)"),
        (LEGACY_APP_KEY, "a value shaped like a Datadog application key (legacy format) (not shown)"),
        (repr(LITERAL_API_KEY), "a value shaped like a Datadog API key (not shown)"),
        (
            f"https://app.datadoghq.com/{LITERAL_API_KEY}x",
            "https://app.datadoghq.com/<a value shaped like a Datadog API key (not shown)>x",
        ),
        (f"{LITERAL_API_KEY}a", "a value shaped like a Datadog key (not shown)"),  # a key and one more
        (LITERAL_API_KEY[:-4].upper(), "a value shaped like a Datadog key (not shown)"),  # cut and upper case
        (f"x{LITERAL_APP_KEY}yz", "x<a value shaped like a Datadog application key (not shown)>"),
    ],
)
def test_redact_hides_every_key_shape_also_inside_longer_text(text: str, shown: str) -> None:
    assert redact(text) == shown
    assert key_shapes(redact(text)) == []


def test_key_shapes_start_at_24_hexadecimal_characters_or_ddapp_and_20() -> None:
    """README: a run of 24 or more hexadecimal characters, or ``ddapp_`` and 20 or more letters or digits."""
    assert key_shapes("a" * 24) != []
    assert key_shapes("a" * 23) == []
    assert key_shapes("ddapp_" + "A1" * 10) != []
    assert key_shapes("ddapp_" + "A" * 19) == []


@pytest.mark.parametrize(
    "text",
    [
        "1b4e28ba-2fa1-11d2-883f-0016d3cca427",  # a UUID has no run of 24 hexadecimal characters
        "arn:aws:secretsmanager:eu-west-1:111111111111:secret:datadog-admin-AbC123",
        "arn:aws:kms:eu-west-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        "TestStack/Datadog/ApiKeys/agent",
        "cron(0 2 15 * ? *)",
    ],
)
def test_redact_leaves_ids_arns_and_paths_alone(text: str) -> None:
    assert redact(text) == text


def test_a_key_in_an_id_prop_is_hidden_and_said_to_look_swapped() -> None:
    problems = Problems().within("api_keys['ci'].")
    problems.add("api_key_id", repr(LITERAL_API_KEY), "a UUID")
    (problem,) = problems._problems
    assert problem.received == "a value shaped like a Datadog API key (not shown)"
    assert "`api_keys['ci'].api_key` and `api_keys['ci'].api_key_id` look swapped" in problem.allowed


def test_a_key_in_any_other_prop_is_hidden_and_said_where_keys_belong() -> None:
    problems = Problems()
    problems.add("description", repr(f"key {LITERAL_APP_KEY}"), "a description")
    (problem,) = problems._problems
    assert LITERAL_APP_KEY not in str(problem)
    assert "belongs only in a key prop (`admin_api_key`, `admin_app_key`, `app_key`, `api_key`)" in problem.allowed


def test_the_construct_path_is_redacted_too() -> None:
    _, stack = new_stack()
    with pytest.raises(DdSecretsValidationError) as caught:
        DatadogAdminKeySecret(stack, LITERAL_API_KEY, **admin_props(stack))
    assert LITERAL_API_KEY not in str(caught.value)
    assert LITERAL_API_KEY not in caught.value.construct_path
    assert str(caught.value).startswith("TestStack/<a value shaped like a Datadog API key (not shown)>: 1 invalid")
    assert stack.node.try_find_child(LITERAL_API_KEY) is None  # refused before it joined the tree


def test_warnings_are_redacted() -> None:
    _, stack = new_stack()
    problems = Problems()
    problems.warn("test", f"a warning about {LITERAL_API_KEY}")
    problems.raise_if_any(stack)
    (warning,) = Annotations.from_stack(stack).find_warning("/TestStack", Match.any_value())
    assert str(warning.entry.data).startswith("a warning about <a value shaped like a Datadog API key (not shown)>")


# --- describing what was received ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (Duration.hours(3), "Duration.hours(3)"),
        (Duration.minutes(90), "Duration.minutes(90)"),
        (Duration.days(30), "Duration.days(30)"),
        (Duration.seconds(5), "Duration.seconds(5)"),
        ("rate(30 days)", "'rate(30 days)'"),
        (42, "42"),
        (None, "None"),
        (True, "True"),
        ({"schedule": Duration.hours(3)}, "{'schedule': Duration.hours(3)}"),
        ([Duration.hours(1), 2], "[Duration.hours(1), 2]"),
        (RemovalPolicy.DESTROY, "RemovalPolicy.DESTROY"),
        (SecretValue.unsafe_plain_text("x"), "a SecretValue"),
        (
            KeyRotation.cron(hour="2", day="15", window=Duration.hours(2)),
            "KeyRotation.cron(hour='2', day='15', window=Duration.hours(2))",
        ),
        (KeyRotation.every(Duration.days(30)), "KeyRotation.every(Duration.days(30))"),
        (KeyRotation.expression("cron(0 2 1 * ? *)"), "KeyRotation.expression('cron(0 2 1 * ? *)')"),
        (DatadogSite.EU1, "DatadogSite.EU1"),
        (DatadogSite.custom("us7.datadoghq.com"), "DatadogSite.custom('us7.datadoghq.com')"),
        (ApiKeySpec(api_key=SecretValue.unsafe_plain_text("x"), api_key_id="y"), "an ApiKeySpec"),
        (object(), "an object"),
        (Token.as_string({"Ref": "X"}), "a deploy-time value (token)"),
    ],
)
def test_describe_shows_values_as_the_user_wrote_them(value: object, shown: str) -> None:
    assert describe(value) == shown
    assert " at 0x" not in describe(value)


def test_describe_names_a_construct_by_its_path() -> None:
    _, stack = new_stack()
    assert describe(stack) == "a Stack ('TestStack')"


def test_describe_duration_of_a_token() -> None:
    assert describe_duration(Duration.hours(Token.as_number({"Ref": "Hours"}))) == "a deploy-time Duration (token)"


def test_check_type_refuses_bool_for_int_and_int_for_bool() -> None:
    problems = Problems()
    assert not problems.check_type("flag", 1, bool, "True or False")
    assert not problems.check_type("count", True, int, "a number")
    assert problems.check_type("flag", False, bool, "True or False")
    assert [str(p) for p in problems._problems] == ["`flag`: got 1; True or False", "`count`: got True; a number"]


def _string_samples() -> list[str]:
    """Strings of every kind a prop may receive: literals that look a little like tokens, and tokens
    from each source aws_cdk encodes into a string."""
    _, stack = new_stack(env=False)
    parameter = cdk.CfnParameter(stack, "Param")
    days = cdk.CfnParameter(stack, "Days", type="Number")
    tokens = [
        parameter.value_as_string,
        cdk.Fn.import_value("Export"),
        cdk.Aws.ACCOUNT_ID,
        cdk.Aws.PARTITION,
        stack.account,  # an environment-agnostic stack's account
        cdk.Token.as_string(cdk.Fn.ref("Param")),
        f"prefix-{parameter.value_as_string}-suffix",
        cdk.Token.as_string(days.value_as_number),  # a stringified number token
        f"rate({cdk.Token.as_string(days.value_as_number)} days)",
        cdk.Fn.join("", ["a", parameter.value_as_string]),
        f"Token[ {days.value_as_number}",  # a marker and a number token: aws_cdk says token
    ]
    assert all(Token.is_unresolved(t) for t in tokens)  # the samples are tokens indeed
    literals = [
        "",
        f"rate({days.value_as_number} days)",  # a number token printed by Python: no "Token[", a literal
        "datadog/admin",
        "Token[TOKEN.12]",
        "${Token[",
        "${Token[]}",
        "${Token[has space]}",
        "${Token[TOKEN.12]",
        "#{Token[TOKEN.12]}",
        "-1.888154589708e+289",
        "-1.88815458970876e+289",
        "1.8881545897087626e+289",
        "Token[ -1.\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668\u0669\u0660e+289",  # non-ASCII digits
        "cron(0 6 1 * ? *)",
        "{{resolve:secretsmanager:datadog/seed:SecretString:apiKey::}}",
    ]
    return tokens + literals + [f"x{t}y" for t in literals]


def test_is_unresolved_answers_as_token_is_unresolved_without_jsii_for_a_str() -> None:
    samples = _string_samples()
    assert [is_unresolved(s) for s in samples] == [bool(Token.is_unresolved(s)) for s in samples]
    assert sum(is_unresolved(s) for s in samples) >= 10  # both answers occur
    assert sum(not is_unresolved(s) for s in samples) >= 10
    # Not a str: aws_cdk answers (a number token, a Duration, a list token).
    _, stack = new_stack()
    number = cdk.CfnParameter(stack, "Number", type="Number").value_as_number
    assert is_unresolved(number)
    assert not is_unresolved(3.0)
