"""Snapshots of representative templates: the contract for logical ids and SecretString text.

A changed snapshot means CloudFormation would see a different template. A changed logical id
replaces (deletes) a secret or silently drops its rotation schedule; a changed SecretString
re-writes the stored value on the next deploy, putting back a key that rotation has deleted.
Such a change is a major version: update the snapshot (``pytest --snapshot-update``) only on
purpose, in the same change as the CHANGELOG entry that says so.
"""

from __future__ import annotations

from typing import Any

import pytest
from syrupy.assertion import SnapshotAssertion
from syrupy.extensions.json import JSONSnapshotExtension

from tests.support import _BUILDERS, built

SNAPSHOTTED = ["family", "family_alerts", "family_all_options", "imported_admin", "seed", "standalone"]
BREAKING = (
    "The synthesized template changed. If a logical id or a SecretString changed, this is a breaking "
    "change for every deployed stack (see this module's docstring): update the snapshot only on purpose."
)


@pytest.fixture
def json_snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    return snapshot.use_extension(JSONSnapshotExtension)


@pytest.mark.parametrize("name", SNAPSHOTTED)
def test_template_matches_snapshot(name: str, json_snapshot: SnapshotAssertion) -> None:
    assert built(name).json == json_snapshot, BREAKING


def logical_ids(template: dict[str, Any]) -> list[tuple[str, str]]:
    return sorted((k, v["Type"]) for k, v in template["Resources"].items())


@pytest.mark.parametrize("name", ["family", "seed"])
def test_same_inputs_give_the_same_logical_ids(name: str) -> None:
    again = _BUILDERS[name]()  # a second, independent synthesis
    assert logical_ids(again.json) == logical_ids(built(name).json)
