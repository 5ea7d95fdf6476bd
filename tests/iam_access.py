"""What each rotation role can do, computed from IAM documents with every ARN resolved.

:func:`role_access` evaluates plain documents (a trust policy and the role's policies), so the same
code reads a synthesized template (:func:`template_access`) and the documents of a deployed stack.
It over-approximates: a condition it does not understand is taken as satisfied, so "may write"
means "might be able to write", which is what a least-privilege assertion needs.
"""

from __future__ import annotations

import json
import posixpath
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

SECRETS_MANAGER = "secretsmanager.amazonaws.com"
WRITE_ACTIONS = ("secretsmanager:PutSecretValue", "secretsmanager:UpdateSecretVersionStage")
READ_ACTION = "secretsmanager:GetSecretValue"
KMS_DECRYPT = "kms:Decrypt"


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _matches(pattern: str, value: str) -> bool:
    """IAM wildcard matching (``*`` and ``?``); ARNs contain no ``[``."""
    return fnmatchcase(value, pattern)


def _allows(statement: Mapping[str, Any], action: str, resource: str) -> bool:
    if statement.get("Effect") != "Allow":
        return False
    actions = as_list(statement.get("Action", []))
    if not any(fnmatchcase(action.lower(), a.lower()) for a in actions):
        return False
    return any(_matches(r, resource) for r in as_list(statement.get("Resource", [])))


@dataclass(frozen=True)
class RoleAccess:
    """The secrets (full ARNs, among the candidates) a role is trusted for, may write or read, and
    the (key ARN, secret ARN) pairs it may decrypt with, ``"*"`` standing for any secret."""

    trusted: frozenset[str]
    writes: frozenset[str]
    reads: frozenset[str]
    key_uses: frozenset[tuple[str, str]]
    kms_without_via_service: tuple[str, ...]


def role_access(
    trust_policy: Mapping[str, Any], policies: Iterable[Mapping[str, Any]], candidates: Iterable[str], account: str
) -> RoleAccess:
    """Evaluate a role's documents against candidate secret ARNs.

    :param trust_policy: the role's ``AssumeRolePolicyDocument``.
    :param policies: every identity policy document attached to the role.
    :param candidates: full secret ARNs to test (the stack's secrets and outsiders' look-alikes).
    :param account: the account whose Secrets Manager assumes the role.
    """
    candidates = sorted(set(candidates))
    statements = [s for document in policies for s in as_list(document.get("Statement", []))]
    trusted: set[str] = set()
    for statement in as_list(trust_policy.get("Statement", [])):
        if statement.get("Effect") != "Allow" or statement.get("Principal", {}).get("Service") != SECRETS_MANAGER:
            continue
        conditions = statement.get("Condition", {})
        source_account = conditions.get("StringEquals", {}).get("aws:SourceAccount")
        if source_account is not None and account not in as_list(source_account):
            continue
        patterns = [
            p
            for operator in ("ArnLike", "ArnEquals", "StringLike", "StringEquals")
            for p in as_list(conditions.get(operator, {}).get("aws:SourceArn", []))
        ]
        trusted |= {c for c in candidates if not patterns or any(_matches(p, c) for p in patterns)}
    writes = {c for c in candidates if any(_allows(s, a, c) for s in statements for a in WRITE_ACTIONS)}
    reads = {c for c in candidates if any(_allows(s, READ_ACTION, c) for s in statements)}
    key_uses: set[tuple[str, str]] = set()
    without_via: list[str] = []
    for statement in statements:
        if statement.get("Effect") != "Allow":
            continue
        if not any(fnmatchcase(KMS_DECRYPT.lower(), a.lower()) for a in as_list(statement.get("Action", []))):
            continue
        equals = statement.get("Condition", {}).get("StringEquals", {})
        if "kms:ViaService" not in equals:
            without_via.append(json.dumps(statement, sort_keys=True))
        context = equals.get("kms:EncryptionContext:SecretARN")
        secrets = ["*"] if context is None else [c for c in candidates if c in as_list(context)]
        for key in as_list(statement.get("Resource", [])):
            key_uses |= {(key, secret) for secret in secrets}
    return RoleAccess(frozenset(trusted), frozenset(writes), frozenset(reads), frozenset(key_uses), tuple(without_via))


# --- Synthesized templates -------------------------------------------------------------------


@dataclass(frozen=True)
class Environment:
    account: str
    region: str
    partition: str = "aws"


