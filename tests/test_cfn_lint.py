"""cfn-lint reports no error and no warning on any template the suite synthesizes.

cfn-lint is schema-level and accepts most mistakes of this domain (reference section 5); the
other test modules check what the library promises. This one catches template-level regressions.
"""

from __future__ import annotations

import json

import pytest
from cfnlint.api import ManualArgs, lint

from tests.support import REGION, built, configuration_names


@pytest.mark.parametrize("name", configuration_names())
def test_cfn_lint_reports_nothing(name: str) -> None:
    template = built(name).json
    matches = lint(json.dumps(template), config=ManualArgs(regions=[REGION]))
    findings = [
        f"{m.rule.id} {m.message} ({'/'.join(map(str, m.path))})" for m in matches if not m.rule.id.startswith("I")
    ]
    assert findings == []


def test_cfn_lint_does_flag_a_broken_template() -> None:
    """Guard against a lint call that cannot fail (wrong API use would also return [])."""
    template = json.loads(json.dumps(built("admin_default").json))
    schedule = next(r for r in template["Resources"].values() if r["Type"] == "AWS::SecretsManager::RotationSchedule")
    schedule["Properties"]["RotationRulez"] = schedule["Properties"].pop("RotationRules")
    assert [m.rule.id for m in lint(json.dumps(template), config=ManualArgs(regions=[REGION]))] == ["E3002"]
