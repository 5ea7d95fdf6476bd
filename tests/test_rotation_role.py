"""DatadogRotationRole: trust, least-privilege permissions, KMS, and safe deploy order.

Invariants are checked on every configuration the suite synthesizes.
"""

from __future__ import annotations

import json
from graphlib import CycleError, TopologicalSorter
from typing import Any

import pytest

from ddsecrets_constructs.defaults import ROTATION_ACTIONS
from tests.support import (
    ACCOUNT,
    REGION,
    as_list,
    built,
    configuration_names,
    iter_templates,
    only,
    resource_of,
    schedule_resource,
    statements,
)

ALL = configuration_names()
WRITE_ACTIONS = {"secretsmanager:PutSecretValue", "secretsmanager:UpdateSecretVersionStage"}


def roles(template: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == "AWS::IAM::Role"}


def rotation_roles(template: dict[str, Any]) -> dict[str, Any]:
    return {
        k: v
        for k, v in roles(template).items()
        if v["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"].get("Service")
        == "secretsmanager.amazonaws.com"
    }


def policies_of_role(template: dict[str, Any], role_id: str) -> dict[str, Any]:
    return {
        k: v
        for k, v in template["Resources"].items()
        if v["Type"] in ("AWS::IAM::ManagedPolicy", "AWS::IAM::Policy")
        and {"Ref": role_id} in v["Properties"].get("Roles", [])
    }


@pytest.mark.parametrize("name", ALL)
def test_rotation_roles_trust_only_secrets_manager_of_this_account_and_region(name: str) -> None:
    template = built(name).json
    for role in rotation_roles(template).values():
        assert "RoleName" not in role["Properties"]
        assert "Policies" not in role["Properties"]  # no inline policy
        (statement,) = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
        assert statement["Principal"] == {"Service": "secretsmanager.amazonaws.com"}
        assert statement["Action"] == "sts:AssumeRole"
        source_arn = statement["Condition"]["ArnLike"]["aws:SourceArn"]
        account = statement["Condition"]["StringEquals"]["aws:SourceAccount"]
        if name == "tokens":  # environment-agnostic stack: pseudo parameters
            assert account == {"Ref": "AWS::AccountId"}
        else:
            assert account == ACCOUNT
            assert source_arn == {
                "Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, f":secretsmanager:{REGION}:{ACCOUNT}:secret:*"]]
            }
        assert "arn:aws:" not in json.dumps(role)


@pytest.mark.parametrize("name", ALL)
def test_no_wildcard_actions_no_type_only_conditions_and_star_only_where_unavoidable(name: str) -> None:
    for _, template in [(name, built(name).json)]:
        for resource in template["Resources"].values():
            if resource["Type"] not in ("AWS::IAM::ManagedPolicy", "AWS::IAM::Policy"):
                continue
            for statement in statements(resource):
                actions = as_list(statement["Action"])
                assert not any(a.endswith(":*") or a == "*" for a in actions), actions
                conditions = json.dumps(statement.get("Condition", {}))
                assert "secretsmanager:resource/Type" not in conditions
                if statement["Resource"] == "*":
                    assert actions == ["secretsmanager:GetRandomPassword"], statement


def test_standalone_roles_rotate_their_own_secret_and_only_read_the_admin() -> None:
    configuration = built("standalone")
    admin, app_key, api_key = (configuration.refs[k] for k in ("admin", "app_key", "api_key"))
    stack = configuration.stack
    admin_ref = {"Ref": stack.get_logical_id(admin.secret.node.default_child)}
    for child in (app_key, api_key):
        policy = resource_of(configuration, child.rotation_role.policy.node.default_child)
        by_sid = {s["Sid"]: s for s in statements(policy)}
        assert set(by_sid) == {"RotateDatadogSecrets", "ReadDatadogAdminSecrets"}
        assert by_sid["RotateDatadogSecrets"]["Action"] == list(ROTATION_ACTIONS)
        assert by_sid["RotateDatadogSecrets"]["Resource"] == {
            "Ref": stack.get_logical_id(child.secret.node.default_child)
        }
        assert by_sid["ReadDatadogAdminSecrets"] == {
            "Sid": "ReadDatadogAdminSecrets",
            "Action": "secretsmanager:GetSecretValue",
            "Effect": "Allow",
            "Resource": admin_ref,
        }
    admin_policy = resource_of(configuration, admin.rotation_role.policy.node.default_child)
    (statement,) = statements(admin_policy)
    assert statement["Resource"] == admin_ref


@pytest.mark.parametrize("name", ALL)
def test_only_the_admins_own_role_may_write_the_admin_secret(name: str) -> None:
    configuration = built(name)
    template = configuration.json
    for schedule in template["Resources"].values():
        if schedule["Type"] != "AWS::SecretsManager::RotationSchedule":
            continue
        metadata = schedule["Properties"].get("ExternalSecretRotationMetadata")
        if not metadata:
            continue
        admin_arn = metadata[0]["Value"]
        child_role = schedule["Properties"]["ExternalSecretRotationRoleArn"]["Fn::GetAtt"][0]
        admin_schedules = [
            s
            for s in template["Resources"].values()
            if s["Type"] == "AWS::SecretsManager::RotationSchedule" and s["Properties"]["SecretId"] == admin_arn
        ]
        child_rotates_admin = any(
            s["Properties"]["ExternalSecretRotationRoleArn"]["Fn::GetAtt"][0] == child_role for s in admin_schedules
        )
        for policy in policies_of_role(template, child_role).values():
            for statement in statements(policy):
                if admin_arn in as_list(statement["Resource"]) and WRITE_ACTIONS & set(as_list(statement["Action"])):
                    assert child_rotates_admin, f"{child_role} may write the admin secret it only reads"


