"""What the library reads from a construct's stack and path, read once per construct and stack.

Each read of ``Stack.of(x)``, ``x.node.path``, ``stack.account`` or ``stack.region`` is a jsii round
trip to the node process; a family of a hundred keys used to make thousands of them for the same
few answers. A construct's stack and path, and a stack's environment, never change once created,
so they are kept here (weakly: an app that goes away takes its entries with it). A construct the
library creates learns both from its parent (:func:`adopt`) without asking node.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from typing import Optional

from aws_cdk import Stack, Stage
from constructs import Construct, IConstruct

from ._partitions import partition_of
from .validation import DdSecretsValidationError, Problems, describe, is_unresolved


@dataclass(frozen=True)
class StackFacts:
    """A stack and its environment as the checks use them."""

    stack: Stack
    path: str
    root: IConstruct
    """The app (the root of the construct tree)."""
    account: str
    """The account, a literal or a token (compare with :attr:`literal_account`)."""
    region: str
    literal_account: Optional[str]
    """The account, or None when it is a deploy-time value."""
    literal_region: Optional[str]
    partition: Optional[str]
    """The partition of a literal region (None when the region is a deploy-time value or unknown)."""


_OF_STACK: weakref.WeakKeyDictionary[Stack, StackFacts] = weakref.WeakKeyDictionary()
_OF_SCOPE: weakref.WeakKeyDictionary[IConstruct, StackFacts] = weakref.WeakKeyDictionary()
_PATHS: weakref.WeakKeyDictionary[IConstruct, str] = weakref.WeakKeyDictionary()


def facts_of_stack(stack: Stack) -> StackFacts:
    """The facts of ``stack`` (read through jsii the first time only)."""
    found = _OF_STACK.get(stack)
    if found is None:
        account, region = stack.account, stack.region
        literal_region = None if is_unresolved(region) else region
        found = StackFacts(
            stack=stack,
            path=stack.node.path,
            root=stack.node.root,
            account=account,
            region=region,
            literal_account=None if is_unresolved(account) else account,
            literal_region=literal_region,
            partition=partition_of(literal_region) if literal_region is not None else None,
        )
        _OF_STACK[stack] = found
        _PATHS[stack] = found.path
    return found


def facts_of(scope: IConstruct) -> StackFacts:
    """The facts of the stack ``scope`` belongs to."""
    found = _OF_SCOPE.get(scope)
    if found is None:
        found = _OF_SCOPE[scope] = facts_of_stack(scope if isinstance(scope, Stack) else Stack.of(scope))
    return found


def path_of(scope: IConstruct) -> str:
    """``scope.node.path``, read through jsii the first time only (or known from :func:`adopt`)."""
    found = _PATHS.get(scope)
    if found is None:
        found = _PATHS[scope] = scope.node.path
    return found


def adopt(child: IConstruct, scope: IConstruct, construct_id: str) -> None:
    """Record what ``child``, just created as ``construct_id`` in ``scope``, inherits from it: its
    stack (``scope`` itself when it is a stack) and its path, when they are known for ``scope``."""
    facts = facts_of_stack(scope) if isinstance(scope, Stack) else _OF_SCOPE.get(scope)
    if facts is not None:
        _OF_SCOPE[child] = facts
    parent = _PATHS.get(scope)
    # constructs rewrites a "/" in an id ("a/b" becomes "a--b"): such a path is read from node.
    if parent is not None and "/" not in construct_id:
        _PATHS[child] = f"{parent}/{construct_id}" if parent else construct_id


_STAGES: weakref.WeakKeyDictionary[Stack, Optional[Stage]] = weakref.WeakKeyDictionary()


def _stage_of(facts: StackFacts) -> Optional[Stage]:
    if facts.stack not in _STAGES:
        _STAGES[facts.stack] = Stage.of(facts.stack)
    return _STAGES[facts.stack]


def _stage_name(stage: Optional[Stage]) -> str:
    """How CDK's own error names a Stage: ``Stage 'Prod/Eu'``, or ``the App``."""
    path = path_of(stage) if stage is not None else None
    return f"Stage {path!r}" if path else "the App"


def same_stack(a: IConstruct, b: IConstruct) -> bool:
    """Whether ``a`` and ``b``, constructs of one App, are in one stack."""
    return facts_of(a).path == facts_of(b).path


def other_account(value: IConstruct, user: IConstruct) -> Optional[str]:
    """Where ``value`` is when its stack's account is known to differ from ``user``'s (both
    literal), e.g. ``"in account '2222...' (this stack: '1111...')"``; None otherwise."""
    mine, theirs = facts_of(user).literal_account, facts_of(value).literal_account
    if mine is not None and theirs is not None and mine != theirs:
        return f"in account {theirs!r} (this stack: {mine!r})"
    return None


def _shown(value: str) -> str:
    return "a deploy-time value" if is_unresolved(value) else repr(value)


def mixed_environment(value: IConstruct, user: IConstruct) -> Optional[str]:
    """Where ``value`` is when its stack's account or region differs from ``user``'s and one of the
    two is a deploy-time value, e.g. ``"in a stack whose account is a deploy-time value (this stack:
    '1111...')"``; None otherwise (the same environment, or two literal ones: the callers' checks).

    aws_cdk compares the two stacks' account and region as written (aws-cdk-lib
    ``core/lib/resource.ts``, ``getResourceArnAttribute``): a deploy-time account against a literal
    one is two environments, so it refers to a resource of the other stack by an ARN built from its
    physical name (a secret's without the 6-character suffix Secrets Manager adds), or fails at
    synthesis for a resource without one (CannotUseCrossEnvironment).
    """
    mine, theirs = facts_of(user), facts_of(value)
    if mine is theirs:
        return None
    if mine.literal_account and theirs.literal_account and mine.literal_account != theirs.literal_account:
        return None  # two literal accounts: the callers' own account checks, where they have one
    for what, a, b in (("account", mine.account, theirs.account), ("region", mine.region, theirs.region)):
        if a != b and (is_unresolved(a) or is_unresolved(b)):
            return f"in a stack whose {what} is {_shown(b)} (this stack: {_shown(a)})"
    return None


