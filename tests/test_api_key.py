"""DatadogApiKeySecret: value, rotation with the admin, least-privilege consumers."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk import aws_ecs as ecs

from ddsecrets_constructs import DatadogAdminKeySecret, DatadogApiKeySecret, DdSecretsValidationError
from tests.support import (
    API_KEY_ID,
    REGION,
    admin_props,
    api_key_id,
    built,
    new_stack,
    param,
    resource_of,
    schedule_resource,
    secret_resource,
    secret_value_fields,
)


@pytest.fixture(scope="module")
def seed() -> Any:
    return built("seed")


def test_secret_type_and_exact_secret_string(seed: Any) -> None:
    secret = secret_resource(seed, seed.refs["api_key"])
    assert secret["Properties"]["Type"] == "DatadogApiKey"
    assert "GenerateSecretString" not in secret["Properties"]
    assert secret_value_fields(secret) == {"apiKey": "<Ref ApiKeyParam>", "apiKeyId": API_KEY_ID}
    assert list(secret_value_fields(secret)) == ["apiKey", "apiKeyId"]
    assert (secret["DeletionPolicy"], secret["UpdateReplacePolicy"]) == ("Retain", "Retain")
    assert secret["Properties"]["KmsKeyId"] == {
        "Fn::GetAtt": [seed.stack.get_logical_id(seed.refs["key"].node.default_child), "Arn"]
    }


def test_rotates_with_the_admin_using_the_shared_role(seed: Any) -> None:
    api_key, admin, role = seed.refs["api_key"], seed.refs["admin"], seed.refs["role"]
    properties = schedule_resource(seed, api_key)["Properties"]
    assert properties["ExternalSecretRotationMetadata"] == [
        {"Key": "adminSecretArn", "Value": {"Ref": seed.stack.get_logical_id(admin.secret.node.default_child)}}
    ]
    assert properties["ExternalSecretRotationRoleArn"] == {
        "Fn::GetAtt": [seed.stack.get_logical_id(role.role.node.default_child), "Arn"]
    }
    assert properties["RotateImmediatelyOnUpdate"] is True
    assert api_key.rotation_role is role


def test_consumer_reads_only_this_secret_and_decrypts_through_secrets_manager(seed: Any) -> None:
    stack = seed.stack
    (policy_id,) = [
        k
        for k, v in seed.resources("AWS::IAM::Policy").items()
        if {"Ref": stack.get_logical_id(seed.refs["consumer"].node.default_child)} in v["Properties"]["Roles"]
    ]
    statements = seed.json["Resources"][policy_id]["Properties"]["PolicyDocument"]["Statement"]
    secret_ref = {"Ref": stack.get_logical_id(seed.refs["api_key"].secret.node.default_child)}
    read = next(s for s in statements if "secretsmanager:GetSecretValue" in s["Action"])
    assert read["Resource"] == secret_ref
    assert sorted(read["Action"]) == ["secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue"]
    # CDK grants the decrypt in the key policy, to this role only, through Secrets Manager only.
    key_policy = resource_of(seed, seed.refs["key"].node.default_child)["Properties"]["KeyPolicy"]["Statement"]
    consumer_arn = {"Fn::GetAtt": [stack.get_logical_id(seed.refs["consumer"].node.default_child), "Arn"]}
    (decrypt,) = [s for s in key_policy if s["Principal"] == {"AWS": consumer_arn}]
    assert decrypt["Action"] == "kms:Decrypt"
    assert decrypt["Condition"] == {"StringEquals": {"kms:ViaService": f"secretsmanager.{REGION}.amazonaws.com"}}
    admin_ref = {"Ref": stack.get_logical_id(seed.refs["admin"].secret.node.default_child)}
    assert admin_ref not in [s["Resource"] for s in statements]


def test_ecs_reads_the_api_key_field_of_the_secret() -> None:
    _, stack = new_stack()
    admin = DatadogAdminKeySecret(stack, "Admin", **admin_props(stack))
    api_key = DatadogApiKeySecret(
        stack, "ApiKey", admin=admin, api_key=param(stack, "Key"), api_key_id=api_key_id(stack)
    )
    secret = ecs.Secret.from_secrets_manager(api_key.secret, "apiKey")
    assert secret.arn == f"{api_key.secret.secret_arn}:apiKey::"


def test_fails_on_a_plain_string_key_and_a_malformed_key_id() -> None:
    _, stack = new_stack()
    admin = DatadogAdminKeySecret(stack, "Admin", **admin_props(stack))
    with pytest.raises(DdSecretsValidationError) as caught:
        DatadogApiKeySecret(stack, "ApiKey", admin=admin, api_key="0" * 32, api_key_id="5A9C")  # type: ignore[arg-type]
    assert str(caught.value).startswith("TestStack/ApiKey: 2 invalid props:")
    assert [p.prop for p in caught.value.problems] == ["api_key", "api_key_id"]


def test_own_default_role_is_a_child_named_rotation_role() -> None:
    configuration = built("standalone")
    api_key = configuration.refs["api_key"]
    assert api_key.rotation_role.node.path == "TestStack/ApiKey/RotationRole"
    assert resource_of(configuration, api_key.rotation_role.role.node.default_child)["Type"] == "AWS::IAM::Role"


def test_ecs_consumer_reads_only_its_keys_never_the_admin() -> None:
    configuration = built("family_alerts")
    family, task = configuration.refs["family"], configuration.refs["task"]
    stack = configuration.stack
    (container,) = resource_of(configuration, task.node.default_child)["Properties"]["ContainerDefinitions"]
    api_ref = {"Ref": stack.get_logical_id(family.api_key("api000").secret.node.default_child)}
    app_ref = {"Ref": stack.get_logical_id(family.application_key("app000").secret.node.default_child)}
    assert container["Secrets"] == [
        {"Name": "DD_API_KEY", "ValueFrom": {"Fn::Join": ["", [api_ref, ":apiKey::"]]}},
        {"Name": "DD_APP_KEY", "ValueFrom": {"Fn::Join": ["", [app_ref, ":appKey::"]]}},
    ]
    execution_role = task.obtain_execution_role()
    policy = resource_of(configuration, execution_role.node.find_child("DefaultPolicy").node.default_child)
    resources = [s["Resource"] for s in policy["Properties"]["PolicyDocument"]["Statement"]]
    assert resources == [api_ref, app_ref]
    admin_ref = {"Ref": stack.get_logical_id(family.admin.secret.node.default_child)}
    assert admin_ref not in resources


def test_key_value_accessors_are_dynamic_references_to_the_key_field() -> None:
    configuration = built("family_alerts")
    family, stack = configuration.refs["family"], configuration.refs["family"].node.scope
    api = stack.resolve(family.api_key("api000").api_key_value().unsafe_unwrap())
    app = stack.resolve(family.application_key("app000").app_key_value().unsafe_unwrap())
    assert api["Fn::Join"][1][-1] == ":SecretString:apiKey::}}"
    assert app["Fn::Join"][1][-1] == ":SecretString:appKey::}}"
