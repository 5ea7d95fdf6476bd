"""``ddsecrets guard``: refuse a deploy that would overwrite, replace or unschedule a Datadog secret.

CloudFormation writes a ``SecretString`` again whenever its resolved text changes (reference
section 5): a changed expression (another site, another service account, a renamed parameter) or a
new value of a parameter it uses. After a rotation, that puts a dead key back as ``AWSCURRENT``.
A changed ``Name`` replaces the secret; a removed logical id removes it (retained, but no longer
rotated) or drops its rotation schedule (cloudformation-coverage-roadmap#1813).
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from ddsecrets_cli import assembly
from ddsecrets_cli.assembly import SCHEDULE, SECRET, DatadogSecret, StackTemplate
from ddsecrets_cli.aws import Aws, StackMissingError
from ddsecrets_cli.parameters import is_no_echo, parse_assignments
from ddsecrets_cli.report import Check, Progress, Status

REPLACING_SECRET_PROPERTIES = ("Name",)
"""Properties of AWS::SecretsManager::Secret whose change replaces the secret (CloudFormation reference)."""
REPLACING_SCHEDULE_PROPERTIES = ("SecretId",)
NESTED_STACK = "AWS::CloudFormation::Stack"


def command(args: argparse.Namespace, progress: Progress) -> tuple[list[Check], dict[str, object]]:
    local = assembly.load_from_assembly(args.cdk_out, args.stack)
    # `--stack` may be the construct path `cdk deploy` selects by (what `make deploy` passes); AWS
    # knows the stack by its CloudFormation name, and so does `cdk deploy --parameters`.
    given = parse_assignments(local.name, args.parameters, construct_path=local.path)
    aws = Aws.for_stack(args.profile, args.region, progress, local)
    where = aws.where(local.name)
    try:
        deployed = aws.deployed_template(local.name)
    except StackMissingError:
        return [Check(local.name, "stack deployed", Status.PASS, "not deployed yet: nothing to overwrite")], where
    current = aws.deployed_parameters(local.name)
    return compare(deployed, local, given, current, allowed=set(args.allow_reseed)), where


def compare(
    deployed: StackTemplate,
    local: StackTemplate,
    given: dict[str, str],
    current: dict[str, str],
    *,
    allowed: set[str],
) -> list[Check]:
    """What the deploy of ``local`` over ``deployed`` would do to each Datadog secret and schedule."""
    checks: list[Check] = []
    local_resources = local.resources()
    # The parameters the deploy gives a new value (a NoEcho value always counts as new: CloudFormation
    # does not show the old one).
    renewed = {p for p in given if is_no_echo(local.parameters.get(p, {})) or given[p] != current.get(p)}
    for secret in deployed.secrets:
        checks += _secret_checks(secret, deployed, local, local_resources, renewed)
    checks += _schedule_checks(deployed, local, local_resources, renewed)
    checks += _nested_stack_checks(deployed, local_resources)
    if not checks:
        checks.append(Check(deployed.name, "Datadog secrets", Status.PASS, "the deployed stack has none"))
    return [_allow(c, allowed) for c in checks]


def _nested_stack_checks(deployed: StackTemplate, local_resources: dict[str, dict[str, Any]]) -> list[Check]:
    """A nested stack removed fails (the secrets in it go with it); one kept is a warning, as its
    template, another file, is not compared."""
    removed = [
        Check(
            logical_id,
            "nested stack kept",
            Status.FAIL,
            "the nested stack is removed (or renamed): CloudFormation deletes it, and the Datadog secrets in it "
            "are deleted or, retained, no longer rotated",
            _how(logical_id),
        )
        for logical_id, resource in sorted(deployed.resources().items())
        if resource.get("Type") == NESTED_STACK and local_resources.get(logical_id, {}).get("Type") != NESTED_STACK
    ]
    kept = [
        Check(
            logical_id,
            "nested stack not checked",
            Status.WARN,
            "a nested stack (AWS::CloudFormation::Stack): its template is another file, and the Datadog secrets "
            "in it are not compared here",
            "keep Datadog secrets in top-level stacks, which guard reads",
        )
        for logical_id, resource in sorted(local_resources.items())
        if resource.get("Type") == NESTED_STACK
    ]
    return removed + kept


def _secret_checks(
    secret: DatadogSecret,
    deployed: StackTemplate,
    local: StackTemplate,
    local_resources: dict[str, dict[str, Any]],
    renewed: set[str],
) -> list[Check]:
    subject = secret.logical_id
    before = deployed.resources()[secret.logical_id].get("Properties", {})
    after_resource = local_resources.get(secret.logical_id)
    if after_resource is None or after_resource.get("Type") != SECRET:
        return [
            Check(
                subject,
                "secret kept",
                Status.FAIL,
                f"the {secret.kind} secret is removed from the stack (a renamed construct id, or a removed key): "
                "CloudFormation deletes it, or with Retain leaves it with no rotation",
                _how(subject),
            )
        ]
    after = after_resource.get("Properties", {})
    checks = _condition_checks(subject, f"the {secret.kind} secret", deployed, local, renewed)
    for name in REPLACING_SECRET_PROPERTIES:
        if _canonical(before.get(name)) != _canonical(after.get(name)):
            checks.append(
                Check(
                    subject,
                    "secret not replaced",
                    Status.FAIL,
                    f"{name} changes from {before.get(name)!r} to {after.get(name)!r}: CloudFormation replaces the "
                    "secret with one holding the parameter values, not the rotated keys",
                    _how(subject),
                )
            )
    if before.get("Type") != after.get("Type"):
        checks.append(
            Check(
                subject,
                "secret type unchanged",
                Status.FAIL,
                f"Type changes from {before.get('Type')} to {after.get('Type')}: the stored value would not match",
                _how(subject),
            )
        )
    checks.append(_secret_string_check(subject, before, after, renewed))
    return checks


def _secret_string_check(
    subject: str,
    before: dict[str, Any],
    after: dict[str, Any],
    renewed: set[str],
) -> Check:
    name = "SecretString not written again"
    if _canonical(before.get("SecretString")) != _canonical(after.get("SecretString")):
        changed = [
            f
            for f, source in assembly.secret_fields(after.get("SecretString")).items()
            if assembly.secret_fields(before.get("SecretString")).get(f) != source
        ]
        return Check(
            subject,
            name,
            Status.FAIL,
            "the SecretString expression changes"
            + (f" (fields {', '.join(sorted(changed))})" if changed else " (its text)")
            + ": CloudFormation writes it again, over the rotated key",
            _how(subject),
        )
    parameters = sorted(
        {s.name for s in assembly.secret_fields(after.get("SecretString")).values() if isinstance(s, assembly.Param)}
    )
    changed_parameters = [p for p in parameters if p in renewed]
    if changed_parameters:
        return Check(
            subject,
            name,
            Status.FAIL,
            f"the deploy passes new value(s) for {', '.join(changed_parameters)}: CloudFormation writes the "
            "SecretString again (a NoEcho value counts as new: CloudFormation does not show the old one)",
            "leave these parameters out (cdk deploy reuses the previous values); " + _how(subject),
        )
    return Check(subject, name, Status.PASS, "unchanged expression, previous parameter values")


def _schedule_checks(
    deployed: StackTemplate, local: StackTemplate, local_resources: dict[str, dict[str, Any]], renewed: set[str]
) -> list[Check]:
    checks: list[Check] = []
    for secret in deployed.secrets:
        schedule = secret.schedule
        if schedule is None:
            continue
        subject = schedule.logical_id
        after = local_resources.get(schedule.logical_id)
        if after is None or after.get("Type") != SCHEDULE:
            checks.append(
                Check(
                    subject,
                    "rotation schedule kept",
                    Status.FAIL,
                    f"the rotation schedule of {secret.logical_id} is removed (or renamed): the secret stops rotating",
                    _how(subject),
                )
            )
            continue
        checks += _condition_checks(subject, "the schedule", deployed, local, renewed)
        before = deployed.resources()[schedule.logical_id].get("Properties", {})
        replaced = [
            p
            for p in REPLACING_SCHEDULE_PROPERTIES
            if _canonical(before.get(p)) != _canonical(after.get("Properties", {}).get(p))
        ]
        lost = _rotation_settings_lost(before, after.get("Properties", {}))
        if replaced:
            checks.append(
                Check(
                    subject,
                    "rotation schedule kept",
                    Status.FAIL,
                    f"{', '.join(replaced)} changes: CloudFormation replaces the schedule",
                    _how(subject),
                )
            )
        elif lost:
            checks.append(
                Check(
                    subject,
                    "rotation schedule kept",
                    Status.FAIL,
                    f"the schedule of {secret.logical_id} " + "; ".join(lost),
                    _how(subject),
                )
            )
        else:
            checks.append(Check(subject, "rotation schedule kept", Status.PASS, f"still rotates {secret.logical_id}"))
    return checks


ROTATION_SETTINGS = {
    "RotationRules": "its RotationRules (when it rotates)",
    "ExternalSecretRotationRoleArn": "its ExternalSecretRotationRoleArn (Secrets Manager has no role to rotate with)",
    "adminSecretArn": "its adminSecretArn (Secrets Manager has no admin to rotate the key with)",
}
"""What a managed external rotation schedule needs, and what removing it takes away."""


def _rotation_settings_lost(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """What the schedule loses of the settings ``before`` has: the schedule is kept, but the secret
    no longer rotates, or not as it did. A setting under ``Fn::If`` counts as lost (where the
    condition is false it is gone); a changed ``adminSecretArn`` too (another admin's service
    account may not own the key)."""
    lost = [f"loses {ROTATION_SETTINGS[k]}" for k in ROTATION_SETTINGS if k in _settings(before) - _settings(after)]
    admin_before, admin_after = _admin_arn(before), _admin_arn(after)
    if admin_before is not None and admin_after is not None and _canonical(admin_before) != _canonical(admin_after):
        lost.append(
            "changes its adminSecretArn (the key would rotate with another admin secret, whose service account "
            "may not own it)"
        )
    return lost


def _settings(properties: dict[str, Any]) -> set[str]:
    """The rotation settings ``properties`` hold unconditionally."""
    found = {
        k
        for k in ("RotationRules", "ExternalSecretRotationRoleArn")
        if properties.get(k) and not _conditional(properties[k])
    }
    if _admin_arn(properties) is not None:
        found.add("adminSecretArn")
    return found


def _admin_arn(properties: dict[str, Any]) -> Any:
    """The ``adminSecretArn`` metadata value, None when there is none (or only under ``Fn::If``)."""
    metadata = properties.get("ExternalSecretRotationMetadata")
    if not isinstance(metadata, list):
        return None
    for item in metadata:
        if isinstance(item, dict) and item.get("Key") == "adminSecretArn":
            return None if _conditional(item.get("Value")) else item.get("Value")
    return None


def _conditional(value: Any) -> bool:
    return isinstance(value, dict) and "Fn::If" in value


def _condition_checks(
    subject: str, what: str, deployed: StackTemplate, local: StackTemplate, renewed: set[str]
) -> list[Check]:
    """Where a resource's ``Condition`` is false, CloudFormation deletes it: fail when the resource
    gets a condition, when its condition's definition changes, or when the deploy passes a new value
    for a parameter the condition reads (``renewed``; the same value changes nothing). Removing a
    condition keeps the resource."""
    condition = local.template["Resources"][subject].get("Condition")
    if condition is None:
        return []
    if condition != deployed.template["Resources"][subject].get("Condition"):
        detail = f"{what} gets the Condition {condition!r}"
    elif _definitions(local, condition) != _definitions(deployed, condition):
        detail = f"the definition of {what}'s Condition {condition!r} changes"
    else:
        read = sorted(p for p in _parameters_read(_definitions(local, condition)) if p in renewed)
        if not read:
            return []
        detail = f"the deploy passes a new value for {', '.join(read)}, which {what}'s Condition {condition!r} reads"
    return [
        Check(
            subject,
            "no new condition",
            Status.FAIL,
            f"{detail}: where it is false, CloudFormation deletes the resource",
            _how(subject),
        )
    ]


def _definitions(stack: StackTemplate, condition: str) -> dict[str, Any]:
    """The condition's definition and those of the conditions it names, by name."""
    conditions = stack.template.get("Conditions", {})
    found: dict[str, Any] = {}
    pending = [condition]
    while pending:
        name = pending.pop()
        if name in found:
            continue
        found[name] = conditions.get(name)
        pending += _named(found[name], "Condition")
    return found


def _parameters_read(definitions: dict[str, Any]) -> set[str]:
    """The parameters (``Ref``) the conditions read."""
    return {name for definition in definitions.values() for name in _named(definition, "Ref")}


def _named(value: Any, key: str) -> list[str]:
    """Every ``{key: "<name>"}`` inside ``value``."""
    if isinstance(value, dict):
        return [
            name
            for k, inner in value.items()
            for name in ([inner] if k == key and isinstance(inner, str) else _named(inner, key))
        ]
    if isinstance(value, list):
        return [name for inner in value for name in _named(inner, key)]
    return []


def _how(logical_id: str) -> str:
    return f"if this is on purpose (a re-seed with fresh keys: docs/runbook.md), add --allow-reseed {logical_id}"


def _allow(check: Check, allowed: set[str]) -> Check:
    if check.status is Status.FAIL and check.subject in allowed:
        return Check(check.subject, check.check, Status.WARN, f"allowed by --allow-reseed: {check.detail}", "")
    return check


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True)
