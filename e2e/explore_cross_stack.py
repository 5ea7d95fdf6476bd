"""Try the cross-stack patterns users reach for, and print what happens (issue 11).

Not a test: the constructs do not refuse or support these patterns yet, and this records today's
behaviour for whoever adds the refusals or fixes. Each pattern is synthesized; one that synthesizes
is deployed to the emulator with the real CDK CLI. Run it with the emulator's interpreter known:

    E2E_EMULATOR_PYTHON=.venv-e2e/bin/python .venv/bin/python -m e2e.explore_cross_stack
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import traceback
from collections.abc import Callable
from pathlib import Path

import aws_cdk as cdk
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms

from ddsecrets_constructs import (
    DatadogAdminKeySecret,
    DatadogApiKeySecret,
    DatadogKeyKind,
    DatadogKeyParameter,
    DatadogRotationRole,
    DatadogSite,
)
from e2e import readme_steps
from e2e.emulator import localstack
from e2e.parameters import ValueMaker, values_for
from e2e.run import Runner
from examples import inputs

ACCOUNT, REGION = "111122223333", "eu-west-1"
HERE = cdk.Environment(account=ACCOUNT, region=REGION)


def admin(
    stack: cdk.Stack,
    role: DatadogRotationRole | None = None,
    key: kms.IKey | None = None,
    secret_name: str | None = None,
) -> DatadogAdminKeySecret:
    return DatadogAdminKeySecret(
        stack,
        "Admin",
        site=DatadogSite.US1,
        service_account_id=inputs.uuid(stack, "ServiceAccountId", "service account"),
        admin_api_key=DatadogKeyParameter(stack, "AdminApiKey", kind=DatadogKeyKind.ADMIN_API_KEY).secret_value,
        admin_api_key_id=inputs.uuid(stack, "AdminApiKeyId", "admin API key id"),
        admin_app_key=DatadogKeyParameter(stack, "AdminAppKey", kind=DatadogKeyKind.ADMIN_APPLICATION_KEY).secret_value,
        admin_app_key_id=inputs.uuid(stack, "AdminAppKeyId", "admin app key id"),
        rotation_role=role,
        encryption_key=key,
        secret_name=secret_name,
    )


def api_key(stack: cdk.Stack, the_admin: DatadogAdminKeySecret, **kwargs: object) -> DatadogApiKeySecret:
    return DatadogApiKeySecret(
        stack,
        "DatadogApiKey",
        admin=the_admin,
        api_key=DatadogKeyParameter(stack, "ApiKey", kind=DatadogKeyKind.API_KEY).secret_value,
        api_key_id=inputs.uuid(stack, "ApiKeyId", "API key id"),
        **kwargs,  # type: ignore[arg-type]
    )


def consumer_grant_read(app: cdk.App) -> None:
    """A consumer in another stack calls grant_read on a secret encrypted with a customer-managed key."""
    producer = cdk.Stack(app, "Producer", env=HERE)
    key = kms.Key(producer, "Key", enable_key_rotation=True)
    the_admin = admin(producer, key=key)
    secret = api_key(producer, the_admin, encryption_key=key)
    consumer = cdk.Stack(app, "Consumer", env=HERE)
    role = iam.Role(consumer, "Reader", assumed_by=iam.ServicePrincipal("ecs-tasks.amazonaws.com"))
    secret.grant_read(role)


def consumer_ecs_secret(app: cdk.App) -> None:
    """A consumer in another stack uses ecs_secret() of a secret encrypted with a customer-managed key."""
    producer = cdk.Stack(app, "Producer", env=HERE)
    key = kms.Key(producer, "Key", enable_key_rotation=True)
    the_admin = admin(producer, key=key)
    secret = api_key(producer, the_admin, encryption_key=key)
    consumer = cdk.Stack(app, "Consumer", env=HERE)
    task = ecs.FargateTaskDefinition(consumer, "Task", cpu=256, memory_limit_mib=512)
    task.add_container(
        "agent",
        image=ecs.ContainerImage.from_registry("public.ecr.aws/datadog/agent:7"),
        secrets={"DD_API_KEY": secret.ecs_secret()},
    )


def consumer_grant_read_default_key(app: cdk.App) -> None:
    """The same with the AWS-managed key: shows whether the customer-managed key causes the cycle."""
    producer = cdk.Stack(app, "Producer", env=HERE)
    secret = api_key(producer, admin(producer))
    consumer = cdk.Stack(app, "Consumer", env=HERE)
    role = iam.Role(consumer, "Reader", assumed_by=iam.ServicePrincipal("ecs-tasks.amazonaws.com"))
    secret.grant_read(role)


def shared_rotation_role(app: cdk.App) -> None:
    """One DatadogRotationRole in one stack, used by secrets in another."""
    roles = cdk.Stack(app, "Roles", env=HERE)
    role = DatadogRotationRole(roles, "RotationRole")
    secrets = cdk.Stack(app, "Secrets", env=HERE)
    admin(secrets, role=role)


def child_in_other_region(app: cdk.App) -> None:
    """The admin in eu-west-1, a child in us-east-1 of the same account."""
    home = cdk.Stack(app, "AdminStack", env=HERE)
    the_admin = admin(home)
    away = cdk.Stack(app, "ChildStack", env=cdk.Environment(account=ACCOUNT, region="us-east-1"))
    api_key(away, the_admin)


def child_in_other_region_named_admin(app: cdk.App) -> None:
    """As above, with the admin secret named (the physical name CDK asks for)."""
    home = cdk.Stack(app, "AdminStack", env=HERE)
    the_admin = admin(home, secret_name="datadog/admin")
    away = cdk.Stack(app, "ChildStack", env=cdk.Environment(account=ACCOUNT, region="us-east-1"))
    api_key(away, the_admin)


def child_in_other_account(app: cdk.App) -> None:
    """The admin in account 111122223333, a child in 222233334444 (same region)."""
    home = cdk.Stack(app, "AdminStack", env=HERE)
    the_admin = admin(home)
    away = cdk.Stack(app, "ChildStack", env=cdk.Environment(account="222233334444", region=REGION))
    api_key(away, the_admin)


def child_in_other_account_named_admin(app: cdk.App) -> None:
    """As above, with the admin secret named."""
    home = cdk.Stack(app, "AdminStack", env=HERE)
    the_admin = admin(home, secret_name="datadog/admin")
    away = cdk.Stack(app, "ChildStack", env=cdk.Environment(account="222233334444", region=REGION))
    api_key(away, the_admin)


def child_of_imported_admin_in_other_region(app: cdk.App) -> None:
    """A child in us-east-1 naming, by complete ARN, an admin secret in eu-west-1."""
    away = cdk.Stack(app, "ChildStack", env=cdk.Environment(account=ACCOUNT, region="us-east-1"))
    the_admin = DatadogAdminKeySecret.from_admin_secret_attributes(
        away,
        "Admin",
        secret_complete_arn=f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:datadog/admin-AbC123",
        service_account_id="1b4e28ba-2fa1-11d2-883f-0016d3cca427",
    )
    api_key(away, the_admin)  # type: ignore[arg-type]


PATTERNS: dict[str, Callable[[cdk.App], None]] = {
    "consumer in another stack: grant_read (CMK)": consumer_grant_read,
    "consumer in another stack: ecs_secret() (CMK)": consumer_ecs_secret,
    "consumer in another stack: grant_read (AWS-managed key)": consumer_grant_read_default_key,
    "DatadogRotationRole shared between stacks": shared_rotation_role,
    "child in another region than its admin": child_in_other_region,
    "child in another region, admin secret named": child_in_other_region_named_admin,
    "child in another account than its admin": child_in_other_account,
    "child in another account, admin secret named": child_in_other_account_named_admin,
    "child of an imported admin in another region": child_of_imported_admin_in_other_region,
}


def synth(build: Callable[[cdk.App], None], outdir: Path) -> str | None:
    """None when it synthesizes, else the error (last lines)."""
    try:
        app = cdk.App(outdir=str(outdir), context={"@aws-cdk/core:checkSecretUsage": True})
        build(app)
        app.synth()
        return None
    except Exception as error:  # report whatever CDK or the library raises
        return f"{type(error).__name__}: {str(error).strip()[-1500:]}" if str(error) else traceback.format_exc()[-1500:]


def deploy(runner: Runner, outdir: Path, maker: ValueMaker) -> str:
    manifest = json.loads((outdir / "manifest.json").read_text())
    stacks = {
        name: (a["environment"], json.loads((outdir / a["properties"]["templateFile"]).read_text()))
        for name, a in manifest["artifacts"].items()
        if a["type"] == "aws:cloudformation:stack"
    }
    for environment in sorted({env for env, _ in stacks.values()}):
        result = runner.run(f"bootstrap {environment}", f"npx cdk bootstrap --app {outdir} {environment}", check=False)
        if result.returncode:
            return f"bootstrap {environment} failed: {(result.stdout + result.stderr)[-1200:]}"
    arguments = " ".join(
        f"--parameters {name}:{k}={v}"
        for name, (_, template) in stacks.items()
        for k, v in values_for(template, maker).items()
    )
    result = runner.run("deploy", f"npx cdk deploy --app {outdir} --all {arguments}", check=False)
    tail = (result.stdout + result.stderr)[-1500:]
    return "deployed" if result.returncode == 0 else f"deploy failed ({result.returncode}):\n{tail}"


def main() -> int:
    python = os.environ.get("E2E_EMULATOR_PYTHON")
    if not python:
        print("set E2E_EMULATOR_PYTHON (make e2e makes .venv-e2e)", file=sys.stderr)
        return 2
    workdir = Path(tempfile.mkdtemp(prefix="ddsecrets-explore-"))
    os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    maker = ValueMaker(seed=7)
    try:
        with localstack(python, workdir) as url:
            runner = Runner(url, workdir, readme_steps.load())
            for number, (title, build) in enumerate(PATTERNS.items()):
                error = synth(build, workdir / f"pattern-{number}")
                outcome = f"synth failed: {error}" if error else deploy(runner, workdir / f"pattern-{number}", maker)
                print(f"\n### {title}\n{outcome}", flush=True)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
