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

from aws_cdk import Stack
from constructs import IConstruct

from ._partitions import partition_of
from .validation import is_unresolved


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
        found = _OF_SCOPE[scope] = facts_of_stack(Stack.of(scope))
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
