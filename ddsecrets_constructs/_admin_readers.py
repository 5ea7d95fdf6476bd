"""Warn about every identity policy that lets a principal read an admin secret.

Whoever reads an admin secret holds the admin API and application keys, which create, read and
delete Datadog keys of the service account: a key minter. Rotation needs that read and the library
grants it itself (the keys roles' ``ReadDatadogAdminSecrets``); anything else deserves a look. An
Aspect sees the policies of the admin's stack however they were made (``admin.grant_read``,
``admin.secret.grant_read``, a hand-written statement, a statement on ``*``).
"""

from __future__ import annotations

import weakref
from typing import Any, Optional

import jsii
from aws_cdk import Annotations, Aspects, IAspect, Stack
from aws_cdk import aws_iam as iam
from constructs import IConstruct

from .rotation_role import DatadogRotationRole
from .validation import WARNING_PREFIX

WARNING_ID = f"{WARNING_PREFIX}:adminSecretReader"
_READ_ACTIONS = {"secretsmanager:getsecretvalue", "secretsmanager:*", "*"}


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


@jsii.implements(IAspect)
class _AdminReaders:
    """One per stack holding admin secrets: their resolved ARNs (``Ref``) and construct paths."""

    def __init__(self) -> None:
        self.admins: dict[str, str] = {}

    def visit(self, leaf: IConstruct) -> None:
        """Called once, on the leaf it was added to: scan the whole stack in one call (an Aspect on
        the stack would cost a jsii round trip for every construct)."""
        for node in Stack.of(leaf).node.find_all():
            self._check(node)

    def _check(self, node: IConstruct) -> None:
        if isinstance(node, (iam.CfnPolicy, iam.CfnManagedPolicy)):
            documents = [node.policy_document]
        elif isinstance(node, iam.CfnRole) and node.policies is not None:
            documents = [p.policy_document if hasattr(p, "policy_document") else p for p in _as_list(node.policies)]
        else:
            return
        scope = node.node.scope
        if isinstance(scope, DatadogRotationRole) or (
            scope is not None and isinstance(scope.node.scope, DatadogRotationRole)
        ):
            return  # the library's rotation roles read admin secrets on purpose
        stack = Stack.of(node)
        for document in documents:
            admin = self._reads_admin(stack.resolve(document))
            if admin is not None:
                what = "every secret, admin secrets included" if admin == "*" else f"the admin secret at {admin!r}"
                Annotations.of(node).add_warning_v2(
                    WARNING_ID,
                    f"This policy lets its principal read {what}: whoever reads an admin secret holds the admin API "
                    "and application keys, which create, read and delete Datadog keys of the service account (a "
                    "key minter). Grant a child key secret instead unless the principal must administer Datadog "
                    "keys.",
                )
                return

    def _reads_admin(self, document: Any) -> Optional[str]:
        if not isinstance(document, dict):
            return None
        for statement in _as_list(document.get("Statement", [])):
            if not isinstance(statement, dict) or statement.get("Effect") != "Allow":
                continue
            if not {str(a).lower() for a in _as_list(statement.get("Action", []))} & _READ_ACTIONS:
                continue
            for resource in _as_list(statement.get("Resource", [])):
                if resource == "*":
                    return "*"
                if repr(resource) in self.admins:
                    return self.admins[repr(resource)]
        return None


_BY_STACK: weakref.WeakKeyDictionary[Stack, _AdminReaders] = weakref.WeakKeyDictionary()


def watch_admin(admin_secret_arn: str, admin_path: str, leaf: IConstruct) -> None:
    """Register an admin secret of ``leaf``'s stack; the first one adds the Aspect to ``leaf`` (a
    construct without children, e.g. the admin's ``AWS::SecretsManager::Secret``)."""
    stack = Stack.of(leaf)
    readers = _BY_STACK.get(stack)
    if readers is None:
        readers = _BY_STACK[stack] = _AdminReaders()
        Aspects.of(leaf).add(readers)
    readers.admins[repr(stack.resolve(admin_secret_arn))] = admin_path
