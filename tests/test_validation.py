"""The error and warning machinery: one error, all problems, construct path first."""

from __future__ import annotations

import pytest
from aws_cdk import SecretValue

from ddsecrets_constructs import DatadogAdminKeySecret, DdSecretsValidationError
from tests.support import admin_props, new_stack


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
    assert "<a literal of 32 characters>" in str(caught.value)


def test_error_is_a_value_error_subclass() -> None:
    _, stack = new_stack()
    with pytest.raises(ValueError, match="admin_app_key"):
        DatadogAdminKeySecret(stack, "Admin", **admin_props(stack, admin_app_key=SecretValue.unsafe_plain_text("x")))
