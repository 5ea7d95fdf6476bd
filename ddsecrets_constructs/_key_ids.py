"""Datadog keys that secrets of one app hold, so that no key is held by two secrets.

A rotation replaces the key its secret holds and deletes the old one in Datadog: an application
key at once, an API key two rotations later, an admin pair before the new one is promoted
(reference section 2). Two secrets holding one key (the same key id) cannot both keep working:
the first rotation of either deletes the key the other still holds, whose consumers then fail and
whose own rotation fails. Refused at synth time, naming both construct paths and props. Only a
well-formed id is held (a malformed one is refused by its format check alone), and a construct
that is refused lets go of its ids.

Key ids are compared across the whole app, whatever account or region holds the secret: a Datadog
key id names one key of one organisation. A key id known only at deploy time is not compared (the
check is reported as skipped).
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from typing import Optional

from constructs import IConstruct

from ._stack_facts import facts_of, path_of
from .key_material import check_uuid
from .validation import Problems, is_unresolved

CHECK = "key held by no other secret of the app"
"""How the check is named where a deploy-time key id skips it."""


@dataclass(frozen=True)
class _Holder:
    path: str
    prop: str


_HELD: weakref.WeakKeyDictionary[IConstruct, dict[str, _Holder]] = weakref.WeakKeyDictionary()


def check_key_id(
    problems: Problems, prop: str, owner: IConstruct, key_id: object, *, owner_path: Optional[str] = None
) -> None:
    """Check a Datadog key id: a UUID (:func:`check_uuid`), then held by no other secret of the app.
    Record that the secret at ``owner_path`` (default: ``owner``'s path) holds it, given as ``prop``.

    ``owner``: the secret, or the family about to create it (its app and stack are the secret's).
    """
    if not check_uuid(problems, prop, key_id):
        return
    assert isinstance(key_id, str)
    if is_unresolved(key_id):
        problems.skip(prop, CHECK)
        return
    held = _HELD.setdefault(facts_of(owner).root, {})
    mine = _Holder(owner_path if owner_path is not None else path_of(owner), problems.name(prop))
    other = held.setdefault(key_id, mine)
    if other is mine:

        def let_go() -> None:
            del held[key_id]

        problems.undo_if_refused(let_go)
        return
    where = "this secret" if other.path == mine.path else repr(other.path)
    problems.add(
        prop,
        repr(key_id),
        f"the id of a key no other secret of the app holds: {where} already holds it (`{other.prop}`). A "
        "rotation deletes the key its secret held (an application key at once, an API key two rotations "
        "later, an admin pair before the new one is promoted), so the other secret would keep a deleted key "
        "and fail; create one Datadog key per secret",
    )
