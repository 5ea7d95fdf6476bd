"""The library's own cdk-nag acknowledgments: each on the narrowest scope, with the fact behind it.

A secret's rotation rules are acknowledged on its ``AWS::SecretsManager::Secret``; a family's keys
share one acknowledgment on their group (``ApplicationKeys``, ``ApiKeys``), which holds nothing but
rotated key secrets: CDK applies an acknowledgment to the scope's descendants, and one per key
would cost two jsii round trips and three metadata entries each.

cdk-nag 3 runs as a policy-validation plugin; an acknowledgment is recorded with
``Validations.of(construct).acknowledge`` (aws-cdk-lib core), so the library itself does not
depend on cdk-nag. Rule ids are the plain ids; granular findings (``AwsSolutions-IAM5[...]``) are
acknowledged one by one, as cdk-nag requires.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from aws_cdk import Acknowledgment, Stack, Validations
from constructs import IConstruct

EXTERNAL_ROTATION_REASON = (
    "The secret is rotated by Secrets Manager managed external rotation (an "
    "AWS::SecretsManager::RotationSchedule with ExternalSecretRotationRoleArn); this rule only "
    "recognises Lambda or hosted rotation."
)

ROTATION_RULES = (
    "AwsSolutions-SMG4",
    "HIPAA.Security-SecretsManagerRotationEnabled",
    "NIST.800.53.R5-SecretsManagerRotationEnabled",
)
"""Measured with cdk-nag 3.0.2: these flag a secret rotated by an external role; PCI DSS 3.2.1 has
no such rule."""


def acknowledge(scope: IConstruct, rule_ids: Sequence[str], reason: str) -> None:
    """Acknowledge these rules on ``scope``, in one call: each Validations.of() is a jsii round trip."""
    Validations.of(scope).acknowledge(*(Acknowledgment(id=rule_id, reason=reason) for rule_id in rule_ids))


def acknowledge_external_rotation(cfn_secret: IConstruct) -> None:
    """The rotation rules do not recognise external-role rotation."""
    acknowledge(cfn_secret, ROTATION_RULES, EXTERNAL_ROTATION_REASON)


def acknowledge_wildcard(policy: IConstruct, resource: str, reason: str) -> None:
    """Acknowledge AwsSolutions-IAM5 for one wildcard resource, in cdk-nag's granular form."""
    acknowledge(policy, [f"AwsSolutions-IAM5[Resource::{_as_nag_string(Stack.of(policy).resolve(resource))}]"], reason)


def _as_nag_string(value: object) -> str:
    """Render a resolved value the way cdk-nag prints it in a finding id."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return str(separator).join(_as_nag_string(part) for part in parts)
    if isinstance(value, dict) and "Ref" in value:
        return f"<{value['Ref']}>"
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        return "<" + ".".join(value["Fn::GetAtt"]) + ">"
    return re.sub(r"\s+", "", str(value))
