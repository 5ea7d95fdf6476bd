"""The example app: ``make synth`` runs it through the CDK CLI (``cdk.json``).

Every cdk-nag 3 pack is registered as a policy-validation plugin, so a violation fails the synth.
"""

from __future__ import annotations

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks, HIPAASecurityChecks, NIST80053R5Checks, PCIDSS321Checks

from examples.agent_stack import AgentStack
from examples.imported_admin_stack import ImportedAdminStack
from examples.seed_stack import SeedStack
from examples.shared_admin_stacks import SecurityStack, TeamKeysStack
from examples.team_stack import TeamStack

STACKS = {"DatadogSeedStack": SeedStack, "DatadogTeamStack": TeamStack, "DatadogImportedAdminStack": ImportedAdminStack}
SECURITY_STACK = "DatadogSecurityStack"
TEAM_STACKS = {"DatadogPaymentsKeysStack": "payments", "DatadogSearchKeysStack": "search"}
KEY_STACKS = (*STACKS, SECURITY_STACK, *TEAM_STACKS)
"""The stacks that hold Datadog secrets: key parameters and rotation schedules, in deploy order (the
team stacks import the security stack's admin)."""
CONSUMER_STACKS = {"DatadogAgentStack": "DatadogSearchKeysStack"}
"""Consumer stack -> the keys stack whose secrets it reads (by import: deploy that one first).
A consumer stack has no key parameter and no rotation schedule."""
ALL_STACKS = (*KEY_STACKS, *CONSUMER_STACKS)
"""Every stack of the example app, in deploy order."""


def build_app(app: cdk.App) -> cdk.App:
    """Register the cdk-nag packs and the example stacks on ``app``."""
    cdk.Validations.of(app).add_plugins(
        AwsSolutionsChecks(app), HIPAASecurityChecks(app), NIST80053R5Checks(app), PCIDSS321Checks(app)
    )
    for stack_id, stack_class in STACKS.items():
        stack_class(app, stack_id)
    # One admin in a security stack; each team's keys in a stack of its own, rotated with that admin.
    security = SecurityStack(app, SECURITY_STACK)
    teams = {
        stack_id: TeamKeysStack(app, stack_id, admin=security.admin, team=team)
        for stack_id, team in TEAM_STACKS.items()
    }
    # Consumers in a stack of their own, reading a team's keys across stacks.
    for stack_id, keys_stack in CONSUMER_STACKS.items():
        AgentStack(app, stack_id, keys=teams[keys_stack].datadog)
    return app


if __name__ == "__main__":
    build_app(cdk.App()).synth()
