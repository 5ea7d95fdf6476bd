"""Key material must be a SecretValue; literals are checked for the Datadog formats; ids are UUIDs."""

from __future__ import annotations

import pytest
from aws_cdk import SecretValue, Stack, Token

from ddsecrets_constructs.key_material import API_KEY, APP_KEY, KeyFormat, check_key_material, check_uuid
from ddsecrets_constructs.validation import Problems
from tests.support import ADMIN_ARN, LEGACY_APP_KEY, LITERAL_API_KEY, LITERAL_APP_KEY, new_stack, param


@pytest.fixture(scope="module")
def stack() -> Stack:
    return new_stack()[1]


def check(stack: Stack, value: object, key_format: KeyFormat = API_KEY, *, validate_format: bool = True) -> Problems:
    problems = Problems()
    check_key_material(stack, problems, "api_key", value, key_format, validate_format=validate_format)
    return problems


def test_parameter_is_accepted_silently(stack: Stack) -> None:
    assert check(stack, param(stack, "Checked")) == Problems()


def test_secrets_manager_dynamic_reference_is_accepted_silently(stack: Stack) -> None:
    value = SecretValue.secrets_manager(ADMIN_ARN, json_field="apiKey")
    assert check(stack, value) == Problems()


def test_fails_on_plain_string_without_echoing_it(stack: Stack) -> None:
    (problem,) = check(stack, LITERAL_API_KEY)._problems
    assert problem.prop == "api_key"
    assert problem.received == "a plain str <a literal of 32 characters>"
    assert "must be a SecretValue" in problem.allowed
    assert LITERAL_API_KEY not in str(problem)


def test_fails_on_other_types(stack: Stack) -> None:
    (problem,) = check(stack, 1234)._problems
    assert problem.received == "a plain int int"


def test_fails_on_ssm_secure_which_cloudformation_does_not_resolve_in_secret_string(stack: Stack) -> None:
    (problem,) = check(stack, SecretValue.ssm_secure("/datadog/api-key"))._problems
    assert "ssm-secure" in problem.allowed


def test_literal_in_current_format_is_accepted_with_a_plaintext_warning(stack: Stack) -> None:
    problems = check(stack, SecretValue.unsafe_plain_text(LITERAL_API_KEY))
    assert problems._problems == []
    assert [w[0] for w in problems._warnings] == ["plaintextKeyMaterial"]
    app = check(stack, SecretValue.unsafe_plain_text(LITERAL_APP_KEY), APP_KEY)
    assert app._problems == []


@pytest.mark.parametrize(
    "literal",
    [
        LITERAL_API_KEY + "\n",  # pasted with a newline
        LITERAL_API_KEY.upper(),
        LITERAL_API_KEY[:-1],
        LITERAL_APP_KEY,  # an application key in an API key slot
        "",
    ],
)
def test_fails_on_literal_api_key_in_wrong_format(stack: Stack, literal: str) -> None:
    (problem,) = check(stack, SecretValue.unsafe_plain_text(literal))._problems
    assert "32 lower-case hexadecimal characters" in problem.allowed
    assert "validate_key_format=False" in problem.allowed


def test_fails_on_api_key_in_application_key_slot(stack: Stack) -> None:
    (problem,) = check(stack, SecretValue.unsafe_plain_text(LITERAL_API_KEY), APP_KEY)._problems
    assert "'ddapp_' followed by 34 letters or digits" in problem.allowed


def test_legacy_application_key_is_accepted_with_a_warning(stack: Stack) -> None:
    problems = check(stack, SecretValue.unsafe_plain_text(LEGACY_APP_KEY), APP_KEY)
    assert problems._problems == []
    assert [w[0] for w in problems._warnings] == ["plaintextKeyMaterial", "legacyKeyFormat"]


def test_format_check_can_be_overridden_and_then_warns(stack: Stack) -> None:
    problems = check(stack, SecretValue.unsafe_plain_text("not-a-key"), validate_format=False)
    assert problems._problems == []
    assert [w[0] for w in problems._warnings] == ["plaintextKeyMaterial", "unrecognisedKeyFormat"]


@pytest.mark.parametrize(
    ("value", "hint"),
    [
        ("1B4E28BA-2FA1-11D2-883F-0016D3CCA427", "write it in lower case"),
        ("1b4e28ba2fa111d2883f0016d3cca427", "a UUID such as"),
        ("{1b4e28ba-2fa1-11d2-883f-0016d3cca427}", "a UUID such as"),
        ("1b4e28ba-2fa1-11d2-883f-0016d3cca427 ", "a UUID such as"),
        ("", "a UUID such as"),
    ],
)
def test_fails_on_malformed_uuid(value: str, hint: str) -> None:
    problems = Problems()
    check_uuid(problems, "app_key_id", value)
    (problem,) = problems._problems
    assert (problem.prop, problem.received) == ("app_key_id", repr(value))
    assert hint in problem.allowed


def test_uuid_accepts_canonical_and_skips_tokens() -> None:
    problems = Problems()
    check_uuid(problems, "app_key_id", "1b4e28ba-2fa1-11d2-883f-0016d3cca427")
    check_uuid(problems, "api_key_id", Token.as_string({"Ref": "Id"}))
    assert problems._problems == []
    assert problems._skipped == ["`api_key_id` (UUID format)"]


def test_fails_on_uuid_of_wrong_type() -> None:
    problems = Problems()
    check_uuid(problems, "app_key_id", None)
    assert [p.prop for p in problems._problems] == ["app_key_id"]
