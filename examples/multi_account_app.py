"""Many accounts and regions: one CDK ``Stage`` per (account, region), each with its own admin and keys.

AWS documents managed rotation only with the admin secret in the child's own account and region,
so every environment gets an admin secret (a security stack) and its teams' keys (team stacks),
built from the same stack classes as ``app.py``. Deploy every environment with::

    npx cdk deploy --all --app "python -m examples.multi_account_app" --parameters <stack>:<name>=<value> ...

(each environment needs its account bootstrapped, and credentials that may deploy to it), or put
the stages in a CDK Pipelines ``CodePipeline`` with ``pipeline.add_stage(DatadogEnvironment(...))``.

Every environment here belongs to one Datadog organisation (``datadog_organization`` label), so the
library counts their API keys together, over every stage of the app: at most 50 per organisation,
2 per rotated API-key secret and per admin secret (docs/scaling.md). Machines that only read data
get application keys, which do not count.
"""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks, HIPAASecurityChecks, NIST80053R5Checks, PCIDSS321Checks
from constructs import Construct

from examples.shared_admin_stacks import SecurityStack, TeamKeysStack

ENVIRONMENTS = {
    "ProdEu": ("111111111111", "eu-west-1"),
    "ProdUs": ("111111111111", "us-east-1"),
    "Staging": ("222222222222", "eu-west-1"),
}
"""Stage id -> (account, region). Placeholders: use your own accounts."""
TEAMS = ("payments", "search")


class DatadogEnvironment(cdk.Stage):
    """One account and region: its admin secret (security stack) and one keys stack per team."""

    def __init__(self, scope: Construct, construct_id: str, *, account: str, region: str, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, env=cdk.Environment(account=account, region=region), **kwargs)
        self.security = SecurityStack(self, "Security")
        self.teams = {
            # One API key per team and environment (the agent's), not per service: the budget is small.
            team: TeamKeysStack(self, f"{team.title()}Keys", admin=self.security.admin, team=team)
            for team in TEAMS
        }


def build_app(app: cdk.App) -> cdk.App:
    """Register the cdk-nag packs and one stage per environment on ``app``."""
    cdk.Validations.of(app).add_plugins(
        AwsSolutionsChecks(app), HIPAASecurityChecks(app), NIST80053R5Checks(app), PCIDSS321Checks(app)
    )
    for stage_id, (account, region) in ENVIRONMENTS.items():
        DatadogEnvironment(app, stage_id, account=account, region=region)
    return app


if __name__ == "__main__":
    build_app(cdk.App()).synth()
