"""cdk-nag 3 packs pass on the constructs thanks only to the library's narrow acknowledgments."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, Optional, cast

import aws_cdk as cdk
import pytest
from aws_cdk import SecretValue
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_secretsmanager as secretsmanager
from cdk_nag import AwsSolutionsChecks, HIPAASecurityChecks, NIST80053R5Checks, PCIDSS321Checks
from constructs import Construct

import ddsecrets_constructs._nag as nag
from ddsecrets_constructs import (
    ApiKeySpec,
    ApplicationKeySpec,
    DatadogAdminKeySecret,
    DatadogApplicationKeySecret,
    DatadogManagedSecrets,
)
from tests.support import Built, admin_props, api_key_id, app_key_id, built, new_stack

PACKS = (AwsSolutionsChecks, HIPAASecurityChecks, NIST80053R5Checks, PCIDSS321Checks)
WITH_KMS_KEY = ["admin_all_options", "family", "family_60", "family_all_options"]


def violations(configuration: Built, *, outside: tuple[str, ...] = ()) -> dict[str, list[str]]:
    """Rule names violated, per pack; ``outside`` lists construct paths that are not the library's."""
    found = {}
    for pack in PACKS:
        report = pack().validate_scope(configuration.app)
        found[pack.__name__] = sorted(
            v.rule_name
            for v in report.violations
            for resource in v.violating_resources
            if not (resource.construct_path or "").startswith(outside)
        )
    return found


@pytest.mark.parametrize("name", WITH_KMS_KEY)
def test_all_four_packs_pass_with_an_encryption_key(name: str) -> None:
    assert violations(built(name)) == {pack.__name__: [] for pack in PACKS}


def test_packs_pass_on_the_library_constructs_beside_a_consumer() -> None:
    configuration = built("seed")
    # The consumer role is the test's, not the library's: CDK's grant_read gives it an inline policy.
    assert violations(configuration, outside=("TestStack/Consumer/",)) == {pack.__name__: [] for pack in PACKS}
    assert "HIPAA.Security-IAMNoInlinePolicy" in violations(configuration)["HIPAASecurityChecks"]


def acknowledged(configuration: Built) -> Iterator[tuple[Any, str]]:
    for construct in configuration.stack.node.find_all():
        for entry in construct.node.metadata:
            if entry.type == cdk.Validations.ACKNOWLEDGED_RULES_METADATA_KEY:
                for rule, reason in entry.data.items():
                    yield construct, f"{rule}: {reason}"


GET_RANDOM_PASSWORD_ACK = (
    "Annotation::AwsSolutions-IAM5[Resource::*]: secretsmanager:GetRandomPassword has no resource-level permissions."
)


def rotated_secrets_under(configuration: Built, group: Any) -> list[str]:
    """Paths of the ``AWS::SecretsManager::Secret``s under ``group``, each checked to have an external
    rotation schedule in the template; a secret under the group without one fails the test."""
    schedules = {
        json.dumps(r["Properties"]["SecretId"])
        for r in configuration.resources("AWS::SecretsManager::RotationSchedule").values()
        if "ExternalSecretRotationRoleArn" in r["Properties"]
    }
    paths = []
    for construct in group.node.find_all():
        if isinstance(construct, cdk.CfnResource) and construct.cfn_resource_type == "AWS::SecretsManager::Secret":
            logical_id = configuration.stack.resolve(construct.logical_id)
            assert json.dumps({"Ref": logical_id}) in schedules, construct.node.path
            paths.append(construct.node.path)
    return paths


