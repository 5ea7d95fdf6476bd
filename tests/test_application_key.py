"""DatadogApplicationKeySecret: value, rotation with the admin, service account ownership."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import SecretValue
from aws_cdk import aws_secretsmanager as secretsmanager

from ddsecrets_constructs import DatadogAdminKeySecret, DatadogApplicationKeySecret, DdSecretsValidationError
from tests.support import (
    ACCOUNT,
    ADMIN_ARN,
    APP_KEY_ID,
    OTHER_SERVICE_ACCOUNT,
    REGION,
    SERVICE_ACCOUNT,
    admin_props,
    app_key_id,
    built,
    new_stack,
    param,
    schedule_resource,
    secret_resource,
    secret_value_fields,
    warnings_of,
)


@pytest.fixture(scope="module")
def standalone() -> Any:
    return built("standalone")


def test_secret_type_and_exact_secret_string_with_the_admins_service_account(standalone: Any) -> None:
    secret = secret_resource(standalone, standalone.refs["app_key"])
    assert secret["Properties"]["Type"] == "DatadogApplicationKey"
    assert "GenerateSecretString" not in secret["Properties"]
    fields = secret_value_fields(secret)
    assert list(fields) == ["appKey", "appKeyId", "serviceAccountId"]
    assert fields == {"appKey": "<Ref AppKeyParam>", "appKeyId": APP_KEY_ID, "serviceAccountId": SERVICE_ACCOUNT}
    assert (secret["DeletionPolicy"], secret["UpdateReplacePolicy"]) == ("Retain", "Retain")
    assert standalone.refs["app_key"].service_account_id == SERVICE_ACCOUNT


def test_rotates_with_the_admin_at_once_on_the_default_schedule(standalone: Any) -> None:
    app_key, admin = standalone.refs["app_key"], standalone.refs["admin"]
    stack = standalone.stack
    properties = schedule_resource(standalone, app_key)["Properties"]
    assert properties["ExternalSecretRotationMetadata"] == [
        {"Key": "adminSecretArn", "Value": {"Ref": stack.get_logical_id(admin.secret.node.default_child)}}
    ]
    assert properties["RotationRules"] == {"ScheduleExpression": "cron(0 6 1 * ? *)", "Duration": "2h"}
    assert properties["RotateImmediatelyOnUpdate"] is True
    assert properties["SecretId"] == {"Ref": stack.get_logical_id(app_key.secret.node.default_child)}
    assert sorted(schedule_resource(standalone, app_key)["DependsOn"]) == sorted(
        [
            stack.get_logical_id(admin.rotation_schedule),
            stack.get_logical_id(app_key.rotation_role.policy.node.default_child),
            stack.get_logical_id(app_key.rotation_role.node.find_child("GetRandomPassword")),
        ]
    )
    assert app_key.admin is admin


def test_imported_admin_is_named_by_its_complete_arn() -> None:
    configuration = built("imported_admin")
    properties = schedule_resource(configuration, configuration.refs["app_key"])["Properties"]
    assert properties["ExternalSecretRotationMetadata"] == [{"Key": "adminSecretArn", "Value": ADMIN_ARN}]


def test_fails_when_service_account_differs_from_the_admins() -> None:
    _, stack = new_stack()
    admin = DatadogAdminKeySecret(stack, "Admin", **admin_props(stack))
    with pytest.raises(DdSecretsValidationError) as caught:
        DatadogApplicationKeySecret(
            stack,
            "AppKey",
            admin=admin,
            app_key=param(stack, "AppKey"),
            app_key_id=app_key_id(stack),
            service_account_id=OTHER_SERVICE_ACCOUNT,
        )
    message = str(caught.value)
    assert message.startswith(
        f"TestStack/AppKey: 1 invalid prop:\n  - `service_account_id`: got '{OTHER_SERVICE_ACCOUNT}'"
    )
    assert f"the admin secret's service account '{SERVICE_ACCOUNT}'" in message
    assert "must match the Application key's serviceAccountId" in message


def test_fails_when_imported_admin_has_another_service_account() -> None:
    _, stack = new_stack()
    admin = DatadogAdminKeySecret.from_admin_secret_attributes(
        stack, "Admin", secret_complete_arn=ADMIN_ARN, service_account_id=SERVICE_ACCOUNT
    )
    with pytest.raises(DdSecretsValidationError, match="`service_account_id`"):
        DatadogApplicationKeySecret(
            stack,
            "AppKey",
            admin=admin,
            app_key=param(stack, "K"),
            app_key_id=app_key_id(stack),
            service_account_id=OTHER_SERVICE_ACCOUNT,
        )


def test_token_service_account_is_accepted_with_a_warning() -> None:
    (message,) = warnings_of(built("tokens"), "/AppKey")
    assert "`service_account_id` (same service account as the admin secret)" in message
    assert "`rotation` (window distance from the admin secret's rotation)" in message


def test_legacy_application_key_format_warns() -> None:
    messages = warnings_of(built("literal_keys"), "/Legacy")
    assert any("legacy application key format" in m for m in messages)


def test_fails_when_admin_is_not_a_datadog_admin_secret() -> None:
    _, stack = new_stack()
    plain = secretsmanager.Secret(stack, "Plain")
    with pytest.raises(
        DdSecretsValidationError, match=r"`admin`: got a Secret \('TestStack/Plain'\); a DatadogAdminKeySecret, or"
    ):
        DatadogApplicationKeySecret(
            stack,
            "AppKey",
            admin=plain,  # type: ignore[arg-type]
            app_key=param(stack, "K"),
            app_key_id=app_key_id(stack),
        )


def test_fails_listing_every_problem_at_once() -> None:
    _, stack = new_stack()
    admin = DatadogAdminKeySecret(stack, "Admin", **admin_props(stack))
    with pytest.raises(DdSecretsValidationError) as caught:
        DatadogApplicationKeySecret(
            stack,
            "AppKey",
            admin=admin,
            app_key=SecretValue.unsafe_plain_text("ddapp_short"),
            app_key_id="nope",
            secret_name="datadog/app-AbC123",
            rotation_role="role",  # type: ignore[arg-type]
        )
    assert [p.prop for p in caught.value.problems] == ["rotation_role", "secret_name", "app_key", "app_key_id"]


@pytest.mark.parametrize(
    ("account", "region", "what"), [("222222222222", REGION, "account"), (ACCOUNT, "us-east-1", "region")]
)
def test_fails_when_the_admin_is_in_another_account_or_region(account: str, region: str, what: str) -> None:
    app, stack = new_stack()
    other = cdk.Stack(app, "Other", env=cdk.Environment(account=account, region=region))
    admin = DatadogAdminKeySecret(other, "Admin", **admin_props(other))
    with pytest.raises(
        DdSecretsValidationError,
        match=rf"(?s)TestStack/AppKey: .*`admin`: got the admin secret at "
        rf"'Other/Admin', in {what} .*AWS documents managed rotation only with the admin secret",
    ):
        DatadogApplicationKeySecret(
            stack, "AppKey", admin=admin, app_key=param(stack, "K"), app_key_id=app_key_id(stack)
        )
    arn = f"arn:aws:secretsmanager:{REGION}:222222222222:secret:datadog-admin-AbC123"
    with pytest.raises(DdSecretsValidationError, match="an admin secret in the stack's account 111111111111"):
        DatadogAdminKeySecret.from_admin_secret_attributes(
            stack, "Imported", secret_complete_arn=arn, service_account_id=SERVICE_ACCOUNT
        )