class TemplateResolver:
    """Resolves a template's intrinsics to the strings AWS would see after deploy.

    A secret's ARN is ``arn:<partition>:secretsmanager:<region>:<account>:secret:<Name>-AbCdEf``
    (``<logical id>-Generated123`` without ``Name``); a KMS key's is ``...:key/<logical id>``.
    ``imports`` gives the values of ``Fn::ImportValue`` names (another stack's outputs).
    """

    def __init__(self, template: Mapping[str, Any], env: Environment, imports: Mapping[str, str] = {}) -> None:
        self.template = template
        self.env = env
        self.imports = dict(imports)

    def secret_arn_of(self, logical_id: str) -> str:
        name = self.template["Resources"][logical_id]["Properties"].get("Name", f"{logical_id}-Generated123")
        return f"arn:{self.env.partition}:secretsmanager:{self.env.region}:{self.env.account}:secret:{name}-AbCdEf"

    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        if not isinstance(value, dict):
            return value
        if "Ref" in value:
            return self._ref(value["Ref"])
        if "Fn::GetAtt" in value:
            logical_id, attribute = value["Fn::GetAtt"]
            resource_type = self.template["Resources"][logical_id]["Type"]
            if resource_type == "AWS::KMS::Key":
                return f"arn:{self.env.partition}:kms:{self.env.region}:{self.env.account}:key/{logical_id}"
            return f"arn:{self.env.partition}:{resource_type}:{logical_id}.{attribute}"
        if "Fn::Join" in value:
            separator, parts = value["Fn::Join"]
            return separator.join(str(self.resolve(p)) for p in parts)
        if "Fn::ImportValue" in value:
            name = self.resolve(value["Fn::ImportValue"])
            return self.imports.get(name, f"<import {name}>")
        return {k: self.resolve(v) for k, v in value.items()}

    def _ref(self, ref: str) -> str:
        pseudo = {"AWS::Partition": self.env.partition, "AWS::Region": self.env.region}
        if ref in pseudo:
            return pseudo[ref]
        if ref == "AWS::AccountId":
            return self.env.account
        resource = self.template.get("Resources", {}).get(ref)
        if resource is None:
            return f"<parameter {ref}>"
        if resource["Type"] == "AWS::SecretsManager::Secret":
            return self.secret_arn_of(ref)
        return f"<{resource['Type']} {ref}>"


@dataclass(frozen=True)
class RotationRoleFacts:
    """What a rotation role should be able to do (from the schedules) and what it can (from IAM)."""

    logical_id: str
    rotates: frozenset[str]
    reads_admins: frozenset[str]
    encrypted_with: Mapping[str, str]
    access: RoleAccess


def outsiders(secret_arns: Iterable[str]) -> set[str]:
    """Look-alike ARNs a hostile neighbour could create: siblings of each named secret, a longer
    name, a secret named like a family's prefix, and one anywhere in the account."""
    found = set()
    for arn in secret_arns:
        if ":secret:" not in arn:
            continue  # a deploy-time value (parameter), not an ARN
        base, name = arn.split(":secret:", 1)
        name = name[: -len("-AbCdEf")]
        found.add(f"{base}:secret:{posixpath.join(posixpath.dirname(name), 'outsider')}-XyZ123")
        found.add(f"{base}:secret:{name}-evil-XyZ123")
        found.add(f"{base}:secret:{name}/outsider-XyZ123")
        found.add(f"{base}:secret:outsider-XyZ123")
    return found - set(secret_arns)


def template_access(
    template: Mapping[str, Any], env: Environment, imports: Mapping[str, str] = {}, extra_candidates: Iterable[str] = ()
) -> dict[str, RotationRoleFacts]:
    """For every rotation role of a synthesized template: what it rotates and reads, and what it can do.

    Candidates are the template's secrets, the admin ARNs its schedules name, ``extra_candidates``
    and :func:`outsiders` of all of them.
    """
    resolver = TemplateResolver(template, env, imports)
    resources = template["Resources"]
    secrets = {k: resolver.secret_arn_of(k) for k, v in resources.items() if v["Type"] == "AWS::SecretsManager::Secret"}
    encrypted_with = {
        arn: resolver.resolve(resources[k]["Properties"]["KmsKeyId"])
        for k, arn in secrets.items()
        if "KmsKeyId" in resources[k]["Properties"]
    }
    rotates: dict[str, set[str]] = {}
    reads: dict[str, set[str]] = {}
    for schedule in resources.values():
        if schedule["Type"] != "AWS::SecretsManager::RotationSchedule":
            continue
        properties = schedule["Properties"]
        role_id = properties["ExternalSecretRotationRoleArn"]["Fn::GetAtt"][0]
        rotates.setdefault(role_id, set()).add(resolver.resolve(properties["SecretId"]))
        for item in properties.get("ExternalSecretRotationMetadata", []):
            reads.setdefault(role_id, set()).add(resolver.resolve(item["Value"]))
    known = set(secrets.values()) | {a for r in reads.values() for a in r} | set(extra_candidates)
    candidates = known | outsiders(known)
    facts = {}
    for role_id, role in resources.items():
        if role["Type"] != "AWS::IAM::Role":
            continue
        trust = resolver.resolve(role["Properties"]["AssumeRolePolicyDocument"])
        if SECRETS_MANAGER not in json.dumps(trust):
            continue
        documents = [resolver.resolve(p["PolicyDocument"]) for p in role["Properties"].get("Policies", [])]
        for policy in resources.values():
            if policy["Type"] in ("AWS::IAM::ManagedPolicy", "AWS::IAM::Policy") and {"Ref": role_id} in policy[
                "Properties"
            ].get("Roles", []):
                documents.append(resolver.resolve(policy["Properties"]["PolicyDocument"]))
        facts[role_id] = RotationRoleFacts(
            role_id,
            frozenset(rotates.get(role_id, set())),
            frozenset(reads.get(role_id, set())),
            encrypted_with,
            role_access(trust, documents, candidates, env.account),
        )
    return facts
