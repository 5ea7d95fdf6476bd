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
    account: Optional[str] = None
    """The account the cloud assembly deploys the stack to, when the stack names one."""
    path: Optional[str] = None
    """The stack's construct path in the cloud assembly (what ``cdk deploy`` selects it by)."""
    deploy_role: Optional[DeployRole] = None
    """The role ``cdk deploy`` assumes for the stack, when the cloud assembly names one."""

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


@dataclass(frozen=True)
class DeployRole:
    """The role ``cdk deploy`` assumes in the stack's account (the bootstrap's deploy role)."""

    arn: str
    """``arn:${AWS::Partition}:iam::<account>:role/...`` as the manifest writes it."""
    external_id: Optional[str] = None


@dataclass(frozen=True)
class StackArtifact:
    """A stack of a cloud assembly, as its manifest describes it."""

    path: str
    """Its construct path (the manifest's display name, ``<stage>/<stack>`` inside a ``Stage``)."""
    name: str
    """Its CloudFormation stack name."""
    template_file: Path
    account: Optional[str]
    region: Optional[str]
    deploy_role: Optional[DeployRole] = None


NESTED_ASSEMBLY = "cdk:cloud-assembly"
"""The artifact type of a ``Stage``'s own cloud assembly (a directory beside the manifest)."""


def stack_artifacts(cdk_out: Path) -> list[StackArtifact]:
    """Every stack of the cloud assembly in ``cdk_out``, those of its ``Stage`` s (nested assemblies,
    at any depth) included, in manifest order."""
    manifest_file = cdk_out / "manifest.json"
    if not manifest_file.is_file():
        raise UsageError(f"no cloud assembly at {cdk_out}: run `cdk synth` (or `make synth`) first, or pass --cdk-out")
    found: list[StackArtifact] = []
    for artifact_id, artifact in json.loads(manifest_file.read_text()).get("artifacts", {}).items():
        properties = artifact.get("properties", {})
        if artifact.get("type") == NESTED_ASSEMBLY and properties.get("directoryName"):
            found += stack_artifacts(cdk_out / properties["directoryName"])
        elif artifact.get("type") == "aws:cloudformation:stack":
            # "aws://<account>/<region>", "unknown-account" / "unknown-region" for an agnostic stack.
            environment = re.fullmatch(r"aws://([^/]*)/([^/]+)", str(artifact.get("environment", "")))
            account, region = environment.groups() if environment else (None, None)
            found.append(
                StackArtifact(
                    path=artifact.get("displayName", artifact_id),
                    name=properties.get("stackName", artifact_id),
                    template_file=cdk_out / properties["templateFile"],
                    account=account if account and account != "unknown-account" else None,
                    region=region if region and region != "unknown-region" else None,
                    deploy_role=(
                        DeployRole(properties["assumeRoleArn"], properties.get("assumeRoleExternalId"))
                        if isinstance(properties.get("assumeRoleArn"), str)
                        else None
                    ),
                )
            )
    return found


def find_stack(cdk_out: Path, stack_name: str) -> StackArtifact:
    """The stack ``stack_name`` selects: the one of that construct path (what ``cdk deploy`` selects
    by, and ``make deploy`` passes), else the one of that CloudFormation name, which must be one
    stack (two ``Stage`` s in two accounts may give two stacks one name)."""
    stacks = stack_artifacts(cdk_out)
    by_path = [s for s in stacks if s.path == stack_name]
    by_name = [s for s in stacks if s.name == stack_name]
    if by_path:
        return by_path[0]
    if len(by_name) == 1:
        return by_name[0]
    if by_name:
        raise UsageError(
            f"{len(by_name)} stacks of {cdk_out} have the CloudFormation name {stack_name!r} (construct paths "
            f"{', '.join(s.path for s in by_name)}): pass the construct path of the one to check"
        )
    listed = ", ".join(s.path if s.path == s.name else f"{s.path} ({s.name})" for s in stacks)
    raise StackNotInAssemblyError(f"stack {stack_name!r} is not in {cdk_out}; it has: {listed or 'none'}")


class StackNotInAssemblyError(UsageError):
    """The cloud assembly has no stack of that construct path or CloudFormation name."""


def find_stack_if_synthesized(cdk_out: Path, stack_name: str) -> Optional[StackArtifact]:
    """:func:`find_stack`, or None when there is no cloud assembly at ``cdk_out`` or it does not
    hold the stack (``status`` and ``protect`` then take ``stack_name`` as the CloudFormation name)."""
    if not (cdk_out / "manifest.json").is_file():
        return None
    try:
        return find_stack(cdk_out, stack_name)
    except StackNotInAssemblyError:
        return None


def load_from_assembly(cdk_out: Path, stack_name: str) -> StackTemplate:
    """The stack ``stack_name`` of the cloud assembly in ``cdk_out`` (``cdk synth`` writes it), by
    construct path or CloudFormation name (:func:`find_stack`); the result carries the
    CloudFormation name, the construct path and the stack's environment."""
    artifact = find_stack(cdk_out, stack_name)
    stack = parse(artifact.name, json.loads(artifact.template_file.read_text()))
    stack.region, stack.account, stack.path = artifact.region, artifact.account, artifact.path
    stack.deploy_role = artifact.deploy_role
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