MIXED_ENVIRONMENT_REASON = (
    "aws_cdk takes two stacks whose account or region differ, a deploy-time value against a literal one "
    "included, for two environments, and refers to the secret from the other one by an ARN built from its "
    "secret_name, without the 6-character suffix Secrets Manager adds, which matches no secret (a secret "
    "without a secret_name fails at synthesis: CannotUseCrossEnvironment; across regions with "
    "cross_region_references, a deploy-time region fails at synthesis: CrossRegionReferencesRequireExplicitRegion)"
)


def elsewhere(value: IConstruct, user: IConstruct) -> Optional[str]:
    """Where ``value`` is when ``user`` cannot refer to it, e.g. ``"of another App"`` or
    ``"in Stage 'Dr' (this construct: Stage 'Prod')"``; None when it can.

    aws_cdk fails at synthesis for a reference from one App to another (CannotReferenceAcrossApps)
    and from one Stage to another in the same account, an App's own stacks counting as a Stage
    (NoCrossStageDependency): each Stage is a cloud assembly of its own, deployed on its own. A
    reference to another account (a deploy-time account counting as one account of its own, as
    aws_cdk counts it) is read with ``Fn::GetStackOutput`` and synthesizes across Stages: whether
    it may be used is the caller's check (an admin's account is). The Stage is read only for
    constructs of two stacks (one jsii round trip per stack, kept).
    """
    mine, theirs = facts_of(user), facts_of(value)
    if mine is theirs:  # one stack
        return None
    if mine.root is not theirs.root:
        return "of another App"
    if mine.literal_account != theirs.literal_account:
        return None  # Fn::GetStackOutput, no stack dependency (aws-cdk-lib core/lib/private/refs.ts)
    my_stage, their_stage = _stage_of(mine), _stage_of(theirs)
    if my_stage is their_stage:
        return None
    return f"in {_stage_name(their_stage)} (this construct: {_stage_name(my_stage)})"


def where_it_must_be(where: str) -> str:
    """Where a construct found ``where`` (a text of :func:`elsewhere`) must be instead."""
    return "this app" if where == "of another App" else "the same Stage"


def cannot_refer(where: str) -> str:
    """Why a construct cannot refer to one ``where`` (a text of :func:`elsewhere`)."""
    if where == "of another App":
        return "the constructs of one App cannot refer to those of another"
    return (
        "a construct cannot refer to one in another Stage of the same account, each Stage being a cloud assembly "
        "deployed on its own (aws_cdk fails at synthesis: NoCrossStageDependency)"
    )


def check_reachable(
    problems: Problems, prop: str, value: object, construct: IConstruct, what: str, *, instead: str
) -> None:
    """Refuse ``value``, a construct this one would refer to, when it belongs to another App or
    another Stage (:func:`elsewhere`). Callers pass only owned resources: an imported one's
    attributes are plain text, which any app may use (``instead`` says how to import it)."""
    if not isinstance(value, Construct):
        return
    where = elsewhere(value, construct)
    if where is not None:
        problems.add(
            prop,
            f"the {what} at {path_of(value)!r}, {where}",
            f"one of {where_it_must_be(where)} ({cannot_refer(where)}), or {instead}",
        )


def check_construct_id(scope: object, construct_id: object, construct_class: str) -> None:
    """Refuse a scope outside any stack (an App, a Stage) and a construct id that is not a string
    or holds a key, before the construct exists.

    Called before ``super().__init__`` so that a refused id never reaches the construct tree
    (``tree.json`` in the cloud assembly), and so that a scope without a stack gets this error, not
    aws_cdk's. The scope's stack is read once and kept (:func:`facts_of`), for the construct too.
    """
    problems = Problems()
    if not isinstance(scope, Construct):
        problems.wrong_type("scope", scope, f"the parent construct of the {construct_class} (a Stack or a Construct)")
    elif not _in_a_stack(scope):
        path = path_of(scope)
        problems.add(
            "scope",
            f"the {type(scope).__name__} (the root of the construct tree)" if not path else describe(scope),
            "a Stack, or a construct inside one, e.g. cdk.Stack(app, 'Datadog'): what this construct makes or "
            "refers to belongs to a stack's template",
        )
    if problems.check_type("construct_id", construct_id, str, "a construct id string such as 'Datadog'"):
        problems.refuse_key_shapes("construct_id", construct_id, "a construct id such as 'Datadog'")
    if len(problems):
        # Read only now: the path is a jsii round trip, and most constructs are fine.
        parent = path_of(scope) if isinstance(scope, Construct) else describe(scope)
        shown = construct_id if isinstance(construct_id, str) else describe(construct_id)
        raise DdSecretsValidationError(f"{parent}/{shown}" if parent else str(shown), problems._problems)


def _in_a_stack(scope: Construct) -> bool:
    if isinstance(scope, Stack) or scope in _OF_SCOPE:
        return True
    try:
        facts_of(scope)
    except RuntimeError:  # jsii: "... should be created in the scope of a Stack, but no Stack found"
        return False
    return True
