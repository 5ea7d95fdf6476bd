"""Cross-stack patterns users reach for: each synthesizes without a dependency cycle or is refused
with a DdSecretsValidationError that says what to do (issue 11's exploration found the cycles)."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms

from ddsecrets_constructs import (
    DatadogAdminKeySecret,
    DatadogApiKeySecret,
    DatadogRotationRole,
    DdSecretsValidationError,
)
from tests.support import ACCOUNT, REGION, admin_props, api_key_id, new_stack, param

ENV = cdk.Environment(account=ACCOUNT, region=REGION)


def _encrypted_api_key() -> tuple[cdk.App, DatadogApiKeySecret]:
    """A CMK-encrypted API key and its admin in the stack "Producer" of a new app."""
    app, producer = new_stack(name="Producer")
    key = kms.Key(producer, "Key", enable_key_rotation=True)
    admin = DatadogAdminKeySecret(producer, "Admin", **admin_props(producer), encryption_key=key)
    api_key = DatadogApiKeySecret(
        producer,
        "ApiKey",
        admin=admin,
        api_key=param(producer, "K"),
        api_key_id=api_key_id(producer),
        encryption_key=key,
    )
    return app, api_key


@cache
def consumer_in_another_stack() -> dict[str, Any]:
    """A CMK-encrypted API key, read from another stack by a role (grant_read) and by an ECS task."""
    app, api_key = _encrypted_api_key()
    consumer = cdk.Stack(app, "Consumer", env=ENV)
    api_key.grant_read(iam.Role(consumer, "Reader", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com")))
    task = ecs.FargateTaskDefinition(consumer, "Task")
    task.add_container(
        "agent",
        image=ecs.ContainerImage.from_registry("public.ecr.aws/datadog/agent:7"),
        secrets={"DD_API_KEY": api_key.ecs_secret(task_definition=task)},
    )
    assembly = app.synth()  # a dependency cycle would raise here
    return {
        "producer": assembly.get_stack_by_name("Producer").template,
        "consumer": assembly.get_stack_by_name("Consumer").template,
    }


def _consumer_kms_statements(template: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        s
        for r in template["Resources"].values()
        if r["Type"] == "AWS::IAM::Policy"
        for s in r["Properties"]["PolicyDocument"]["Statement"]
        if s["Action"] == "kms:Decrypt"
    ]


def test_a_consumer_in_another_stack_decrypts_through_its_own_policy_for_that_secret_only() -> None:
    templates = consumer_in_another_stack()
    statements = _consumer_kms_statements(templates["consumer"])
    assert len(statements) == 2  # the Lambda role (grant_read) and the task's execution role (ecs_secret)
    for statement in statements:
        equals = statement["Condition"]["StringEquals"]
        assert equals["kms:ViaService"] == f"secretsmanager.{REGION}.amazonaws.com"
        assert "Fn::ImportValue" in json.dumps(equals["kms:EncryptionContext:SecretARN"])
    key_policy = json.dumps(
        [
            r["Properties"]["KeyPolicy"]
            for r in templates["producer"]["Resources"].values()
            if r["Type"] == "AWS::KMS::Key"
        ]
    )
    assert "Consumer" not in key_policy
    assert "Fn::ImportValue" not in key_policy


def test_cdks_own_grant_would_be_a_dependency_cycle() -> None:
    """Control: without the library's cross-stack grant, the same setup does not synthesize."""
    app, api_key = _encrypted_api_key()
    consumer = cdk.Stack(app, "Consumer", env=ENV)
    api_key.secret.grant_read(iam.Role(consumer, "Reader", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com")))
    with pytest.raises(RuntimeError, match="DependencyCycle"):
        app.synth()


def test_fails_when_a_rotation_role_is_in_another_stack() -> None:
    app, stack = new_stack()
    roles = cdk.Stack(app, "Roles", env=ENV)
    role = DatadogRotationRole(roles, "RotationRole")
    admin = DatadogAdminKeySecret(stack, "Admin", **admin_props(stack))
    with pytest.raises(
        DdSecretsValidationError,
        match=r"(?s)`rotation_role`: got the DatadogRotationRole at 'Roles/RotationRole', in another stack; "
        r"a role in the same stack as the secret.*create one DatadogRotationRole per stack",
    ):
        DatadogApiKeySecret(
            stack, "ApiKey", admin=admin, api_key=param(stack, "K"), api_key_id=api_key_id(stack), rotation_role=role
        )


def keyed_api_key(keys: cdk.Stack, key: kms.IKey, **options: Any) -> DatadogApiKeySecret:
    """An API key of ``keys``, encrypted with ``key``, with an admin of its own."""
    admin = DatadogAdminKeySecret(keys, "Admin", **admin_props(keys))
    return DatadogApiKeySecret(
        keys,
        "ApiKey",
        admin=admin,
        api_key=param(keys, "Key"),
        api_key_id=api_key_id(keys),
        encryption_key=key,
        **options,
    )


def test_a_consumer_in_another_region_of_the_account_keeps_the_grant_into_its_own_policy() -> None:
    """With ``cross_region_references`` aws_cdk gives the consumer the secret's and the key's real
    ARNs (an export reader): the grant into its own policy works there, as in 5.8.0, and is not
    refused (found by review: a first version refused every other region)."""
    app = cdk.App()
    keys = cdk.Stack(app, "Keys", env=ENV)
    other = cdk.Stack(
        app, "Other", env=cdk.Environment(account=ACCOUNT, region="us-east-1"), cross_region_references=True
    )
    secret = keyed_api_key(keys, kms.Key(keys, "Kms"))
    secret.grant_read(iam.Role(other, "Reader", assumed_by=iam.AccountRootPrincipal()))
    task = ecs.FargateTaskDefinition(other, "Task")
    task.add_container(
        "agent", image=ecs.ContainerImage.from_registry("datadog/agent"), secrets={"K": secret.ecs_secret(task)}
    )
    (template,) = [s.template for s in app.synth().stacks if s.stack_name == "Other"]
    policies = [r for r in template["Resources"].values() if r["Type"] == "AWS::IAM::Policy"]
    assert len(policies) == 2  # the reader's and the task's execution role's
    for policy in policies:
        (read,) = [
            s
            for s in policy["Properties"]["PolicyDocument"]["Statement"]
            if "secretsmanager:GetSecretValue" in s["Action"]
        ]
        assert "Fn::GetAtt" in read["Resource"]  # the secret's real ARN, read from its region
        (decrypt,) = [s for s in policy["Properties"]["PolicyDocument"]["Statement"] if s["Action"] == "kms:Decrypt"]
        assert decrypt["Condition"]["StringEquals"]["kms:ViaService"] == f"secretsmanager.{REGION}.amazonaws.com"


def test_a_consumer_in_another_account_is_refused_and_pointed_to_aws_cdks_own_grant() -> None:
    """The grant into the consumer's own policy (above) cannot reach another account: a named
    secret's ARN seen from there is partial, and neither the secret's resource policy nor the key
    policy would name the role. Refused (it could not work), pointing to aws_cdk's own grant on
    ``.secret``, which writes the same statements as for aws_cdk's own ``Secret``."""
    from aws_cdk import aws_secretsmanager as secretsmanager

    def reader_statements(side: str) -> dict[str, list[Any]]:
        app = cdk.App()
        keys = cdk.Stack(cdk.Stage(app, "Prod", env=cdk.Environment(account=ACCOUNT, region=REGION)), "Keys")
        other = cdk.Stack(cdk.Stage(app, "Dr", env=cdk.Environment(account="222222222222", region=REGION)), "App")
        key = kms.Key(keys, "Kms")
        role = iam.Role(other, "Reader", assumed_by=iam.AccountRootPrincipal(), role_name="reader")
        if side == "library":
            secret = keyed_api_key(keys, key, secret_name="dd/api")
            with pytest.raises(DdSecretsValidationError) as caught:
                secret.grant_read(role)
            assert str(caught.value) == (
                "Prod/Keys/ApiKey: 1 invalid prop:\n  - `grantee`: got the principal at 'Dr/App/Reader', in account "
                f"'222222222222' (this stack: '{ACCOUNT}'); one of the secret's account: this grant writes the "
                "grantee's own policy only, and another account needs the secret's resource policy and the key "
                "policy to name the grantee; give it aws_cdk's own grant, <secret construct>.secret.grant_read("
                "grantee), which writes them (aws_cdk needs the secret's secret_name and a physical name for the "
                "grantee)"
            )
            task = ecs.FargateTaskDefinition(other, "Task")
            with pytest.raises(DdSecretsValidationError, match="`task_definition`: got the task definition at"):
                secret.ecs_secret(task)
            secret.secret.grant_read(role)  # the way the message names
        else:
            secretsmanager.Secret(keys, "ApiKey", encryption_key=key, secret_name="dd/api").grant_read(role)
        found: dict[str, list[Any]] = {}
        for stack in app.synth().stacks_recursively:
            for resource in stack.template["Resources"].values():
                properties = resource["Properties"]
                document = (
                    properties.get("ResourcePolicy") or properties.get("KeyPolicy") or properties.get("PolicyDocument")
                )
                if document is not None and resource["Type"] != "AWS::IAM::ManagedPolicy":
                    found.setdefault(resource["Type"], []).extend(
                        {k: v for k, v in s.items() if k != "Resource" or resource["Type"] == "AWS::IAM::Policy"}
                        for s in document["Statement"]
                        if ":role/reader" in json.dumps(s) or stack.stack_name == "Dr-App"
                    )
        return found

    library, plain = reader_statements("library"), reader_statements("aws_cdk")
    assert library == plain
    assert library["AWS::SecretsManager::ResourcePolicy"]  # the role, named in the secret's policy
    assert library["AWS::KMS::Key"]  # and in the key policy
    (read,) = [s for s in library["AWS::IAM::Policy"] if "secretsmanager:GetSecretValue" in s["Action"]]
    assert json.dumps(read["Resource"]).endswith('secret:dd/api-??????"]]}')  # any suffix of the name