@pytest.mark.parametrize("name", [*WITH_KMS_KEY, "seed"])
def test_acknowledgments_sit_on_secrets_key_groups_and_the_get_random_password_policy_only(name: str) -> None:
    configuration = built(name)
    found = list(acknowledged(configuration))
    assert found
    for construct, rule in found:
        is_rotation_rule = rule.split(":")[2] in set(nag.ROTATION_RULES)
        if isinstance(construct, secretsmanager.CfnSecret):
            assert is_rotation_rule, rule
            assert "ExternalSecretRotationRoleArn" in rule
        elif construct.node.id in ("ApplicationKeys", "ApiKeys"):
            # A family's group of keys: acknowledged once for all, and it holds rotated secrets only.
            assert isinstance(construct.node.scope, DatadogManagedSecrets), construct.node.path
            assert is_rotation_rule, rule
            assert rotated_secrets_under(configuration, construct), construct.node.path
        else:
            assert isinstance(construct, iam.CfnManagedPolicy), construct.node.path
            assert construct.node.id == "GetRandomPassword"
            assert rule == GET_RANDOM_PASSWORD_ACK
            (statement,) = construct.policy_document["Statement"]
            assert statement["Action"] == "secretsmanager:GetRandomPassword"


def family_with_one_key(
    stack: Optional[cdk.Stack] = None, construct_id: str = "Datadog"
) -> tuple[cdk.App, DatadogManagedSecrets]:
    """An app whose stack (a new one by default) holds a family with one application key, ``ci``."""
    app, stack = new_stack() if stack is None else (cast(cdk.App, stack.node.root), stack)
    spec = ApplicationKeySpec(app_key=SecretValue.secrets_manager("seed", json_field="k"), app_key_id=app_key_id(stack))
    return app, DatadogManagedSecrets(stack, construct_id, **admin_props(stack), application_keys={"ci": spec})


def test_a_secret_a_user_adds_to_a_family_is_still_flagged() -> None:
    """The rotation rules are acknowledged on the family's groups of keys, not on the family: a
    secret the user adds to the family without rotation is reported."""
    app, family = family_with_one_key()
    secretsmanager.Secret(family, "Mine")
    report = AwsSolutionsChecks().validate_scope(app)
    flagged = sorted(
        str(resource.construct_path)
        for v in report.violations
        if v.rule_name == "AwsSolutions-SMG4"
        for resource in v.violating_resources
    )
    assert flagged == ["TestStack/Datadog/Mine/Resource"]


@pytest.mark.parametrize("inside", ["ApplicationKeys", "ApplicationKeys/ci"])
def test_a_secret_put_inside_a_familys_group_of_keys_is_refused_at_synth(inside: str) -> None:
    """The group's acknowledgment would hide it from cdk-nag: the stack's validation refuses it."""
    app, family = family_with_one_key()
    parent = family.application_key("ci") if "/" in inside else family.node.find_child("ApplicationKeys")
    secretsmanager.Secret(cast(Construct, parent), "Mine")
    with pytest.raises(RuntimeError, match=rf"the secret at 'TestStack/Datadog/{inside}/Mine/Resource' is inside"):
        app.synth()


def test_the_key_groups_carry_the_rotation_acknowledgment_and_their_secrets_none() -> None:
    configuration = built("family")
    by_path: dict[str, list[str]] = {}
    for construct, rule in acknowledged(configuration):
        by_path.setdefault(construct.node.path, []).append(rule.split(":")[2])
    for group_id in ("ApplicationKeys", "ApiKeys"):
        group = f"TestStack/Datadog/{group_id}"
        assert sorted(by_path[group]) == sorted(nag.ROTATION_RULES)
        assert [path for path in by_path if path.startswith(f"{group}/")] == []  # nothing on its keys
    # The family's admin, outside the groups, keeps its own.
    assert sorted(by_path["TestStack/Datadog/Admin/Resource/Resource"]) == sorted(nag.ROTATION_RULES)


# What a user might add to a library role or policy, and a rule of each pack that must report it.
USER_STATEMENT = iam.PolicyStatement(actions=["*"], resources=["*"])
REPORTED_BY = {
    "AwsSolutionsChecks": "AwsSolutions-IAM5",
    "HIPAASecurityChecks": "HIPAA.Security-IAMPolicyNoStatementsWithAdminAccess",
    "NIST80053R5Checks": "NIST.800.53.R5-IAMPolicyNoStatementsWithAdminAccess",
    "PCIDSS321Checks": "PCI.DSS.321-IAMPolicyNoStatementsWithAdminAccess",
}


