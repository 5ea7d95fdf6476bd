"""Read deployed resources back through boto3, in the template's own property names.

``READERS`` says, per resource type, which template properties the emulator lets us compare and
how to read them; ``NOT_MODELLED`` lists the types it accepts without creating anything readable
(each is checked from the template instead, and the README says so). A resource type in neither
fails the run, so a new kind of resource cannot slip through unread.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.exceptions import ClientError

# Properties the emulator accepts but does not apply (it returns nothing for them): compared from
# the template only. test_emulator_gaps_are_as_documented fails when one of them starts to be applied.
NOT_APPLIED = {
    ("AWS::Logs::LogGroup", "RetentionInDays"),
    ("AWS::Logs::LogGroup", "KmsKeyId"),
}

# Resource types the emulator (LocalStack 2026.3.0, community) accepts but does not model, and why
# each is still trusted: measured in this run by tests/e2e (see test_emulator_gaps_are_as_documented).
NOT_MODELLED = {
    "AWS::SecretsManager::RotationSchedule": "accepted, no effect: DescribeSecret shows no rotation",
    "AWS::ECS::TaskDefinition": "ECS is not in LocalStack's community edition: physical id 'unknown'",
    "AWS::CodeBuild::Project": "CodeBuild is not in LocalStack's community edition: physical id 'unknown'",
    "AWS::CDK::Metadata": "CDK's own version report, no AWS resource",
}


@dataclass
class Aws:
    """boto3 clients for the emulator (or any endpoint)."""

    endpoint_url: str
    region: str
    access_key_id: str

    def client(self, service: str) -> Any:
        return boto3.client(
            service,
            endpoint_url=self.endpoint_url,
            region_name=self.region,
            aws_access_key_id=self.access_key_id,
            aws_secret_access_key="test",
        )


ABSENT = {"ResourceNotFoundException", "NoSuchEntity", "NotFound", "NotFoundException"}


def _found(call: Callable[..., Any], **kwargs: Any) -> Any:
    """The call's answer, or None when the service says the resource does not exist."""
    try:
        return call(**kwargs)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code", "") in ABSENT:
            return None
        raise


def _secret(aws: Aws, arn: str) -> dict[str, Any] | None:
    sm = aws.client("secretsmanager")
    described = _found(sm.describe_secret, SecretId=arn)
    if described is None or described.get("DeletedDate"):
        return None
    value = sm.get_secret_value(SecretId=arn)["SecretString"]
    read = {
        "Name": described["Name"],
        "Description": described.get("Description"),
        "KmsKeyId": described.get("KmsKeyId"),
        "SecretString": value,
    }
    if "Type" in described:  # not returned by the emulator today; compared when it is
        read["Type"] = described["Type"]
    return read


def _role(aws: Aws, name: str) -> dict[str, Any] | None:
    iam = aws.client("iam")
    found = _found(iam.get_role, RoleName=name)
    if found is None:
        return None
    role = found["Role"]
    attached = iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]
    inline = iam.list_role_policies(RoleName=name)["PolicyNames"]
    return {
        "Arn": role["Arn"],
        "AssumeRolePolicyDocument": role["AssumeRolePolicyDocument"],
        "AttachedPolicyArns": sorted(p["PolicyArn"] for p in attached),
        "InlinePolicies": {
            p: iam.get_role_policy(RoleName=name, PolicyName=p)["PolicyDocument"] for p in sorted(inline)
        },
    }


def _managed_policy(aws: Aws, arn: str) -> dict[str, Any] | None:
    iam = aws.client("iam")
    found = _found(iam.get_policy, PolicyArn=arn)
    if found is None:
        return None
    policy = found["Policy"]
    version = iam.get_policy_version(PolicyArn=arn, VersionId=policy["DefaultVersionId"])["PolicyVersion"]
    return {"PolicyDocument": version["Document"]}


def _inline_policy(aws: Aws, physical_id: str) -> dict[str, Any] | None:
    """An ``AWS::IAM::Policy`` has no API of its own: it is read through its roles (see ``_role``)."""
    return {}


def _kms_key(aws: Aws, key_id: str) -> dict[str, Any] | None:
    kms = aws.client("kms")
    found = _found(kms.describe_key, KeyId=key_id)
    if found is None:
        return None
    metadata = found["KeyMetadata"]
    if metadata["KeyState"] in ("PendingDeletion", "PendingReplicaDeletion"):
        return None
    return {
        "Arn": metadata["Arn"],
        "Description": metadata.get("Description"),
        "KeyPolicy": kms.get_key_policy(KeyId=key_id, PolicyName="default")["Policy"],
        "EnableKeyRotation": kms.get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"],
    }


def _topic(aws: Aws, arn: str) -> dict[str, Any] | None:
    found = _found(aws.client("sns").get_topic_attributes, TopicArn=arn)
    if found is None:
        return None
    attributes = found["Attributes"]
    return {"KmsMasterKeyId": attributes.get("KmsMasterKeyId"), "Policy": attributes.get("Policy")}


def _topic_policy(aws: Aws, physical_id: str) -> dict[str, Any] | None:
    """An ``AWS::SNS::TopicPolicy`` is read through its topic's ``Policy`` attribute."""
    return {}


def _rule(aws: Aws, name: str) -> dict[str, Any] | None:
    events = aws.client("events")
    rule = _found(events.describe_rule, Name=name)
    if rule is None:
        return None
    targets = events.list_targets_by_rule(Rule=name)["Targets"]
    return {
        "Arn": rule["Arn"],
        "EventPattern": rule.get("EventPattern"),
        "State": rule.get("State"),
        "Targets": [{"Arn": t["Arn"], "Id": t["Id"]} for t in targets],
    }


def _log_group(aws: Aws, name: str) -> dict[str, Any] | None:
    groups = aws.client("logs").describe_log_groups(logGroupNamePrefix=name)["logGroups"]
    (group,) = [g for g in groups if g["logGroupName"] == name] or [None]
    if group is None:
        return None
    # Fn::GetAtt Arn of a log group ends with ":*", as DescribeLogGroups' "arn" does.
    return {"Arn": group["arn"], "RetentionInDays": group.get("retentionInDays"), "KmsKeyId": group.get("kmsKeyId")}


READERS: dict[str, Callable[[Aws, str], dict[str, Any] | None]] = {
    "AWS::SecretsManager::Secret": _secret,
    "AWS::IAM::Role": _role,
    "AWS::IAM::ManagedPolicy": _managed_policy,
    "AWS::IAM::Policy": _inline_policy,
    "AWS::KMS::Key": _kms_key,
    "AWS::SNS::Topic": _topic,
    "AWS::SNS::TopicPolicy": _topic_policy,
    "AWS::Events::Rule": _rule,
    "AWS::Logs::LogGroup": _log_group,
}


def read(aws: Aws, resource_type: str, physical_id: str) -> dict[str, Any] | None:
    """The deployed resource (None when it does not exist)."""
    return READERS[resource_type](aws, physical_id)


def attribute(aws: Aws, resource_type: str, physical_id: str, name: str) -> str:
    """An ``Fn::GetAtt`` value, read from the service."""
    found = read(aws, resource_type, physical_id)
    assert found is not None, f"{resource_type} {physical_id} does not exist"
    assert name in found, f"cannot read {resource_type}.{name} of {physical_id}"
    return str(found[name])
