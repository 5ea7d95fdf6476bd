"""One Datadog key, one secret: a key id held by two secrets of an app is refused at synth time.

A rotation deletes the key its secret held (reference section 2), so the other secret would be
left holding a deleted key. No template is synthesized here: the refusals happen at construction,
and the skipped check is read from the ``tokens`` configuration other tests synthesize anyway.
"""

from __future__ import annotations

import aws_cdk as cdk
import pytest
from aws_cdk import Duration

from ddsecrets_constructs import (
    ApiKeySpec,
    ApplicationKeySpec,
    DatadogAdminKeySecret,
    DatadogApiKeySecret,
    DatadogApplicationKeySecret,
    DatadogManagedSecrets,
    DdSecretsValidationError,
    KeyRotation,
)
from tests.support import (
    ACCOUNT,
    ADMIN_API_KEY_ID,
    ADMIN_APP_KEY_ID,
    API_KEY_ID,
    APP_KEY_ID,
    admin_props,
    built,
    new_stack,
    param,
    skipped_checks,
    warnings_of,
)

SAID = "A rotation deletes the key its secret held"
OTHER_ACCOUNT = "222222222222"


def test_two_api_key_secrets_with_one_key_id_are_refused_naming_both() -> None:
    _, stack = new_stack()
    admin = DatadogAdminKeySecret(stack, "Admin", **admin_props(stack))
    DatadogApiKeySecret(stack, "Agent", admin=admin, api_key=param(stack, "AgentKey"), api_key_id=API_KEY_ID)
    with pytest.raises(DdSecretsValidationError) as caught:
        DatadogApiKeySecret(stack, "Lambda", admin=admin, api_key=param(stack, "LambdaKey"), api_key_id=API_KEY_ID)
    message = str(caught.value)
    assert message.startswith("TestStack/Lambda: 1 invalid prop:")
    assert f"`api_key_id`: got '{API_KEY_ID}'" in message
    assert "'TestStack/Agent' already holds it (`api_key_id`)" in message
    assert SAID in message


def test_a_familys_key_with_its_admins_key_id_is_refused_naming_the_admin_and_the_entry() -> None:
    _, stack = new_stack()
    with pytest.raises(DdSecretsValidationError) as caught:
        DatadogManagedSecrets(
            stack,
            "Datadog",
            **admin_props(stack, admin_app_key_id=ADMIN_APP_KEY_ID),
            application_keys={"ci": ApplicationKeySpec(app_key=param(stack, "Ci"), app_key_id=ADMIN_APP_KEY_ID)},
        )
    message = str(caught.value)
    assert message.startswith("TestStack/Datadog: 1 invalid prop:")
    assert (
        f"`application_keys['ci'].app_key_id`: got '{ADMIN_APP_KEY_ID}'; the id of a key no other secret of the "
        "app holds: 'TestStack/Datadog/Admin' already holds it (`admin_app_key_id`)"
    ) in message


def test_two_keys_of_one_family_with_one_id_are_refused_once() -> None:
    _, stack = new_stack()
    with pytest.raises(DdSecretsValidationError) as caught:
        DatadogManagedSecrets(
            stack,
            "Datadog",
            **admin_props(stack),
            api_keys={
                "agent": ApiKeySpec(api_key=param(stack, "Agent"), api_key_id=API_KEY_ID),
                "lambda": ApiKeySpec(api_key=param(stack, "Lambda"), api_key_id=API_KEY_ID),
            },
        )
    message = str(caught.value)
    assert "1 invalid prop:" in message
    assert "`api_keys['lambda'].api_key_id`" in message
    assert "'TestStack/Datadog/ApiKeys/agent' already holds it (`api_keys['agent'].api_key_id`)" in message


def test_an_admin_whose_two_key_ids_are_one_is_refused() -> None:
    _, stack = new_stack()
    with pytest.raises(DdSecretsValidationError) as caught:
        DatadogAdminKeySecret(
            stack, "Admin", **admin_props(stack, admin_api_key_id=ADMIN_API_KEY_ID, admin_app_key_id=ADMIN_API_KEY_ID)
        )
    assert "`admin_app_key_id`: got" in str(caught.value)
    assert "this secret already holds it (`admin_api_key_id`)" in str(caught.value)


