"""Which secrets each deployed rotation role is trusted for, may write, and may read.

THE PLACE FOR THE SHARED HELPER: the synth tests will get one helper that computes these three
sets per role (issue 8). When it lands, make :func:`role_access` call it on the deployed documents
(``StackRun.read[role]`` and the policies attached to it) and delete the small evaluator below.
Until then this evaluator reads the documents the way IAM does for these statements: ``Allow``
statements, ``*``/``?`` wildcards in ARNs, ``aws:SourceArn``/``aws:SourceAccount`` in the trust.
"""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

from e2e.stackrun import StackRun

WRITE = "secretsmanager:PutSecretValue"
READ = "secretsmanager:GetSecretValue"
ROTATION_SERVICE = "secretsmanager.amazonaws.com"


@dataclass(frozen=True)
class RoleAccess:
    trusted: tuple[str, ...]  # ARN patterns of the secrets Secrets Manager may assume the role for
    writes: tuple[str, ...]  # ARN patterns the role may PutSecretValue on
    reads: tuple[str, ...]  # ARN patterns the role may GetSecretValue on

    def is_trusted_for(self, arn: str) -> bool:
        return any(fnmatchcase(arn, p) for p in self.trusted)

    def may_write(self, arn: str) -> bool:
        return any(fnmatchcase(arn, p) for p in self.writes)

    def may_read(self, arn: str) -> bool:
        return any(fnmatchcase(arn, p) for p in self.reads)


def role_access(run: StackRun, role_id: str) -> RoleAccess:
    """The sets for one deployed role, from its deployed trust and policy documents."""
    deployed = run.read[role_id]
    assert deployed is not None
    documents = list(deployed["InlinePolicies"].values())
    for arn in deployed["AttachedPolicyArns"]:
        (policy_id,) = [k for k, v in run.physical_ids.items() if v == arn]
        policy = run.read[policy_id]
        assert policy is not None
        documents.append(policy["PolicyDocument"])
    return RoleAccess(
        trusted=_trusted(deployed["AssumeRolePolicyDocument"], run.context.account),
        writes=_resources(documents, WRITE),
        reads=_resources(documents, READ),
    )


def _statements(document: Any) -> list[dict[str, Any]]:
    statements = document.get("Statement", [])
    return [statements] if isinstance(statements, dict) else list(statements)


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _trusted(document: Any, account: str) -> tuple[str, ...]:
    patterns: list[str] = []
    for s in _statements(document):
        services = _as_list(s.get("Principal", {}).get("Service", []))
        if s.get("Effect") != "Allow" or ROTATION_SERVICE not in services:
            continue
        condition = s.get("Condition", {})
        accounts = [a for op in condition.values() for a in _as_list(op.get("aws:SourceAccount", []))]
        if accounts and account not in accounts:
            continue
        arns = [a for op in condition.values() for a in _as_list(op.get("aws:SourceArn", []))]
        patterns += arns or ["*"]
    return tuple(patterns)


def _resources(documents: list[Any], action: str) -> tuple[str, ...]:
    found: list[str] = []
    for document in documents:
        for s in _statements(document):
            actions = _as_list(s.get("Action", []))
            if s.get("Effect") == "Allow" and any(fnmatchcase(action, a) for a in actions):
                found += _as_list(s.get("Resource", []))
    return tuple(found)
