"""EventBridge patterns of the rotation alerts, split so that each fits EventBridge's quota.

EventBridge limits an event pattern to 2,048 characters by default (reference section 8); what
counts is the pattern CloudFormation sends, with every ``Ref`` resolved. Secret ARNs are tokens at
synth time, so each one is measured at its longest possible length and the secrets are packed
into as few patterns as fit.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from aws_cdk import Stack, Token

MAX_PATTERN_CHARACTERS = 2048
LONGEST_PARTITION = "aws-us-gov"
LONGEST_REGION = "ap-southeast-5"
MAX_SECRET_NAME = 512
GENERATED_NAME_RANDOM = 13
"""CloudFormation names a secret without ``Name`` ``<stack>-<logical id>-<12 random characters>``
(UNVERIFIED for Secrets Manager; the estimate is capped at the longest name allowed)."""
ARN_SUFFIX = 7  # "-" and the 6 characters Secrets Manager appends

FAILURE_EVENTS = ("RotationFailed", "RotationAbandoned")
SUCCESS_EVENT = "RotationSucceeded"
ARN_PATHS = (("additionalEventData", "SecretId"), ("serviceEventDetails", "secretId"))
"""Where rotation events carry the secret ARN: Lambda-rotation samples and a managed-rotation sample."""


@dataclass(frozen=True)
class Watched:
    """One pattern entry: a full ARN or ``{"prefix": ...}``, and its longest resolved form."""

    entry: Any
    longest: Any


def secret_arn_prefix_length(stack: Stack) -> int:
    """Characters of ``arn:<partition>:secretsmanager:<region>:<account>:secret:`` at their longest."""
    region = stack.region if not Token.is_unresolved(stack.region) else LONGEST_REGION
    account = stack.account if not Token.is_unresolved(stack.account) else "0" * 12
    partition = stack.partition if not Token.is_unresolved(stack.partition) else LONGEST_PARTITION
    return len(f"arn:{partition}:secretsmanager:{region}:{account}:secret:")


def longest_secret_arn(stack: Stack, arn: str, name: Any, logical_id: str) -> str:
    """A stand-in as long as ``arn`` can be once CloudFormation resolves it."""
    if not Token.is_unresolved(arn):
        return arn
    if isinstance(name, str) and not Token.is_unresolved(name):
        length = len(name)
    elif name is None:
        length = min(MAX_SECRET_NAME, len(stack.stack_name) + 1 + len(logical_id) + GENERATED_NAME_RANDOM)
    else:
        length = MAX_SECRET_NAME
    return "x" * (secret_arn_prefix_length(stack) + length + ARN_SUFFIX)


def failure_pattern(entries: Sequence[Any], event_names: Sequence[str]) -> dict[str, Any]:
    """Rotation events (CloudTrail service events) of the given secrets, by either ARN path.

    No ``detail-type``: the pattern matches "AWS Service Event via CloudTrail" (what AWS documents
    for rotation events) and any other detail-type these events may come with."""
    return {
        "source": ["aws.secretsmanager"],
        "detail": {
            "eventSource": ["secretsmanager.amazonaws.com"],
            "eventName": list(event_names),
            "$or": [{outer: {inner: list(entries)}} for outer, inner in ARN_PATHS],
        },
    }


def label_pattern(entries: Sequence[Any]) -> dict[str, Any]:
    """The native ``Secret Label Updated`` event when ``AWSCURRENT`` moves (no CloudTrail needed)."""
    return {
        "source": ["aws.secretsmanager"],
        "detail-type": ["Secret Label Updated"],
        "resources": list(entries),
        "detail": {"labelUpdated": ["AWSCURRENT"]},
    }


def pattern_size(pattern: dict[str, Any]) -> int:
    """Characters of the pattern as JSON (with spaces after separators: the longer way to write it)."""
    return len(json.dumps(pattern))


def pack(watched: Sequence[Watched], make: Callable[[Sequence[Any]], dict[str, Any]]) -> list[list[Watched]]:
    """Consecutive groups of ``watched`` whose pattern, ARNs at their longest, fits the quota."""
    groups: list[list[Watched]] = []
    for item in watched:
        if groups and pattern_size(make([w.longest for w in [*groups[-1], item]])) <= MAX_PATTERN_CHARACTERS:
            groups[-1].append(item)
        else:
            groups.append([item])
    return groups