def test_key_ids_are_compared_across_stacks_stages_accounts_and_regions_of_the_app() -> None:
    app = cdk.App()
    stacks = [
        cdk.Stack(cdk.Stage(app, f"Prod{region}"), "Datadog", env=cdk.Environment(account=account, region=region))
        for account, region in ((ACCOUNT, "eu-west-1"), (OTHER_ACCOUNT, "us-east-1"))
    ]
    DatadogManagedSecrets(
        stacks[0],
        "Datadog",
        **admin_props(stacks[0]),
        application_keys={"ci": ApplicationKeySpec(app_key=param(stacks[0], "Ci"), app_key_id=APP_KEY_ID)},
    )
    with pytest.raises(DdSecretsValidationError) as caught:
        DatadogApplicationKeySecret(
            stacks[1],
            "Ci",
            admin=DatadogAdminKeySecret(stacks[1], "Admin", **admin_props(stacks[1])),
            app_key=param(stacks[1], "Ci"),
            app_key_id=APP_KEY_ID,
        )
    assert "'Produs-east-1/Datadog/Ci'" not in str(caught.value)  # not held by itself
    assert str(caught.value).startswith("Produs-east-1/Datadog/Ci: 1 invalid prop:")
    assert "'Prodeu-west-1/Datadog/Datadog/ApplicationKeys/ci' already holds it" in str(caught.value)


def test_the_same_key_ids_in_another_app_are_fine() -> None:
    for _ in range(2):
        _, stack = new_stack()
        admin = DatadogAdminKeySecret(stack, "Admin", **admin_props(stack))
        DatadogApiKeySecret(stack, "Agent", admin=admin, api_key=param(stack, "Key"), api_key_id=API_KEY_ID)


def test_a_deploy_time_key_id_is_not_compared_and_says_so() -> None:
    configuration = built("tokens")
    (admin,) = [m for m in warnings_of(configuration, "/Admin") if "deployTimeValuesNotChecked" in m]
    assert skipped_checks(admin)["key held by no other secret of the app"] == ["admin_api_key_id", "admin_app_key_id"]
    (app_key,) = warnings_of(configuration, "/AppKey")
    assert skipped_checks(app_key)["key held by no other secret of the app"] == ["app_key_id"]


def test_a_malformed_id_given_twice_is_refused_by_its_format_check_alone() -> None:
    _, stack = new_stack()
    upper = ADMIN_API_KEY_ID.upper()
    with pytest.raises(DdSecretsValidationError) as caught:
        DatadogAdminKeySecret(stack, "Admin", **admin_props(stack, admin_api_key_id=upper, admin_app_key_id=upper))
    message = str(caught.value)
    assert "2 invalid props:" in message
    assert message.count("write it in lower case") == 2
    assert "already holds" not in message


def test_a_refused_construct_lets_go_of_its_key_ids_and_names() -> None:
    """A corrected family built after a refused one, with the same ids and names, is not refused
    for secrets that were never created."""
    _, stack = new_stack()

    def family(construct_id: str, key_rotation: KeyRotation) -> DatadogManagedSecrets:
        return DatadogManagedSecrets(
            stack,
            construct_id,
            **admin_props(stack, admin_api_key_id=ADMIN_API_KEY_ID, admin_app_key_id=ADMIN_APP_KEY_ID),
            api_keys={"agent": ApiKeySpec(api_key=param(stack, f"{construct_id}Agent"), api_key_id=API_KEY_ID)},
            secret_name_prefix="datadog/team",
            key_rotation=key_rotation,
        )

    with pytest.raises(DdSecretsValidationError) as caught:
        family("Refused", KeyRotation.every(Duration.hours(1)))
    assert "1 invalid prop:" in str(caught.value)
    assert "`key_rotation`" in str(caught.value)
    corrected = family("Corrected", KeyRotation.cron(day="1", window=Duration.hours(2)))
    assert corrected.api_key("agent").secret_name == "datadog/team/api-keys/agent"
