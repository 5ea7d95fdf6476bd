"""``ddsecrets protect``: a stack policy so that CloudFormation itself refuses to touch the secrets.

A stack policy applies to every update of the stack (``cdk deploy`` included) and cannot be
removed, only replaced: ``--off`` replaces it with a policy that allows every update. The policy
denies ``Update:Modify``, ``Update:Replace`` and ``Update:Delete`` on each Datadog secret (a
re-seed, a replacement, a removal), and ``Update:Replace`` and ``Update:Delete`` on each rotation
schedule (so rotation cannot be dropped); everything else stays allowed.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from ddsecrets_cli.assembly import StackTemplate
from ddsecrets_cli.aws import connect_to_stack
from ddsecrets_cli.report import Check, Progress, Status

SECRET_ACTIONS = ["Update:Modify", "Update:Replace", "Update:Delete"]
SCHEDULE_ACTIONS = ["Update:Replace", "Update:Delete"]
ALLOW_ALL = {"Effect": "Allow", "Principal": "*", "Action": "Update:*", "Resource": "*"}


def policy_for(stack: StackTemplate) -> dict[str, Any]:
    """The protecting stack policy of ``stack``."""
    secrets = sorted(s.logical_id for s in stack.secrets)
    schedules = sorted(s.schedule.logical_id for s in stack.secrets if s.schedule)
    statements: list[dict[str, Any]] = [ALLOW_ALL]
    if secrets:
        statements.append(
            {
                "Effect": "Deny",
                "Principal": "*",
                "Action": SECRET_ACTIONS,
                "Resource": [f"LogicalResourceId/{s}" for s in secrets],
            }
        )
    if schedules:
        statements.append(
            {
                "Effect": "Deny",
                "Principal": "*",
                "Action": SCHEDULE_ACTIONS,
                "Resource": [f"LogicalResourceId/{s}" for s in schedules],
            }
        )
    return {"Statement": statements}


def command(args: argparse.Namespace, progress: Progress) -> tuple[list[Check], dict[str, object]]:
    aws, stack_name = connect_to_stack(args, progress)
    deployed = aws.deployed_template_or_usage_error(stack_name)
    policy: dict[str, Any] = {"Statement": [ALLOW_ALL]} if args.off else policy_for(deployed)
    aws.call("cloudformation", "set_stack_policy", StackName=stack_name, StackPolicyBody=json.dumps(policy))
    body = aws.call("cloudformation", "get_stack_policy", StackName=stack_name).get("StackPolicyBody") or "{}"
    in_force = json.loads(body)
    if in_force != policy:
        failed = Check(stack_name, "stack policy", Status.FAIL, "the policy read back differs from the one set")
        return [failed], aws.where(stack_name)
    if args.off:
        detail = "every update allowed (the secrets are no longer protected)"
        return [Check(stack_name, "stack policy", Status.PASS, detail)], {**aws.where(stack_name), "policy": policy}
    protected = [r.split("/", 1)[1] for s in policy["Statement"][1:] for r in s["Resource"]]
    detail = (
        f"CloudFormation refuses to modify, replace or delete {len(deployed.secrets)} secret(s) and their schedules"
    )
    extra = {**aws.where(stack_name), "policy": policy, "protected": protected}
    return [Check(stack_name, "stack policy", Status.PASS, detail)], extra
