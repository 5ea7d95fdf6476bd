"""Secret names and family prefixes that constructs of one app claim, so that none overlaps another.

Two constructs with the same secret name fail the deploy on a name clash; a family prefix that
contains another construct's secret (``datadog`` and ``datadog/api-keys/team``) would put that
secret under the family's trust fallback (``secret:<prefix>/...``). Both are refused at synth
time, naming both construct paths. Names are compared within one account and region; a stack
whose account or region is a deploy-time value is compared with every other. A construct that is
refused gives its claims back.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Optional

from constructs import IConstruct

from ._stack_facts import facts_of, path_of
from .validation import Problems, is_unresolved


@dataclass(frozen=True)
class _Claim:
    name: str
    is_prefix: bool
    owner_path: str
    account: Optional[str]
    region: Optional[str]

    def same_place(self, other: _Claim) -> bool:
        return all(
            a is None or b is None or a == b for a, b in ((self.account, other.account), (self.region, other.region))
        )

    def overlaps(self, other: _Claim) -> bool:
        if self.name == other.name:
            return True
        if self.is_prefix and other.name.startswith(self.name + "/"):
            return not other.owner_path.startswith(self.owner_path + "/")
        if other.is_prefix and self.name.startswith(other.name + "/"):
            return not self.owner_path.startswith(other.owner_path + "/")
        return False


class _Claims:
    """The claims of one app, in the order made, indexed by name: a name is compared with the
    claims of the same name and of the names above it (``a`` and ``a/b`` for ``a/b/c``), not with
    every claim (a family of a hundred keys made ten thousand comparisons); a prefix, rare (one
    per family), with every claim."""

    def __init__(self) -> None:
        self._made: dict[_Claim, int] = {}  # every claim, and when it was made
        self._by_name: dict[str, list[_Claim]] = {}
        self._count = 0

    def first_overlapping(self, mine: _Claim) -> Optional[_Claim]:
        """The earliest claim that overlaps ``mine`` in the same place, if any."""
        if mine.is_prefix:
            candidates: Iterable[_Claim] = self._made
        else:
            parts = mine.name.split("/")
            candidates = [c for end in range(1, len(parts) + 1) for c in self._by_name.get("/".join(parts[:end]), ())]
        overlapping = [c for c in candidates if c.same_place(mine) and mine.overlaps(c)]
        return min(overlapping, key=self._made.__getitem__, default=None)

    def add(self, mine: _Claim) -> None:
        self._count += 1
        self._made[mine] = self._count
        self._by_name.setdefault(mine.name, []).append(mine)

    def remove(self, mine: _Claim) -> None:
        del self._made[mine]
        self._by_name[mine.name].remove(mine)


_CLAIMS: weakref.WeakKeyDictionary[IConstruct, _Claims] = weakref.WeakKeyDictionary()

CHECK = "name used by no other construct of the app, and not under a family's secret_name_prefix"
"""How the check is named where a deploy-time name skips it."""


def claim(
    problems: Problems,
    prop: str,
    owner: IConstruct,
    name: Optional[str],
    *,
    is_prefix: bool = False,
    owner_path: Optional[str] = None,
) -> None:
    """Record that ``owner`` uses the secret name (or, with ``is_prefix``, every name under
    ``<name>/``); record a problem when another construct of the app already uses an overlapping one.

    Secrets a family creates under its own prefix are its own: a construct inside the owner of a
    prefix may use names under it. ``owner_path``: the path of a construct not created yet, in
    ``owner``'s stack (a family claims its keys' names before it builds them).
    """
    if name is None or not isinstance(name, str):
        return
    if is_unresolved(name):
        problems.skip(prop, CHECK)
        return
    facts = facts_of(owner)
    path = owner_path if owner_path is not None else path_of(owner)
    mine = _Claim(name, is_prefix, path, facts.literal_account, facts.literal_region)
    claims = _CLAIMS.setdefault(facts.root, _Claims())
    other = claims.first_overlapping(mine)
    if other is not None:
        what = "the secret name prefix" if other.is_prefix else "the secret name"
        problems.add(
            prop,
            repr(name),
            f"a name that no other construct of the app uses: {other.owner_path!r} already uses {what} "
            f"{other.name!r}. Two secrets cannot share a name, and a family's prefix must not contain another "
            "construct's secrets (its rotation role could be trusted by them); choose another name or prefix",
        )
        return
    claims.add(mine)
    problems.undo_if_refused(lambda: claims.remove(mine))