@pytest.mark.parametrize("where", ["role", "library_policy"])
def test_acknowledgments_never_hide_a_statement_a_user_adds(where: str) -> None:
    app, stack = new_stack()
    family = DatadogManagedSecrets(
        stack,
        "Datadog",
        **admin_props(stack),
        encryption_key=kms.Key(stack, "Key", enable_key_rotation=True),
        api_keys={
            "agent": ApiKeySpec(
                api_key=SecretValue.secrets_manager("seed", json_field="k"), api_key_id=api_key_id(stack)
            )
        },
    )
    assert isinstance(family.admin, DatadogAdminKeySecret)
    for role in (family.rotation_role, family.admin.rotation_role):
        assert role is not None
        if where == "role":
            role.role.add_to_principal_policy(USER_STATEMENT)
        else:
            role.policy.add_statements(USER_STATEMENT)
    for pack in PACKS:
        report = pack().validate_scope(app)
        reported = {
            resource.construct_path
            for violation in report.violations
            if violation.rule_name.startswith(REPORTED_BY[pack.__name__])
            for resource in violation.violating_resources
        }
        inner = "Resource/DefaultPolicy/Resource" if where == "role" else "Policy/Resource"
        expected = {f"TestStack/Datadog/{role}RotationRole/{inner}" for role in ("", "Admin/")}
        assert expected <= reported, (pack.__name__, reported)


def test_packs_do_flag_the_constructs_without_the_acknowledgments(monkeypatch: pytest.MonkeyPatch) -> None:
    """The packs must be able to fail here: without the library's acknowledgments they do."""
    monkeypatch.setattr(nag, "acknowledge", lambda *args: None)
    from tests.support import _family_default

    found = violations(_family_default())
    assert found["AwsSolutionsChecks"].count("AwsSolutions-SMG4") == 5
    assert "HIPAA.Security-SecretsManagerRotationEnabled" in found["HIPAASecurityChecks"]
    assert "NIST.800.53.R5-SecretsManagerRotationEnabled" in found["NIST80053R5Checks"]
    assert any(v.startswith("AwsSolutions-IAM5[Resource::") for v in found["AwsSolutionsChecks"])


def test_secrets_without_a_customer_managed_key_are_left_to_the_user() -> None:
    """The library does not acknowledge the KMS rules: choosing no key is the user's decision."""
    found = violations(built("admin_default"))
    assert "HIPAA.Security-SecretsManagerUsingKMSKey" in found["HIPAASecurityChecks"]


def test_packs_pass_with_rotation_alerts_on() -> None:
    configuration = built("family_alerts")
    # The ECS task is the test's consumer, not the library's: only the library's constructs count.
    assert violations(configuration, outside=("TestStack/Task/",)) == {pack.__name__: [] for pack in PACKS}
    assert configuration.refs["alerts"].topic is not None


def test_get_random_password_wildcard_is_acknowledged_on_its_policy_only() -> None:
    configuration = built("rotations")  # no KMS key
    found = violations(configuration)["AwsSolutionsChecks"]
    assert not any(rule.startswith("AwsSolutions-IAM5") for rule in found), found
    acks = [rule for construct, rule in acknowledged(configuration) if isinstance(construct, iam.CfnManagedPolicy)]
    assert acks == [GET_RANDOM_PASSWORD_ACK] * 2  # the admin's role and the keys' shared role


def test_a_family_that_failed_after_building_secrets_is_not_counted_and_hides_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A family that fails once its admin is built (aws_cdk's error on a key, simulated here) leaves
    the tree: its secret is not counted among the library's, so a secret put inside a later family's
    group of keys is still refused."""

    def fails(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("aws_cdk refused a key")

    app, stack = new_stack()
    with monkeypatch.context() as patched:
        patched.setattr(DatadogApplicationKeySecret, "_create_child", fails)
        with pytest.raises(RuntimeError, match="aws_cdk refused a key"):
            family_with_one_key(stack, "Failed")
    _, family = family_with_one_key(stack)
    secretsmanager.Secret(cast(Construct, family.node.find_child("ApplicationKeys")), "Mine")
    with pytest.raises(
        RuntimeError, match=r"the secret at 'TestStack/Datadog/ApplicationKeys/Mine/Resource' is inside"
    ):
        app.synth()