def test_shared_role_lists_each_secret_once_and_reads_no_admin_it_already_rotates() -> None:
    configuration = built("seed")
    stack = configuration.stack
    role = configuration.refs["role"]
    policy = resource_of(configuration, role.policy.node.default_child)
    by_sid = {s["Sid"]: s for s in statements(policy)}
    assert set(by_sid) == {"RotateDatadogSecrets", "UseKeysToRotate"}
    assert by_sid["RotateDatadogSecrets"]["Resource"] == [
        {"Ref": stack.get_logical_id(configuration.refs[k].secret.node.default_child)}
        for k in ("admin", "app_key", "api_key")
    ]
    key_arn = {"Fn::GetAtt": [stack.get_logical_id(configuration.refs["key"].node.default_child), "Arn"]}
    assert by_sid["UseKeysToRotate"] == {
        "Sid": "UseKeysToRotate",
        "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
        "Condition": {"StringEquals": {"kms:ViaService": f"secretsmanager.{REGION}.amazonaws.com"}},
        "Effect": "Allow",
        "Resource": key_arn,
    }


def test_children_of_an_imported_admin_may_decrypt_its_key_through_secrets_manager_only() -> None:
    configuration = built("imported_admin")
    for child in (configuration.refs["app_key"], configuration.refs["api_key"]):
        by_sid = {
            s["Sid"]: s for s in statements(resource_of(configuration, child.rotation_role.policy.node.default_child))
        }
        assert by_sid["ReadDatadogAdminSecrets"]["Resource"].startswith("arn:aws:secretsmanager:")
        assert by_sid["UseKeysToReadAdmin"]["Action"] == "kms:Decrypt"
        assert by_sid["UseKeysToReadAdmin"]["Resource"].startswith("arn:aws:kms:")
        assert by_sid["UseKeysToReadAdmin"]["Condition"] == {
            "StringEquals": {"kms:ViaService": f"secretsmanager.{REGION}.amazonaws.com"}
        }


def test_get_random_password_is_only_granted_on_request_and_on_star() -> None:
    configuration = built("rotations")
    by_sid = {
        s["Sid"]: s
        for s in statements(resource_of(configuration, configuration.refs["role"].policy.node.default_child))
    }
    assert by_sid["GetRandomPassword"] == {
        "Sid": "GetRandomPassword",
        "Action": "secretsmanager:GetRandomPassword",
        "Effect": "Allow",
        "Resource": "*",
    }
    default_role_policy = resource_of(
        built("admin_default"), built("admin_default").refs["admin"].rotation_role.policy.node.default_child
    )
    assert "GetRandomPassword" not in json.dumps(default_role_policy)


@pytest.mark.parametrize("name", ALL)
def test_every_schedule_depends_on_its_roles_policies_and_children_on_their_admin_schedule(name: str) -> None:
    template = built(name).json
    resources = template["Resources"]
    for schedule_id, schedule in resources.items():
        if schedule["Type"] != "AWS::SecretsManager::RotationSchedule":
            continue
        depends_on = set(schedule.get("DependsOn", []))
        role_id = schedule["Properties"]["ExternalSecretRotationRoleArn"]["Fn::GetAtt"][0]
        policies = policies_of_role(template, role_id)
        assert policies, f"{schedule_id}: its role has no policy in this stack"
        assert set(policies) <= depends_on, f"{schedule_id} does not wait for {set(policies) - depends_on}"
        for item in schedule["Properties"].get("ExternalSecretRotationMetadata", []):
            admin_schedules = [
                k
                for k, v in resources.items()
                if v["Type"] == "AWS::SecretsManager::RotationSchedule" and v["Properties"]["SecretId"] == item["Value"]
            ]
            assert set(admin_schedules) <= depends_on


def test_child_in_another_stack_reads_the_admin_arn_across_stacks_without_a_resource_dependency() -> None:
    configuration = built("cross_stack")
    schedule = schedule_resource(configuration, configuration.refs["api_key"])
    (item,) = schedule["Properties"]["ExternalSecretRotationMetadata"]
    assert item["Key"] == "adminSecretArn"
    assert "Fn::ImportValue" in item["Value"]
    assert len(schedule["DependsOn"]) == 1  # its own policy; the admin stack deploys first
    assert configuration.refs["admin_stack"] in configuration.stack.dependencies


def _references(value: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(value, dict):
        if "Ref" in value and not value["Ref"].startswith("AWS::"):
            found.add(value["Ref"])
        if "Fn::GetAtt" in value:
            found.add(value["Fn::GetAtt"][0])
        for v in value.values():
            found |= _references(v)
    elif isinstance(value, list):
        for v in value:
            found |= _references(v)
    return found


@pytest.mark.parametrize(("name", "template"), list(iter_templates()))
def test_templates_have_no_dependency_cycle(name: str, template: dict[str, Any]) -> None:
    resources = template["Resources"]
    graph = {
        k: (_references(v.get("Properties", {})) | set(v.get("DependsOn", []))) & resources.keys()
        for k, v in resources.items()
    }
    try:
        tuple(TopologicalSorter(graph).static_order())
    except CycleError as cycle:  # pragma: no cover - the assertion message is the point
        pytest.fail(f"{name}: dependency cycle {cycle.args[1]}")


def test_role_accessors() -> None:
    configuration = built("seed")
    role = configuration.refs["role"]
    _, role_resource = only(rotation_roles(configuration.json))
    assert role_resource == resource_of(configuration, role.role.node.default_child)
    assert role.role_arn == role.role.role_arn
