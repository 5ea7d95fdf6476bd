"""A family can span stacks: ``DatadogManagedSecrets(..., admin=<existing admin>)`` adds keys that
rotate with an admin made elsewhere (another stack of the app, or imported), one keys role per family."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import pytest
from constructs import IConstruct

from app import SECURITY_STACK, TEAM_STACKS
from ddsecrets_constructs import (
    ApiKeySpec,
    ApplicationKeySpec,
    DatadogAdminKeySecret,
    DatadogManagedSecrets,
    DatadogSite,
    DdSecretsValidationError,
)
from tests.support import (
    ACCOUNT,
    ADMIN_ARN,
    MIXED_REASON,
    SERVICE_ACCOUNT,
    STRICT_FLAGS,
    admin_props,
    api_key_id,
    app_key_id,
    new_stack,
    skipped_checks,
    stored_key,
)
from tests.test_examples import by_type, template


def keys(scope: IConstruct, **extra: Any) -> dict[str, Any]:
    return {
        "api_keys": {"agent": ApiKeySpec(api_key=stored_key("agent"), api_key_id=api_key_id(scope))},
        "application_keys": {"ci": ApplicationKeySpec(app_key=stored_key("ci"), app_key_id=app_key_id(scope))},
        **extra,
    }


def stack_in(app: cdk.App, name: str, region: str = "eu-west-1") -> cdk.Stack:
    return cdk.Stack(
        app,
        name,
        env=cdk.Environment(account=ACCOUNT, region=region),
        synthesizer=cdk.DefaultStackSynthesizer(generate_bootstrap_version_rule=False),
    )


# --- the example: admin in a security stack, two teams' keys in two other stacks ----------------


def test_example_admin_lives_in_the_security_stack_only() -> None:
    secrets = by_type(template(SECURITY_STACK), "AWS::SecretsManager::Secret")
    assert [s["Properties"]["Type"] for s in secrets.values()] == ["DatadogAdminKey"]
    for stack_id in TEAM_STACKS:
        types = sorted(
            s["Properties"]["Type"] for s in by_type(template(stack_id), "AWS::SecretsManager::Secret").values()
        )
        assert types == ["DatadogApiKey", "DatadogApplicationKey"], stack_id


@pytest.mark.parametrize("stack_id", TEAM_STACKS)
def test_example_team_keys_rotate_with_the_security_admin_through_one_keys_role(stack_id: str) -> None:
    t = template(stack_id)
    (role_id,) = by_type(t, "AWS::IAM::Role")  # one keys role per team family; no admin role here
    schedules = by_type(t, "AWS::SecretsManager::RotationSchedule").values()
    assert len(schedules) == 2
    imported_admin = None
    for schedule in schedules:
        props = schedule["Properties"]
        assert props["ExternalSecretRotationRoleArn"] == {"Fn::GetAtt": [role_id, "Arn"]}
        (metadata,) = props["ExternalSecretRotationMetadata"]
        assert metadata["Key"] == "adminSecretArn"
        assert "Fn::ImportValue" in metadata["Value"]  # the security stack's export, not a copy
        assert SECURITY_STACK in metadata["Value"]["Fn::ImportValue"]
        imported_admin = metadata["Value"]
    # The keys role reads that admin (never writes it).
    reads = [
        s
        for p in by_type(t, "AWS::IAM::ManagedPolicy").values()
        for s in p["Properties"]["PolicyDocument"]["Statement"]
        if s.get("Sid") == "ReadDatadogAdminSecrets"
    ]
    (read,) = reads
    assert read["Action"] == "secretsmanager:GetSecretValue"
    assert read["Resource"] == imported_admin


# --- admin= ------------------------------------------------------------------------------------


def test_a_family_with_an_admin_creates_no_admin_and_exposes_the_one_given() -> None:
    app = cdk.App(context=STRICT_FLAGS)
    security = stack_in(app, "Security")
    admin = DatadogAdminKeySecret(security, "Admin", **admin_props(security))
    team = stack_in(app, "Team")
    family = DatadogManagedSecrets(team, "Datadog", admin=admin, **keys(team))
    assert family.admin is admin
    assert family.owns_admin is False
    assert family.node.try_find_child("Admin") is None
    assert family.application_key("ci").admin is admin
    assert family.rotation_role is not None
    assert family.api_key("agent").rotation_role is family.rotation_role


def test_a_family_with_an_imported_admin_names_its_complete_arn() -> None:
    _, stack = new_stack()
    admin = DatadogAdminKeySecret.from_admin_secret_attributes(
        stack, "Admin", secret_complete_arn=ADMIN_ARN, service_account_id=SERVICE_ACCOUNT
    )
    DatadogManagedSecrets(stack, "Datadog", admin=admin, **keys(stack))
    t = dict(cdk.assertions.Template.from_stack(stack).to_json())
    for schedule in by_type(t, "AWS::SecretsManager::RotationSchedule").values():
        assert schedule["Properties"]["ExternalSecretRotationMetadata"] == [
            {"Key": "adminSecretArn", "Value": ADMIN_ARN}
        ]
    app_secret = next(iter(by_type(t, "AWS::SecretsManager::Secret").values()))
    assert SERVICE_ACCOUNT in str(app_secret["Properties"]["SecretString"])  # the admin's service account


def test_fails_when_admin_comes_with_admin_props() -> None:
    _, stack = new_stack()
    admin = DatadogAdminKeySecret(stack, "Admin", **admin_props(stack))
    with pytest.raises(DdSecretsValidationError) as error:
        DatadogManagedSecrets(
            stack, "Datadog", admin=admin, site=DatadogSite.EU1, service_account_id=SERVICE_ACCOUNT, **keys(stack)
        )
    message = str(error.value)
    assert message.startswith("TestStack/Datadog: 1 invalid prop")
    assert "`admin`: got an admin secret together with `site`, `service_account_id`; either `admin=`" in message


def test_fails_without_admin_nor_admin_props_naming_each_missing_prop() -> None:
    _, stack = new_stack()
    with pytest.raises(DdSecretsValidationError) as error:
        DatadogManagedSecrets(stack, "Datadog", site=DatadogSite.EU1, **keys(stack))
    message = str(error.value)
    assert "5 invalid props" in message
    for prop in ("service_account_id", "admin_api_key", "admin_api_key_id", "admin_app_key", "admin_app_key_id"):
        assert f"`{prop}`: got nothing; the family's admin secret needs it; or pass `admin=`" in message


def test_fails_on_an_admin_that_is_not_an_admin_secret() -> None:
    _, stack = new_stack()
    with pytest.raises(
        DdSecretsValidationError, match=r"`admin`: got 'arn:aws:secretsmanager.*; a DatadogAdminKeySecret"
    ):
        DatadogManagedSecrets(stack, "Datadog", admin=ADMIN_ARN, **keys(stack))  # type: ignore[arg-type]


def test_fails_on_an_admin_in_another_region_reusing_the_child_check() -> None:
    app = cdk.App(context=STRICT_FLAGS)
    security = stack_in(app, "Security", region="us-east-1")
    admin = DatadogAdminKeySecret(security, "Admin", **admin_props(security))
    with pytest.raises(
        DdSecretsValidationError,
        match=r"`admin`: got the admin secret at 'Security/Admin', in region 'us-east-1' .*same account and region",
    ):
        DatadogManagedSecrets(stack_in(app, "Team"), "Datadog", admin=admin, **keys(app))


def test_an_admin_in_a_stack_without_env_is_refused_for_keys_of_a_stack_with_one_and_accepted_for_one_without() -> None:
    """aws_cdk compares the two stacks' account and region as written: a deploy-time account against a
    literal one is two environments, and it refers to the admin by an ARN built from its name, without
    the suffix Secrets Manager adds, which no IAM policy naming it can match (accepted with a
    deployTimeValuesNotChecked warning until 5.9.0, the keys' role then granted that ARN)."""
    import json

    app = cdk.App(context=STRICT_FLAGS)
    security = cdk.Stack(app, "Security")  # no env: its account and region are deploy-time values
    # Named: aws_cdk refers to a secret across environments by its name (unnamed, it fails at synthesis).
    admin = DatadogAdminKeySecret(security, "Admin", **admin_props(security), secret_name="datadog/admin")
    team = stack_in(app, "Team")
    seen_from_team = json.dumps(team.resolve(admin.secret.secret_arn))
    assert seen_from_team.endswith(':secret:datadog/admin"]]}')
    assert "ImportValue" not in seen_from_team
    with pytest.raises(DdSecretsValidationError) as caught:
        DatadogManagedSecrets(team, "Datadog", admin=admin, **keys(team))
    assert str(caught.value) == (
        "Team/Datadog: 1 invalid prop:\n  - `admin`: got the admin secret at 'Security/Admin', in a stack whose "
        "account is a deploy-time value (this stack: '111111111111'); an admin secret in a stack of the same env: "
        f"{MIXED_REASON}, so the keys' rotation role could not read the admin; give both stacks the same env (the "
        "same account and region, or neither), or import the admin by its full ARN with "
        "DatadogAdminKeySecret.from_admin_secret_attributes(...)"
    )
    regional = cdk.Stack(app, "Regional", env=cdk.Environment(region="eu-west-1"))  # the account alike, not the region
    with pytest.raises(DdSecretsValidationError) as caught:
        DatadogManagedSecrets(regional, "Datadog", admin=admin, **keys(regional))
    assert "in a stack whose region is a deploy-time value (this stack: 'eu-west-1');" in str(caught.value)

    # A family without keys refers to no admin: accepted, as before.
    DatadogManagedSecrets(regional, "Keyless", admin=admin)
    # Two literal accounts: the account check says so, not this one.
    other_account = cdk.Stack(app, "OtherAccount", env=cdk.Environment(account="222222222222"))
    other = DatadogAdminKeySecret(other_account, "Admin", **admin_props(other_account), secret_name="datadog/other")
    with pytest.raises(DdSecretsValidationError) as caught:
        DatadogManagedSecrets(team, "Datadog", admin=other, **keys(team))
    assert "in account '222222222222' (this stack: '111111111111'); an admin secret in the same account and region" in (
        str(caught.value)
    )
    # One of another App is said to be that, whatever its env.
    elsewhere = cdk.Stack(cdk.App(context=STRICT_FLAGS), "Elsewhere")
    foreign = DatadogAdminKeySecret(elsewhere, "Admin", **admin_props(elsewhere), secret_name="datadog/foreign")
    with pytest.raises(DdSecretsValidationError) as caught:
        DatadogManagedSecrets(team, "Datadog", admin=foreign, **keys(team))
    assert "got the DatadogAdminKeySecret at 'Elsewhere/Admin', of another App; an admin secret of this app" in (
        str(caught.value)
    )

    agnostic = cdk.Stack(app, "Agnostic")  # no env either: one environment, the admin's full ARN exported
    DatadogManagedSecrets(agnostic, "Datadog", admin=admin, **keys(agnostic))
    schedules = by_type(
        dict(cdk.assertions.Template.from_stack(agnostic).to_json()), "AWS::SecretsManager::RotationSchedule"
    )
    assert len(schedules) == 2
    for schedule in schedules.values():
        (metadata,) = schedule["Properties"]["ExternalSecretRotationMetadata"]
        assert list(metadata["Value"]) == ["Fn::ImportValue"]
    (warning,) = cdk.assertions.Annotations.from_stack(agnostic).find_warning(
        "*", cdk.assertions.Match.string_like_regexp("deployTimeValuesNotChecked")
    )
    skipped = skipped_checks(str(warning.entry.data))  # the admin's environment is known to be this one
    assert skipped
    assert [check for check, props in skipped.items() if "admin" in props] == []


def test_alerts_of_a_family_with_an_existing_admin_use_the_familys_own_key() -> None:
    app = cdk.App(context=STRICT_FLAGS)
    security = stack_in(app, "Security")
    admin = DatadogAdminKeySecret(
        security, "Admin", **admin_props(security), encryption_key=cdk.aws_kms.Key(security, "AdminKey")
    )
    team = stack_in(app, "Team")
    team_key = cdk.aws_kms.Key(team, "TeamKey")
    family = DatadogManagedSecrets(team, "Datadog", admin=admin, encryption_key=team_key, **keys(team))
    family.add_rotation_alerts(use_family_key=True)
    (topic,) = by_type(dict(cdk.assertions.Template.from_stack(team).to_json()), "AWS::SNS::Topic").values()
    team_key_id = team.get_logical_id(team_key.node.default_child)  # type: ignore[arg-type]
    assert team_key_id in str(topic["Properties"]["KmsMasterKeyId"])
