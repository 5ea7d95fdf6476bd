"""``ddsecrets status``: the runbook's first step in one command.

For each Datadog secret of the deployed stack: its type (from the deployed template), rotation
enabled, last and next rotation (``DescribeSecret``), a version stuck in ``AWSPENDING``
(``ListSecretVersionIds``), the last ``RotationFailed`` / ``RotationAbandoned`` event and its error
(CloudTrail ``LookupEvents``, matched on either place rotation events carry the secret ARN), and
a verdict. Exit 1 when any secret is unhealthy.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
from dataclasses import asdict, dataclass
from typing import Any, Optional

from ddsecrets_cli.aws import Aws, AwsCallError, connect_to_stack
from ddsecrets_cli.report import Check, Progress, Status

FAILURE_EVENTS = ("RotationFailed", "RotationAbandoned")
SUCCESS_EVENT = "RotationSucceeded"
MAX_EVENT_PAGES = 10
"""LookupEvents pages (50 events each) read per event name: bounded, newest first."""
OVERDUE = dt.timedelta(days=1)


@dataclass
class SecretHealth:
    logical_id: str
    type: str
    arn: Optional[str]
    rotation_enabled: Optional[bool] = None
    last_rotated: Optional[str] = None
    next_rotation: Optional[str] = None
    pending_version: Optional[str] = None
    last_failure: Optional[dict[str, str]] = None
    last_success: Optional[str] = None
    verdict: str = ""
    problems: tuple[str, ...] = ()


def command(args: argparse.Namespace, progress: Progress) -> tuple[list[Check], dict[str, object]]:
    aws, stack_name = connect_to_stack(args, progress)
    deployed = aws.deployed_template_or_usage_error(stack_name)
    physical = aws.physical_ids(stack_name)
    now = dt.datetime.now(dt.UTC)
    events = _rotation_events(aws, now - dt.timedelta(days=args.days))
    healths = [_health(aws, s.logical_id, s.type, physical.get(s.logical_id), events, now) for s in deployed.secrets]
    checks = [_as_check(h) for h in healths]
    return checks, {**aws.where(stack_name), "secrets": [asdict(h) for h in healths]}


def _rotation_events(aws: Aws, since: dt.datetime) -> list[dict[str, Any]]:
    """Rotation service events of the account and region, newest first, each with its secret ARN."""
    found: list[dict[str, Any]] = []
    for name in (*FAILURE_EVENTS, SUCCESS_EVENT):
        token: Optional[str] = None
        for _ in range(MAX_EVENT_PAGES):
            kwargs: dict[str, Any] = {
                "LookupAttributes": [{"AttributeKey": "EventName", "AttributeValue": name}],
                "StartTime": since,
                "MaxResults": 50,
            }
            if token:
                kwargs["NextToken"] = token
            page = aws.call("cloudtrail", "lookup_events", **kwargs)
            for event in page.get("Events", []):
                detail = json.loads(event.get("CloudTrailEvent") or "{}")
                found.append(
                    {
                        "name": event.get("EventName", name),
                        "time": _utc(event.get("EventTime")),
                        "secret": secret_arn_of(detail),
                        "error": str(detail.get("errorMessage") or detail.get("errorCode") or ""),
                    }
                )
            token = page.get("NextToken")
            if not token:
                break
    return sorted(found, key=lambda e: e["time"] or dt.datetime.min.replace(tzinfo=dt.UTC), reverse=True)


def secret_arn_of(detail: dict[str, Any]) -> Optional[str]:
    """The secret ARN of a rotation event: Lambda-rotation samples carry it in
    ``additionalEventData.SecretId``, a managed-rotation sample in ``serviceEventDetails.secretId``
    (reference section 8; which one managed external secrets use is not public)."""
    for outer, inner in (("additionalEventData", "SecretId"), ("serviceEventDetails", "secretId")):
        value = (detail.get(outer) or {}).get(inner)
        if value:
            return str(value)
    return None


def _health(
    aws: Aws,
    logical_id: str,
    secret_type: str,
    arn: Optional[str],
    events: list[dict[str, Any]],
    now: dt.datetime,
) -> SecretHealth:
    health = SecretHealth(logical_id, secret_type, arn)
    if arn is None:
        health.verdict, health.problems = "missing", ("CloudFormation lists no physical secret for it",)
        return health
    try:
        described = aws.call("secretsmanager", "describe_secret", SecretId=arn)
    except AwsCallError as error:
        if error.code != "ResourceNotFoundException":
            raise
        health.verdict, health.problems = "missing", ("Secrets Manager does not know it (deleted by hand?)",)
        return health
    deleted = _utc(described.get("DeletedDate"))
    if deleted is not None:
        health.verdict = "missing"
        health.problems = (
            f"deleted on {_text(deleted)} (scheduled for deletion): restore it with "
            "`aws secretsmanager restore-secret` before the recovery window ends",
        )
        return health
    health.rotation_enabled = bool(described.get("RotationEnabled"))
    last = _utc(described.get("LastRotatedDate"))
    upcoming = _utc(described.get("NextRotationDate"))
    health.last_rotated, health.next_rotation = _text(last), _text(upcoming)
    versions = aws.call("secretsmanager", "list_secret_version_ids", SecretId=arn).get("Versions", [])
    pending = [
        v for v in versions if "AWSPENDING" in v.get("VersionStages", []) and "AWSCURRENT" not in v["VersionStages"]
    ]
    health.pending_version = pending[0]["VersionId"] if pending else None
    mine = [e for e in events if e["secret"] == arn]
    failure = next((e for e in mine if e["name"] in FAILURE_EVENTS), None)
    success = next((e for e in mine if e["name"] == SUCCESS_EVENT), None)
    health.last_success = _text(success["time"]) if success else None
    if failure:
        health.last_failure = {
            "event": failure["name"],
            "time": _text(failure["time"]) or "",
            "error": failure["error"],
        }
    problems: list[str] = []
    if not health.rotation_enabled:
        problems.append("rotation is not enabled")
    if health.pending_version:
        problems.append(f"version {health.pending_version} is stuck in AWSPENDING (a rotation did not finish)")
    if failure and (success is None or failure["time"] > success["time"]):
        problems.append(f"last rotation event is {failure['name']}: {failure['error'] or 'no message'}")
    overdue = upcoming is not None and upcoming < now - OVERDUE
    health.problems = tuple(problems)
    health.verdict = "unhealthy" if problems else ("overdue" if overdue else "healthy")
    return health


def _as_check(health: SecretHealth) -> Check:
    facts = [
        health.type,
        "rotation on" if health.rotation_enabled else "rotation OFF",
        f"last {health.last_rotated or 'never'}",
        f"next {health.next_rotation or 'unknown'}",
        f"AWSPENDING {health.pending_version}" if health.pending_version else "no AWSPENDING",
    ]
    if health.last_failure:
        facts.append(f"{health.last_failure['event']} {health.last_failure['time']}: {health.last_failure['error']}")
    detail = "; ".join(facts)
    if health.verdict == "missing":
        return Check(health.logical_id, "rotation health", Status.FAIL, "; ".join(health.problems), _FIX["missing"])
    if health.problems:
        fix = " ".join(_FIX[key] for key in ("off", "pending", "failed") if _matches(key, health.problems))
        return Check(health.logical_id, "rotation health", Status.FAIL, detail, fix)
    if health.verdict == "overdue":
        return Check(health.logical_id, "rotation health", Status.WARN, f"{detail}; overdue", _FIX["overdue"])
    return Check(health.logical_id, "rotation health", Status.PASS, detail)


_FIX = {
    "missing": "deploy the stack, or check that it was not deleted by hand",
    "off": "deploy the stack again (its RotationSchedule enables rotation) and read the RotationFailed error.",
    "pending": "fix the cause (the event's error), remove the AWSPENDING label and rotate again: docs/runbook.md "
    "section 2.",
    "failed": "the error message says why; the README's troubleshooting table maps the common ones to a fix.",
    "overdue": "the next rotation date has passed without a rotation: check CloudTrail (docs/runbook.md section 1).",
}


def _matches(key: str, problems: tuple[str, ...]) -> bool:
    words = {"off": "not enabled", "pending": "AWSPENDING", "failed": "last rotation event"}
    return any(words[key] in p for p in problems)


def _utc(value: Any) -> Optional[dt.datetime]:
    if value is None:
        return None
    if isinstance(value, (int, float)):
        return dt.datetime.fromtimestamp(value, tz=dt.UTC)
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC) if value.tzinfo else value.replace(tzinfo=dt.UTC)
    return None


def _text(value: Optional[dt.datetime]) -> Optional[str]:
    return f"{value:%Y-%m-%d %H:%M} UTC" if value else None
