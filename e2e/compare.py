"""Synthesized (intrinsics resolved) versus deployed, per resource type, as a list of differences.

Only the template decides what is expected: no role layout, secret count or policy split is
written here, so the comparison keeps working while the constructs change.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from e2e.intrinsics import canonical, canonical_policy
from e2e.readback import NOT_APPLIED
from e2e.stackrun import StackRun


def differences(run: StackRun) -> list[str]:
    found: list[str] = []
    for logical_id, resource in run.template["Resources"].items():
        check = CHECKS.get(resource["Type"])
        if check is not None:
            found += [f"{run.name}/{logical_id}: {d}" for d in check(run, logical_id)]
    return found


def _differ(what: str, expected: Any, deployed: Any) -> list[str]:
    return [] if expected == deployed else [f"{what}: synthesized {expected!r}, deployed {deployed!r}"]


def _secret(run: StackRun, logical_id: str) -> list[str]:
    expected, deployed = run.expected(logical_id), run.read[logical_id]
    assert deployed is not None
    found = []
    for key in ("Name", "Description", "KmsKeyId", "Type"):
        if key in expected and key in deployed:
            found += _differ(key, expected[key], deployed[key])
    # The exact text: CloudFormation writes a new secret version whenever it changes.
    found += _differ("SecretString", expected["SecretString"], deployed["SecretString"])
    return found


def _role(run: StackRun, logical_id: str) -> list[str]:
    expected, deployed = run.expected(logical_id), run.read[logical_id]
    assert deployed is not None
    attached = set(expected.get("ManagedPolicyArns", []))
    inline: dict[str, Any] = {}
    for other_id, other in run.template["Resources"].items():
        roles = other.get("Properties", {}).get("Roles", [])
        if {"Ref": logical_id} not in roles:
            continue
        if other["Type"] == "AWS::IAM::ManagedPolicy":
            attached.add(run.physical_ids[other_id])
        elif other["Type"] == "AWS::IAM::Policy":
            resolved = run.expected(other_id)
            inline[resolved["PolicyName"]] = canonical_policy(resolved["PolicyDocument"])
    return [
        *_differ(
            "AssumeRolePolicyDocument",
            canonical_policy(expected["AssumeRolePolicyDocument"]),
            canonical_policy(deployed["AssumeRolePolicyDocument"]),
        ),
        *_differ("attached managed policies", sorted(attached), deployed["AttachedPolicyArns"]),
        *_differ("inline policies", inline, {k: canonical_policy(v) for k, v in deployed["InlinePolicies"].items()}),
    ]


def _managed_policy(run: StackRun, logical_id: str) -> list[str]:
    expected, deployed = run.expected(logical_id), run.read[logical_id]
    assert deployed is not None
    return _differ(
        "PolicyDocument", canonical_policy(expected["PolicyDocument"]), canonical_policy(deployed["PolicyDocument"])
    )


def _kms_key(run: StackRun, logical_id: str) -> list[str]:
    expected, deployed = run.expected(logical_id), run.read[logical_id]
    assert deployed is not None
    return [
        *_differ("KeyPolicy", canonical_policy(expected["KeyPolicy"]), canonical_policy(deployed["KeyPolicy"])),
        *_differ("Description", expected.get("Description"), deployed["Description"]),
        *_differ("EnableKeyRotation", expected.get("EnableKeyRotation", False), deployed["EnableKeyRotation"]),
    ]


def _topic(run: StackRun, logical_id: str) -> list[str]:
    expected, deployed = run.expected(logical_id), run.read[logical_id]
    assert deployed is not None
    return _differ("KmsMasterKeyId", expected.get("KmsMasterKeyId"), deployed["KmsMasterKeyId"])


def _topic_policy(run: StackRun, logical_id: str) -> list[str]:
    expected = run.expected(logical_id)
    found = []
    for topic_arn in expected["Topics"]:
        (topic_id,) = [k for k, v in run.physical_ids.items() if v == topic_arn]
        deployed = run.read[topic_id]
        assert deployed is not None
        found += _differ(
            f"Policy of {topic_id}", canonical_policy(expected["PolicyDocument"]), canonical_policy(deployed["Policy"])
        )
    return found


def _rule(run: StackRun, logical_id: str) -> list[str]:
    expected, deployed = run.expected(logical_id), run.read[logical_id]
    assert deployed is not None
    targets = sorted((t["Arn"], t["Id"]) for t in expected.get("Targets", []))
    return [
        *_differ("EventPattern", canonical(expected["EventPattern"]), canonical(deployed["EventPattern"])),
        *_differ("State", expected.get("State", "ENABLED"), deployed["State"]),
        *_differ("Targets", targets, sorted((t["Arn"], t["Id"]) for t in deployed["Targets"])),
    ]


def _log_group(run: StackRun, logical_id: str) -> list[str]:
    expected, deployed = run.expected(logical_id), run.read[logical_id]
    assert deployed is not None
    return [
        d
        for key in ("RetentionInDays", "KmsKeyId")
        if ("AWS::Logs::LogGroup", key) not in NOT_APPLIED
        for d in _differ(key, expected.get(key), deployed[key])
    ]


CHECKS: dict[str, Callable[[StackRun, str], list[str]]] = {
    "AWS::SecretsManager::Secret": _secret,
    "AWS::IAM::Role": _role,
    "AWS::IAM::ManagedPolicy": _managed_policy,
    "AWS::KMS::Key": _kms_key,
    "AWS::SNS::Topic": _topic,
    "AWS::SNS::TopicPolicy": _topic_policy,
    "AWS::Events::Rule": _rule,
    "AWS::Logs::LogGroup": _log_group,
}
