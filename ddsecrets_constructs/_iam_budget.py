"""How much room an IAM document has, estimated at synth time before the ARNs are known.

IAM counts a policy's characters with whitespace removed and every ARN resolved (reference
section 4 and the IAM quotas page): a trust policy may hold 2,048 characters, a customer-managed
policy 6,144, and a role may have 10 managed policies attached (default quotas). The library puts
exact secret ARNs in its documents, so it estimates each ARN's resolved length from what it knows
at synth time, using the longest partition and region where the stack's are deploy-time values.
The estimates are upper bounds; ``tests/test_rotation_role.py`` measures the real resolved sizes.
"""

from __future__ import annotations

import json
import re

from aws_cdk import Stack

from ._stack_facts import facts_of_stack
from .defaults import KMS_ACTIONS_TO_ROTATE, ROTATION_ACTIONS

TRUST_POLICY_LIMIT = 2048
MANAGED_POLICY_LIMIT = 6144
MANAGED_POLICIES_PER_ROLE = 10

# Longest values of the ARN parts that can be deploy-time values: "aws-us-gov" (10), and regions
# such as "ap-southeast-7" or "us-isob-east-1" (14).
_PARTITION = "aws-us-gov"
_REGION = "ap-southeast-7"
_ACCOUNT = "111122223333"
_SUFFIX = 7  # "-" and the 6 characters Secrets Manager appends to a secret's name
MAX_SECRET_NAME = 512
KEY_ARN = len(f"arn:{_PARTITION}:kms:{_REGION}:{_ACCOUNT}:key/") + 36
PER_ENTRY = 3  # quotes and comma around each ARN in a list


def _size(document: object) -> int:
    return len(json.dumps(document, separators=(",", ":")))


# The fixed parts of the documents, measured on the JSON the constructs write (longest Sid, the
# longest region in kms:ViaService), with empty lists where the ARNs go.
TRUST_OVERHEAD = _size(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"aws:SourceAccount": _ACCOUNT}, "ArnLike": {"aws:SourceArn": []}},
                "Effect": "Allow",
                "Principal": {"Service": "secretsmanager.amazonaws.com"},
            }
        ],
    }
)
POLICY_OVERHEAD = _size({"Version": "2012-10-17", "Statement": []})
STATEMENT_OVERHEAD = (
    _size({"Action": list(ROTATION_ACTIONS), "Effect": "Allow", "Resource": [], "Sid": "ReadDatadogAdminSecrets"}) + 1
)
KMS_STATEMENT_OVERHEAD = (
    _size(
        {
            "Action": list(KMS_ACTIONS_TO_ROTATE),
            "Condition": {
                "StringEquals": {
                    "kms:ViaService": f"secretsmanager.{_REGION}.amazonaws.com",
                    "kms:EncryptionContext:SecretARN": [],
                }
            },
            "Effect": "Allow",
            "Resource": [],
            "Sid": "UseKeysToReadAdmin",
        }
    )
    + 1
)


def secret_arn_length(stack: Stack, name_length: int) -> int:
    """Upper bound of ``arn:<partition>:secretsmanager:<region>:<account>:secret:<name>-XXXXXX``:
    the stack's partition and region when it has a literal region, the longest ones otherwise."""
    facts = facts_of_stack(stack)
    region, partition = _REGION, _PARTITION
    if facts.literal_region is not None:
        region = facts.literal_region
        partition = facts.partition or _PARTITION
    return len(f"arn:{partition}:secretsmanager:{region}:{_ACCOUNT}:secret:") + name_length + _SUFFIX


def generated_name_length(construct_path: str) -> int:
    """Upper bound of the name CloudFormation generates for a secret without ``Name``: its logical
    id (the path's letters and digits and an 8-character hash, at most 255) and a 13-character
    random suffix."""
    return min(len(re.sub(r"[^A-Za-z0-9]", "", construct_path)) + 8, 255) + 13


def arn_entry(arn_length: int) -> int:
    return arn_length + PER_ENTRY
