"""Read a synthesized stack (``cdk.out``) or a deployed template: its Datadog secrets and schedules.

Only the template's JSON is read; no CDK code runs. A secret's ``SecretString`` is a
``Fn::Join`` of JSON text and ``Ref`` s to parameters (or a plain string): each field is either a
literal, a parameter, or something only CloudFormation can compute.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional, Union

from ddsecrets_cli.report import UsageError

DATADOG_TYPES = ("DatadogAdminKey", "DatadogApplicationKey", "DatadogApiKey")
SECRET = "AWS::SecretsManager::Secret"
SCHEDULE = "AWS::SecretsManager::RotationSchedule"
DYNAMIC_REFERENCE = "{{resolve:"
_MARK = "\u241e"  # a printable character (JSON strings may not hold control characters)


@dataclass(frozen=True)
class Literal:
    value: str


@dataclass(frozen=True)
class Param:
    name: str


@dataclass(frozen=True)
class Computed:
    """A value CloudFormation computes at deploy time (an import, an attribute): not checkable here."""

    expression: str


FieldSource = Union[Literal, Param, Computed]


@dataclass(frozen=True)
class Schedule:
    logical_id: str
    expression: Optional[str]
    duration: Optional[str]
    admin_ref: Optional[str]
    """Logical id of the admin secret when ``adminSecretArn`` is a ``Ref`` to a secret of this stack."""
    admin_arn_source: Optional[FieldSource]
    """Where ``adminSecretArn`` comes from otherwise (a parameter, a literal ARN)."""


@dataclass(frozen=True)
class DatadogSecret:
    logical_id: str
    type: str
    fields: dict[str, FieldSource]
    schedule: Optional[Schedule]

    @property
    def kind(self) -> str:
        return {"DatadogAdminKey": "admin", "DatadogApplicationKey": "application key", "DatadogApiKey": "API key"}[
            self.type
        ]


@dataclass
class StackTemplate:
    name: str
    template: dict[str, Any]
    secrets: list[DatadogSecret] = field(default_factory=list)
    region: Optional[str] = None
    """The region the cloud assembly deploys the stack to, when the stack names one."""

    @property
    def parameters(self) -> dict[str, dict[str, Any]]:
        return dict(self.template.get("Parameters", {}))

    def resources(self) -> dict[str, dict[str, Any]]:
        return dict(self.template.get("Resources", {}))

    def secret(self, logical_id: str) -> Optional[DatadogSecret]:
        return next((s for s in self.secrets if s.logical_id == logical_id), None)

    @property
    def admins(self) -> list[DatadogSecret]:
        return [s for s in self.secrets if s.type == "DatadogAdminKey"]


def load_from_assembly(cdk_out: Path, stack_name: str) -> StackTemplate:
    """The stack ``stack_name`` of the cloud assembly in ``cdk_out`` (``cdk synth`` writes it)."""
    manifest_file = cdk_out / "manifest.json"
    if not manifest_file.is_file():
        raise UsageError(f"no cloud assembly at {cdk_out}: run `cdk synth` (or `make synth`) first, or pass --cdk-out")
    artifacts = json.loads(manifest_file.read_text()).get("artifacts", {})
    stacks = {
        artifact.get("properties", {}).get("stackName", artifact_id): artifact
        for artifact_id, artifact in artifacts.items()
        if artifact.get("type") == "aws:cloudformation:stack"
    }
    # `cdk deploy` selects a stack by its construct path (the display name); CloudFormation knows it
    # by its stack name. Both select it here, the construct path first (what `make deploy` passes),
    # and the result carries the CloudFormation name.
    by_display = {artifact.get("displayName", name): name for name, artifact in stacks.items()}
    name = by_display.get(stack_name) or (stack_name if stack_name in stacks else None)
    if name is None:
        raise UsageError(f"stack {stack_name!r} is not in {cdk_out}; it has: {', '.join(sorted(stacks)) or 'none'}")
    template_file = cdk_out / stacks[name]["properties"]["templateFile"]
    stack = parse(name, json.loads(template_file.read_text()))
    # "aws://<account>/<region>", with "unknown-region" for an environment-agnostic stack.
    environment = re.fullmatch(r"aws://[^/]*/([^/]+)", str(stacks[name].get("environment", "")))
    stack.region = environment.group(1) if environment and environment.group(1) != "unknown-region" else None
    return stack


def parse(stack_name: str, template: dict[str, Any]) -> StackTemplate:
    """The Datadog secrets of ``template``, each with its fields and rotation schedule."""
    resources = template.get("Resources", {})
    schedules = {
        _ref(r["Properties"].get("SecretId")): _schedule(logical_id, r["Properties"])
        for logical_id, r in resources.items()
        if r.get("Type") == SCHEDULE
    }
    secrets = [
        DatadogSecret(
            logical_id,
            r["Properties"]["Type"],
            secret_fields(r["Properties"].get("SecretString")),
            schedules.get(logical_id),
        )
        for logical_id, r in resources.items()
        if r.get("Type") == SECRET and r.get("Properties", {}).get("Type") in DATADOG_TYPES
    ]
    return StackTemplate(stack_name, template, secrets)


def secret_fields(secret_string: Any) -> dict[str, FieldSource]:
    """Field name -> where its value comes from, for a SecretString of JSON text and Refs."""
    if secret_string is None:
        return {}
    if isinstance(secret_string, str):
        parts: list[Any] = [secret_string]
    elif isinstance(secret_string, dict) and "Fn::Join" in secret_string and secret_string["Fn::Join"][0] == "":
        parts = secret_string["Fn::Join"][1]
    else:
        return {"*": Computed(json.dumps(secret_string))}
    intrinsics: list[Any] = []
    text = ""
    for part in parts:
        if isinstance(part, str):
            text += part
        else:
            text += f"{_MARK}{len(intrinsics)}{_MARK}"  # stands for the intrinsic until parsed
            intrinsics.append(part)
    try:
        document = json.loads(text)
    except json.JSONDecodeError:
        return {"*": Computed(json.dumps(secret_string))}
    out: dict[str, FieldSource] = {}
    for name, value in document.items():
        out[name] = _source(str(value), intrinsics)
    return out


def _source(value: str, intrinsics: list[Any]) -> FieldSource:
    if value.startswith(DYNAMIC_REFERENCE):
        # `{{resolve:secretsmanager:...}}` / `{{resolve:ssm-secure:...}}`: CloudFormation reads the
        # value at deploy time from another secret or parameter.
        return Computed(value)
    if _MARK not in value:
        return Literal(value)
    pieces = value.split(_MARK)
    if len(pieces) == 3 and pieces[0] == pieces[2] == "":
        intrinsic = intrinsics[int(pieces[1])]
        if isinstance(intrinsic, dict) and set(intrinsic) == {"Ref"} and not intrinsic["Ref"].startswith("AWS::"):
            return Param(intrinsic["Ref"])
        return Computed(json.dumps(intrinsic))
    return Computed(value.replace(_MARK, "§"))


def _ref(value: Any) -> Optional[str]:
    if isinstance(value, dict) and set(value) == {"Ref"}:
        return str(value["Ref"])
    return None


def _schedule(logical_id: str, properties: dict[str, Any]) -> Schedule:
    rules = properties.get("RotationRules", {})
    expression = rules.get("ScheduleExpression")
    if expression is None and "AutomaticallyAfterDays" in rules:
        expression = f"rate({rules['AutomaticallyAfterDays']} days)"
    admin_ref: Optional[str] = None
    admin_source: Optional[FieldSource] = None
    for item in properties.get("ExternalSecretRotationMetadata", []):
        if item.get("Key") == "adminSecretArn":
            value = item.get("Value")
            admin_ref = _ref(value)
            if isinstance(value, str):
                admin_source = Literal(value)
            elif admin_ref is not None:
                admin_source = Param(admin_ref)
            else:
                admin_source = Computed(json.dumps(value))
    return Schedule(
        logical_id,
        expression if isinstance(expression, str) else None,
        rules.get("Duration") if isinstance(rules.get("Duration"), str) else None,
        admin_ref,
        admin_source,
    )
