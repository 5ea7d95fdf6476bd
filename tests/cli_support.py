"""Shared helpers of the ``ddsecrets`` tests: the example app's cloud assembly, and running the CLI."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


@cache
def example_assembly() -> Path:
    """The example stacks synthesized once into a cloud assembly, as ``cdk synth`` writes it
    (without the cdk-nag packs, which the example tests already run)."""
    import tempfile

    import aws_cdk as cdk

    from app import STACKS

    out = Path(tempfile.mkdtemp(prefix="ddsecrets-cli-assembly-"))
    app = cdk.App(outdir=str(out), context=json.loads((ROOT / "cdk.json").read_text())["context"])
    for stack_id, stack_class in STACKS.items():
        stack_class(app, stack_id)
    app.synth()
    return out


STAGE_ACCOUNTS = {"Prod": "123456789012", "Dr": "210987654321"}
"""The stages of :func:`stage_assembly` and their accounts (the first is moto's default account)."""
STAGE_STACK = "DatadogSeedStack"
SHARED_STACK_NAME = "datadog-seed-shared"
"""The CloudFormation name both stages give their second stack (two accounts, one name)."""


@cache
def stage_assembly() -> Path:
    """A cloud assembly as ``cdk synth`` writes it for an app of CDK ``Stage`` s (each stage's stacks
    in a nested assembly): in each stage of :data:`STAGE_ACCOUNTS` (region eu-west-1), the seed
    example as ``<stage>/DatadogSeedStack`` (CloudFormation name ``<stage>-DatadogSeedStack``) and as
    ``<stage>/Shared``, named :data:`SHARED_STACK_NAME` in both."""
    import tempfile

    import aws_cdk as cdk

    from examples.seed_stack import SeedStack

    out = Path(tempfile.mkdtemp(prefix="ddsecrets-cli-stages-"))
    app = cdk.App(outdir=str(out), context=json.loads((ROOT / "cdk.json").read_text())["context"])
    for stage_id, account in STAGE_ACCOUNTS.items():
        stage = cdk.Stage(app, stage_id, env=cdk.Environment(account=account, region="eu-west-1"))
        SeedStack(stage, STAGE_STACK)
        SeedStack(stage, "Shared", stack_name=SHARED_STACK_NAME)
    app.synth()
    return out


def template_of(assembly: Path, stack: str) -> dict[str, Any]:
    return json.loads((assembly / f"{stack}.template.json").read_text())  # type: ignore[no-any-return]


@dataclass
class Run:
    code: int
    out: str
    err: str

    @property
    def json(self) -> dict[str, Any]:
        return json.loads(self.out)  # type: ignore[no-any-return]

    def by_check(self) -> dict[tuple[str, str], dict[str, Any]]:
        return {(c["subject"], c["check"]): c for c in self.json["checks"]}

    def statuses(self) -> dict[str, list[str]]:
        """Check name -> statuses (one per subject), from the JSON report."""
        found: dict[str, list[str]] = {}
        for c in self.json["checks"]:
            found.setdefault(c["check"], []).append(c["status"])
        return found


def run_cli(*argv: str) -> Run:
    """The CLI's ``main`` in this process, with stdout and stderr captured."""
    from ddsecrets_cli.main import main

    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err)
    return Run(code, out.getvalue(), err.getvalue())


def assumed_session(role_arn: str, region: str) -> Any:
    """A boto3 session with the credentials of ``role_arn``, assumed as ``cdk deploy`` assumes a
    stack's deploy role (boto3 imported here: the minimal test venv has none)."""
    import boto3

    credentials = boto3.client("sts").assume_role(RoleArn=role_arn, RoleSessionName="test")["Credentials"]
    return boto3.Session(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
        region_name=region,
    )
