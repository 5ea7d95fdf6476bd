"""The compatibility contract: what a deployed stack depends on, per reference configuration.

Logical ids, each secret's SecretString, each schedule's rules and every IAM statement. A change
here is a MAJOR version (docs/versioning.md): CloudFormation would replace a secret, drop a
rotation schedule, write a rotated-away key back, move rotations or change permissions.
Update the snapshot only on purpose (`pytest --snapshot-update`), with a CHANGELOG entry.
"""

from __future__ import annotations

from typing import Any

import pytest
from syrupy.assertion import SnapshotAssertion
from syrupy.extensions.json import JSONSnapshotExtension

from tests.support import built

REFERENCE_CONFIGURATIONS = ["family", "family_alerts", "imported_admin", "seed", "standalone"]
MAJOR = (
    "The compatibility contract changed (logical ids, SecretString, schedules or permissions). "
    "This is a MAJOR change for every deployed stack: see docs/versioning.md. If it is intended, "
    "update the snapshot with --snapshot-update and add a CHANGELOG entry in the same commit."
)
SCHEDULE_KEYS = ("SecretId", "RotationRules", "RotateImmediatelyOnUpdate", "ExternalSecretRotationMetadata")
IAM_TYPES = ("AWS::IAM::ManagedPolicy", "AWS::IAM::Policy", "AWS::IAM::Role", "AWS::KMS::Key", "AWS::SNS::TopicPolicy")


def contract(template: dict[str, Any]) -> dict[str, Any]:
    resources = template["Resources"]

    def of_type(resource_type: str) -> dict[str, Any]:
        return {k: v.get("Properties", {}) for k, v in resources.items() if v["Type"] == resource_type}

    permissions = {}
    for logical_id, resource in resources.items():
        properties = resource.get("Properties", {})
        for key in ("PolicyDocument", "AssumeRolePolicyDocument", "KeyPolicy"):
            if resource["Type"] in IAM_TYPES and key in properties:
                permissions[f"{logical_id}.{key}"] = properties[key]["Statement"]
    return {
        "logical_ids": {k: v["Type"] for k, v in sorted(resources.items())},
        "secret_strings": {k: p.get("SecretString") for k, p in of_type("AWS::SecretsManager::Secret").items()},
        "secret_names": {k: p.get("Name") for k, p in of_type("AWS::SecretsManager::Secret").items()},
        "retention": {
            k: [v.get("DeletionPolicy"), v.get("UpdateReplacePolicy")]
            for k, v in resources.items()
            if v["Type"] == "AWS::SecretsManager::Secret"
        },
        "schedules": {
            k: {key: p.get(key) for key in SCHEDULE_KEYS}
            for k, p in of_type("AWS::SecretsManager::RotationSchedule").items()
        },
        "permissions": permissions,
    }


@pytest.mark.parametrize("name", REFERENCE_CONFIGURATIONS)
def test_compatibility_contract_is_unchanged(name: str, snapshot: SnapshotAssertion) -> None:
    assert contract(built(name).json) == snapshot.use_extension(JSONSnapshotExtension), MAJOR


def test_contract_covers_what_a_major_change_is_about() -> None:
    """The contract must contain every part the versioning policy names (so it can fail)."""
    extracted = contract(built("seed").json)
    assert len(extracted["secret_strings"]) == 3
    assert all(value is not None for value in extracted["secret_strings"].values())
    assert len(extracted["schedules"]) == 3
    assert any(".PolicyDocument" in key for key in extracted["permissions"])
    assert any(".AssumeRolePolicyDocument" in key for key in extracted["permissions"])
