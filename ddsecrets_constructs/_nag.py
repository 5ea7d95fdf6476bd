"""The library's own cdk-nag acknowledgments: each on the narrowest scope, with the fact behind it.

A secret's rotation rules are acknowledged on its ``AWS::SecretsManager::Secret``; a family's keys
share one acknowledgment on their group (``ApplicationKeys``, ``ApiKeys``), which holds nothing but
rotated key secrets: CDK applies an acknowledgment to the scope's descendants, and one per key
would cost two jsii round trips and three metadata entries each.

cdk-nag 3 runs as a policy-validation plugin; an acknowledgment is recorded with
``Validations.of(construct).acknowledge`` (aws-cdk-lib core), so the library itself does not
depend on cdk-nag. Rule ids are the plain ids; granular findings (``AwsSolutions-IAM5[...]``) are
acknowledged one by one, as cdk-nag requires.
"""

from __future__ import annotations

import functools
import re
import weakref
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Optional

from aws_cdk import Acknowledgment, Stack, Validations
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import IConstruct

from .validation import undo_if_not_built

EXTERNAL_ROTATION_REASON = (
    "The secret is rotated by Secrets Manager managed external rotation (an "
    "AWS::SecretsManager::RotationSchedule with ExternalSecretRotationRoleArn); this rule only "
    "recognises Lambda or hosted rotation."
)

ROTATION_RULES = (
    "AwsSolutions-SMG4",
    "HIPAA.Security-SecretsManagerRotationEnabled",
    "NIST.800.53.R5-SecretsManagerRotationEnabled",
)
"""Measured with cdk-nag 3.0.2: these flag a secret rotated by an external role; PCI DSS 3.2.1 has
no such rule."""


def acknowledge(scope: IConstruct, rule_ids: Sequence[str], reason: str) -> None:
    """Acknowledge these rules on ``scope``, in one call: each Validations.of() is a jsii round trip."""
    Validations.of(scope).acknowledge(*(Acknowledgment(id=rule_id, reason=reason) for rule_id in rule_ids))


def acknowledge_external_rotation(scope: IConstruct) -> None:
    """The rotation rules do not recognise external-role rotation: acknowledged on ``scope``, a
    rotated secret's ``CfnSecret`` or a family's group of key secrets."""
    acknowledge(scope, ROTATION_RULES, EXTERNAL_ROTATION_REASON)


@dataclass
class _StackSecrets:
    """A stack's secrets as the library created them: how many, and the paths of those in a
    family's group of key secrets (whose rotation rules are acknowledged on the group)."""

    created: int = 0
    groups: list[str] = field(default_factory=list)
    in_groups: set[str] = field(default_factory=set)

    def forget(self, path_in_group: Optional[str]) -> None:
        """Uncount a secret whose construct failed to build (and left the tree)."""
        self.created -= 1
        self.in_groups.discard(path_in_group or "")


_BY_STACK: weakref.WeakKeyDictionary[Stack, _StackSecrets] = weakref.WeakKeyDictionary()


def _of(stack: Stack) -> _StackSecrets:
    return _BY_STACK.setdefault(stack, _StackSecrets())


def own_secret(stack: Stack, path_in_group: Optional[str] = None) -> None:
    """Count a ``CfnSecret`` the library created in ``stack``; ``path_in_group``: its path, for a
    key secret under a family's group."""
    secrets = _of(stack)
    secrets.created += 1
    if path_in_group is not None:
        secrets.in_groups.add(path_in_group)
    undo_if_not_built(functools.partial(secrets.forget, path_in_group))  # not counted if it fails to build


def acknowledge_key_group(group: IConstruct, path: str, stack: Stack) -> None:
    """Acknowledge the rotation rules once for a family's group of key secrets (``path``), which
    :func:`secrets_hidden_by_key_groups` then keeps free of any other secret."""
    acknowledge_external_rotation(group)
    groups = _of(stack).groups
    groups.append(path)
    undo_if_not_built(functools.partial(groups.remove, path))


def secrets_hidden_by_key_groups(stack: Stack, constructs: Sequence[IConstruct]) -> list[str]:
    """Paths of the secrets among ``constructs`` (the stack's) that sit under a family's group of
    key secrets without being one of its keys: the group's acknowledgment would hide them from
    cdk-nag. Reads no path unless the stack holds secrets the library did not create."""
    secrets = _BY_STACK.get(stack)
    if secrets is None or not secrets.groups:
        return []
    found = [c for c in constructs if isinstance(c, secretsmanager.CfnSecret)]
    if len(found) <= secrets.created:
        return []  # every secret of the stack is one the library created
    paths = (c.node.path for c in found)
    return [
        path
        for path in paths
        if path not in secrets.in_groups and any(path.startswith(f"{group}/") for group in secrets.groups)
    ]


def acknowledge_wildcard(policy: IConstruct, resource: str, reason: str) -> None:
    """Acknowledge AwsSolutions-IAM5 for one wildcard resource, in cdk-nag's granular form."""
    acknowledge(policy, [f"AwsSolutions-IAM5[Resource::{_as_nag_string(Stack.of(policy).resolve(resource))}]"], reason)


def _as_nag_string(value: object) -> str:
    """Render a resolved value the way cdk-nag prints it in a finding id."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return str(separator).join(_as_nag_string(part) for part in parts)
    if isinstance(value, dict) and "Ref" in value:
        return f"<{value['Ref']}>"
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        return "<" + ".".join(value["Fn::GetAtt"]) + ">"
    return re.sub(r"\s+", "", str(value))
