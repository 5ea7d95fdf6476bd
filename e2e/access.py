"""What each deployed rotation role may do, computed by the same code as the synth tests.

:func:`documents` collects a deployed role's trust policy and every policy attached to it (read
back through boto3); :func:`role_access` evaluates them with ``tests/iam_access.py``, which the
synth tests use on templates, against candidate secret ARNs (the deployed secrets and an
outsider's look-alikes).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from e2e.stackrun import StackRun
from tests.iam_access import RoleAccess
from tests.iam_access import role_access as evaluate


def documents(run: StackRun, role_id: str) -> tuple[Any, list[Any]]:
    """The deployed trust policy and identity policies (inline and attached) of one role."""
    deployed = run.read[role_id]
    assert deployed is not None
    policies = list(deployed["InlinePolicies"].values())
    for arn in deployed["AttachedPolicyArns"]:
        (policy_id,) = [k for k, v in run.physical_ids.items() if v == arn]
        policy = run.read[policy_id]
        assert policy is not None
        policies.append(policy["PolicyDocument"])
    return deployed["AssumeRolePolicyDocument"], policies


def role_access(run: StackRun, role_id: str, candidates: Iterable[str]) -> RoleAccess:
    """The secrets (among ``candidates``) the deployed role is trusted for, may write and may read."""
    trust, policies = documents(run, role_id)
    return evaluate(trust, policies, candidates, run.context.account)
