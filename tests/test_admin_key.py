"""DatadogAdminKeySecret and imported admin secrets."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk import App, Duration, Environment, Stack, Token
from aws_cdk.assertions import Annotations, Match

from ddsecrets_constructs import (
    DatadogAdminKeySecret,
    DatadogApiKeySecret,
    DatadogSite,
    DdSecretsValidationError,
    KeyRotation,
)
from tests.support import (
    ACCOUNT,
    ADMIN_API_KEY_ID,
    ADMIN_APP_KEY_ID,
    ADMIN_ARN,
    REGION,
    SERVICE_ACCOUNT,
    api_key_id,
    built,
    new_stack,
    only,
    param,
    resource_of,
    schedule_resource,
    secret_resource,
    secret_value_fields,
    skipped_checks,
    warnings_of,
)


@pytest.fixture(scope="module")
def default() -> Any:
    return built("admin_default")


def test_secret_type_and_exact_secret_string(default: Any) -> None:
    secret = secret_resource(default, default.refs["admin"])
    assert secret["Type"] == "AWS::SecretsManager::Secret"
    assert secret["Properties"]["Type"] == "DatadogAdminKey"
    assert "GenerateSecretString" not in secret["Properties"]
    fields = secret_value_fields(secret)
    assert list(fields) == ["adminApiKey", "adminApiKeyId", "adminAppKey", "adminAppKeyId", "serviceAccountId", "site"]
    assert fields == {
        "adminApiKey": "<Ref AdminApiKeyParam>",
        "adminApiKeyId": ADMIN_API_KEY_ID,
        "adminAppKey": "<Ref AdminAppKeyParam>",
        "adminAppKeyId": ADMIN_APP_KEY_ID,
        "serviceAccountId": SERVICE_ACCOUNT,
        "site": "datadoghq.com",
    }


def test_secret_is_retained_by_default(default: Any) -> None:
    secret = secret_resource(default, default.refs["admin"])
    assert (secret["DeletionPolicy"], secret["UpdateReplacePolicy"]) == ("Retain", "Retain")


def test_name_is_generated_and_description_says_what_it_is(default: Any) -> None:
    properties = secret_resource(default, default.refs["admin"])["Properties"]
    assert "Name" not in properties
    assert "KmsKeyId" not in properties
    assert "Datadog admin" in properties["Description"]


def test_one_self_rotating_schedule_with_defaults(default: Any) -> None:
    admin = default.refs["admin"]
    _, schedule = only(default.resources("AWS::SecretsManager::RotationSchedule"))
    assert schedule == schedule_resource(default, admin)
    properties = schedule["Properties"]
    assert properties["SecretId"] == {"Ref": default.stack.get_logical_id(admin.secret.node.default_child)}
    assert properties["ExternalSecretRotationRoleArn"] == {
        "Fn::GetAtt": [default.stack.get_logical_id(admin.rotation_role.role.node.default_child), "Arn"]
    }
    assert "ExternalSecretRotationMetadata" not in properties  # rotates itself
    assert properties["RotationRules"] == {"ScheduleExpression": "cron(0 2 15 * ? *)", "Duration": "2h"}
    assert properties["RotateImmediatelyOnUpdate"] is False
    assert "RotationLambdaARN" not in properties
    assert "HostedRotationLambda" not in properties


def test_schedule_depends_on_the_policy_of_its_role(default: Any) -> None:
    admin = default.refs["admin"]
    schedule = schedule_resource(default, admin)
    role = admin.rotation_role
    assert sorted(schedule["DependsOn"]) == sorted(
        [
            default.stack.get_logical_id(role.policy.node.default_child),
            default.stack.get_logical_id(role.node.find_child("GetRandomPassword")),
        ]
    )


def test_all_options_reach_the_template() -> None:
    configuration = built("admin_all_options")
    admin, key = configuration.refs["admin"], configuration.refs["key"]
    secret = secret_resource(configuration, admin)
    assert (secret["DeletionPolicy"], secret["UpdateReplacePolicy"]) == ("Delete", "Delete")
    assert secret["Properties"]["Name"] == "datadog/admin"
    assert secret["Properties"]["Description"] == "Admin keys of the SRE service account"
    assert secret["Properties"]["KmsKeyId"] == {
        "Fn::GetAtt": [configuration.stack.get_logical_id(key.node.default_child), "Arn"]
    }
    assert secret_value_fields(secret)["site"] == "ap1.datadoghq.com"
    schedule = schedule_resource(configuration, admin)["Properties"]
    assert schedule["RotationRules"] == {"ScheduleExpression": "cron(0 20 ? * SUN *)", "Duration": "3h"}
    assert schedule["RotateImmediatelyOnUpdate"] is True
    role = resource_of(configuration, admin.rotation_role.role.node.default_child)
    assert role["Properties"]["Description"] == "Datadog rotation"
    assert admin.secret_name == "datadog/admin"
    assert admin.site == DatadogSite.AP1
    assert admin.site.value == "ap1.datadoghq.com"


def test_exposes_the_secret_and_rotation(default: Any) -> None:
    admin = default.refs["admin"]
    assert admin.service_account_id == SERVICE_ACCOUNT
    assert admin.encryption_key is None
    assert admin.secret_full_arn == admin.secret.secret_arn
    assert admin.secret_arn == admin.secret_full_arn  # README: both the same complete ARN when created here
    assert admin._checked_rotation.schedule_expression == "cron(0 2 15 * ? *)"


def test_literal_keys_warn_that_they_are_in_the_template() -> None:
    messages = warnings_of(built("literal_keys"), "/Admin")
    assert any("`admin_api_key` is a plaintext SecretValue" in m for m in messages)
    assert any("DatadogSite.custom('us7.datadoghq.com')" in m for m in messages)


def test_token_values_are_accepted_with_one_warning_listing_skipped_checks() -> None:
    configuration = built("tokens")
    messages = warnings_of(configuration, "/Admin")
    (message,) = [m for m in messages if "deployTimeValuesNotChecked" in m]
    # The other warning: a deploy-time service account id cannot be compared across admins.
    (budget,) = [m for m in messages if "deployTimeValuesNotChecked" not in m]
    assert "[ack: ddsecrets-constructs:apiKeyBudgetPerAdmin]" in budget
    assert "counted for this admin secret and its own keys only" in budget
    skipped = skipped_checks(message)
    assert skipped["known Datadog site"] == ["site"]
    # One entry per check, naming every prop it was skipped for.
    assert skipped["UUID format"] == ["service_account_id", "admin_api_key_id", "admin_app_key_id"]
    assert skipped["schedule expression rules and window distance from the admin's"] == ["rotation"]
    assert message.count("(UUID format)") == 1
    assert "[ack: ddsecrets-constructs:deployTimeValuesNotChecked]" in message


# --- imported admin secrets ---------------------------------------------------------------------


def test_imported_admin_keeps_the_complete_arn_and_creates_nothing() -> None:
    configuration = built("imported_admin")
    admin = configuration.refs["admin"]
    assert admin.secret_full_arn == ADMIN_ARN
    assert admin.service_account_id == SERVICE_ACCOUNT
    assert admin.secret_name is None
    assert admin.encryption_key is not None
    assert configuration.resources("AWS::SecretsManager::Secret").keys() == {
        configuration.stack.get_logical_id(c.secret.node.default_child)
        for c in (configuration.refs["app_key"], configuration.refs["api_key"])
    }


def imported(stack: Stack, arn: str, service_account_id: str = SERVICE_ACCOUNT) -> object:
    return DatadogAdminKeySecret.from_admin_secret_attributes(
        stack, "Imported", secret_complete_arn=arn, service_account_id=service_account_id
    )


@pytest.mark.parametrize(
    ("arn", "allowed"),
    [
        (f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:datadog-admin", "a partial ARN"),
        (f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:datadog/admin", "a partial ARN"),
        (f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:datadog-admin-AbC123", "stack's region 'eu-west-1'"),
        (f"arn:aws-cn:secretsmanager:{REGION}:{ACCOUNT}:secret:datadog-admin-AbC123", "stack's partition 'aws'"),
        ("datadog-admin", "the complete secret ARN"),
        (f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/datadog-admin", "the complete secret ARN"),
    ],
)
def test_fails_on_imported_admin_arn_that_rotation_cannot_use(arn: str, allowed: str) -> None:
    _, stack = new_stack()
    with pytest.raises(DdSecretsValidationError) as caught:
        imported(stack, arn)
    assert str(caught.value).startswith("TestStack/Imported: 1 invalid prop:\n  - `secret_complete_arn`: got ")
    assert allowed in str(caught.value)


def test_fails_on_imported_admin_with_malformed_service_account() -> None:
    _, stack = new_stack()
    with pytest.raises(DdSecretsValidationError, match="`service_account_id`: got 'sa-1'"):
        imported(stack, ADMIN_ARN, "sa-1")


def test_fails_on_an_imported_admin_from_another_account() -> None:
    _, stack = new_stack()
    with pytest.raises(DdSecretsValidationError, match="AWS documents managed rotation only with the admin secret"):
        imported(stack, ADMIN_ARN.replace(ACCOUNT, "222222222222"))


def test_imported_admin_in_environment_agnostic_stack_skips_region_checks_with_a_warning() -> None:
    _, stack = new_stack(env=False)
    imported(stack, ADMIN_ARN)
    Annotations.from_stack(stack).has_warning(
        "/TestStack/Imported", Match.string_like_regexp("same region and partition as the stack")
    )
    Annotations.from_stack(stack).has_warning(
        "/TestStack/Imported", Match.string_like_regexp("same account as the stack")
    )


def test_imported_admin_in_a_stack_of_a_deploy_time_account_says_the_account_was_not_checked() -> None:
    """A stack with a region and no account: the region is compared, the account check is listed as skipped."""
    stack = Stack(App(), "TestStack", env=Environment(region=REGION))
    imported(stack, ADMIN_ARN.replace(ACCOUNT, "222222222222"))
    warnings = Annotations.from_stack(stack).find_warning("/TestStack/Imported", Match.any_value())
    (skipped,) = [str(w.entry.data) for w in warnings if "deployTimeValuesNotChecked" in str(w.entry.data)]
    assert "same account as the stack (the stack's account is known only at deploy time)" in skipped
    assert "same region" not in skipped


def test_imported_admin_with_token_arn_is_accepted_with_a_warning() -> None:
    (message,) = [m for m in warnings_of(built("tokens"), "/ImportedAdmin") if "deployTimeValuesNotChecked" in m]
    assert "`secret_complete_arn` (complete ARN with suffix, same partition and region)" in message
    assert Token.is_unresolved(built("tokens").refs["imported"].secret_full_arn)


def test_imported_admin_without_rotation_warns_once_that_the_window_check_is_skipped() -> None:
    configuration = built("imported_admin")
    (message,) = warnings_of(configuration, "/Admin")
    assert "windows of its children are not checked" in message
    assert "`rotation=KeyRotation...`" in message
    assert "[ack: ddsecrets-constructs:adminRotationUnknown]" in message
    assert configuration.refs["admin"]._checked_rotation is None
    for child in ("/AppKey", "/ApiKey"):  # the children do not repeat it
        assert not any("adminRotationUnknown" in m for m in warnings_of(configuration, child))


def test_imported_admin_with_its_rotation_checks_the_childrens_windows() -> None:
    _, stack = new_stack()
    admin = DatadogAdminKeySecret.from_admin_secret_attributes(
        stack,
        "Imported",
        secret_complete_arn=ADMIN_ARN,
        service_account_id=SERVICE_ACCOUNT,
        rotation=KeyRotation.cron(hour="6", day="1", window=Duration.hours(2)),
    )
    assert Annotations.from_stack(stack).find_warning("/TestStack/Imported", Match.any_value()) == []
    with pytest.raises(DdSecretsValidationError, match=r"^TestStack/Api: 1 invalid prop:\n  - `rotation`: .*too close"):
        DatadogApiKeySecret(stack, "Api", admin=admin, api_key=param(stack, "Key"), api_key_id=api_key_id(stack))
    DatadogApiKeySecret(
        stack,
        "Apart",
        admin=admin,
        api_key=param(stack, "Apart"),
        api_key_id=api_key_id(stack),
        rotation=KeyRotation.cron(hour="6", day="15", window=Duration.hours(2)),
    )


def test_imported_admin_rotation_is_checked_like_any_rotation() -> None:
    _, stack = new_stack()
    with pytest.raises(DdSecretsValidationError, match=r"`rotation`: got 'rate\(30 days\)'; a KeyRotation"):
        DatadogAdminKeySecret.from_admin_secret_attributes(
            stack,
            "Imported",
            secret_complete_arn=ADMIN_ARN,
            service_account_id=SERVICE_ACCOUNT,
            rotation="rate(30 days)",  # type: ignore[arg-type]
        )
