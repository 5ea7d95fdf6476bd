"""CloudFormation's per-stack limits, checked at synth for every stack that holds a Datadog family.

CloudFormation refuses a template with more than 500 resources, 200 parameters or 200 outputs
(CloudFormation quotas page). A family costs 2 resources per key (the secret and its rotation
schedule) plus a fixed part, and a key passed as a NoEcho parameter costs a parameter (its id may
cost another), so a big family reaches these limits first. CDK's own error says only that the
stack has too many resources; this one names the families and what to do: spread the keys over
families in several stacks that share one admin (``DatadogManagedSecrets(..., admin=...)``).

The check is a validation on the stack (``node.add_validation``): it runs at synth, after every
construct of the stack exists (including cross-stack outputs CDK adds while preparing the app) and
before CDK writes the template. The 1 MB template limit is not checked here (the template does not
exist yet); ``tests/test_cfn_limits.py`` shows a family reaches 500 resources long before 1 MB.

The same scan of the stack also refuses a secret put inside a family's group of key secrets, whose
cdk-nag acknowledgment would hide it (:func:`_nag.secrets_hidden_by_key_groups`): one listing of
the stack at synth serves both.
"""

from __future__ import annotations

import functools
import weakref
from typing import Optional

import jsii
from aws_cdk import CfnOutput, CfnParameter, CfnResource, Stack
from constructs import IConstruct, IValidation

from . import _nag
from .validation import WARNING_PREFIX, undo_if_not_built

RESOURCES = 500
PARAMETERS = 200
OUTPUTS = 200

_FAMILIES: weakref.WeakKeyDictionary[Stack, list[tuple[str, int]]] = weakref.WeakKeyDictionary()


def watch(family: IConstruct, *, keys: int) -> None:
    """Check ``family``'s stack against CloudFormation's limits at synth (one validation per stack)."""
    stack = Stack.of(family)
    families = _FAMILIES.get(stack)
    if families is None:
        families = _FAMILIES[stack] = []
        stack.node.add_validation(_StackFitsCloudFormation(stack, families))
    entry = (family.node.path, keys)
    families.append(entry)
    undo_if_not_built(functools.partial(families.remove, entry))  # a family that fails is not listed


def count(stack: Stack, found: Optional[list[IConstruct]] = None) -> dict[str, int]:
    """Resources, parameters and outputs of ``stack``'s own template (not of its nested stacks);
    ``found``: the stack's constructs, when already listed."""
    found = stack.node.find_all() if found is None else found
    nested = [c.node.path + "/" for c in found if isinstance(c, Stack) and c is not stack]
    totals = {"resources": 0, "parameters": 0, "outputs": 0}
    for construct in found:
        kind = (
            "resources"
            if isinstance(construct, CfnResource)
            else "parameters"
            if isinstance(construct, CfnParameter)
            else "outputs"
            if isinstance(construct, CfnOutput)
            else None
        )
        if kind is None or (nested and any(construct.node.path.startswith(n) for n in nested)):
            continue
        totals[kind] += 1
    return totals


@jsii.implements(IValidation)
class _StackFitsCloudFormation:
    def __init__(self, stack: Stack, families: list[tuple[str, int]]) -> None:
        self._stack = stack
        self._families = families

    def validate(self) -> list[str]:
        found = self._stack.node.find_all()
        hidden = [
            f"{WARNING_PREFIX}: the secret at {path!r} is inside a DatadogManagedSecrets family's group of key "
            f"secrets, on which cdk-nag's rotation rules ({', '.join(_nag.ROTATION_RULES)}) are acknowledged for the "
            "family's rotated keys: cdk-nag would not check it. Create it outside the group (e.g. in the stack or "
            "the family itself)."
            for path in _nag.secrets_hidden_by_key_groups(self._stack, found)
        ]
        return hidden + self._over_limits(count(self._stack, found))

    def _over_limits(self, totals: dict[str, int]) -> list[str]:
        over = [
            f"{totals[kind]} {kind} (CloudFormation allows {limit} per stack)"
            for kind, limit in (("resources", RESOURCES), ("parameters", PARAMETERS), ("outputs", OUTPUTS))
            if totals[kind] > limit
        ]
        if not over:
            return []
        families = ", ".join(f"{path!r} ({keys} keys)" for path, keys in self._families)
        return [
            f"{WARNING_PREFIX}: stack {self._stack.node.path!r} has {' and '.join(over)}. Its Datadog families: "
            f"{families}; each key costs 2 resources (secret and rotation schedule) and, passed as a parameter, "
            "1 or 2 parameters. Split the keys over families in several stacks that share the admin: keep the "
            "admin in one stack and add `DatadogManagedSecrets(other_stack, 'Datadog', admin=family.admin, "
            "api_keys=..., application_keys=...)` in the others, or pass keys as dynamic references instead of "
            "parameters (README, Sizing)."
        ]
