"""The multi-account example: one Stage per (account, region) with its own admin and keys, every
environment's API keys counted against one Datadog organisation, no admin shared across environments."""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest

from ddsecrets_constructs import DdSecretsValidationError
from ddsecrets_constructs.admin_key import CROSS_ACCOUNT_REASON
from ddsecrets_constructs.key_material import API_KEY, APP_KEY
from examples.multi_account_app import ENVIRONMENTS, TEAMS, DatadogEnvironment, build_app
from examples.shared_admin_stacks import TeamKeysStack
from tests.cli_support import Run, assumed_session, run_cli
from tests.test_examples import KEY_SHAPES, app_context, by_type


@cache
def assembly() -> cdk.App:
    """The example app synthesized once, with the cdk-nag packs (a violation raises)."""
    app = build_app(cdk.App(context=app_context()))
    app.synth()
    return app


def stage(stage_id: str) -> DatadogEnvironment:
    found = assembly().node.find_child(stage_id)
    assert isinstance(found, DatadogEnvironment)
    return found


def template(stack: cdk.Stack) -> dict[str, Any]:
    return dict(cdk.assertions.Template.from_stack(stack).to_json())


@pytest.mark.parametrize("stage_id", ENVIRONMENTS)
def test_each_environment_holds_its_own_admin_and_team_keys_in_its_account_and_region(stage_id: str) -> None:
    environment = stage(stage_id)
    account, region = ENVIRONMENTS[stage_id]
    stacks = [environment.security, *environment.teams.values()]
    assert sorted(environment.teams) == sorted(TEAMS)
    for stack in stacks:
        assert (stack.account, stack.region) == (account, region)
        assert stack.stack_name.startswith(f"{stage_id}-")  # `cdk deploy --all` deploys each by this name
    admins = by_type(template(environment.security), "AWS::SecretsManager::Secret")
    assert [s["Properties"]["Type"] for s in admins.values()] == ["DatadogAdminKey"]
    for team in environment.teams.values():
        for schedule in by_type(template(team), "AWS::SecretsManager::RotationSchedule").values():
            (metadata,) = schedule["Properties"]["ExternalSecretRotationMetadata"]
            # The admin of this environment's security stack, never another environment's.
            assert metadata["Value"]["Fn::ImportValue"].startswith(f"{environment.security.stack_name}:")


@pytest.mark.parametrize("stage_id", ENVIRONMENTS)
def test_environments_take_keys_only_from_noecho_parameters_and_leave_no_warning(stage_id: str) -> None:
    environment = stage(stage_id)
    for stack in [environment.security, *environment.teams.values()]:
        t = template(stack)
        patterns = {p.get("AllowedPattern") for p in t["Parameters"].values() if p.get("NoEcho")}
        assert patterns & {API_KEY.parameter_pattern, APP_KEY.parameter_pattern}
        assert not KEY_SHAPES.search(json.dumps(t))
        found = cdk.assertions.Annotations.from_stack(stack).find_warning(
            "*", cdk.assertions.Match.string_like_regexp("ddsecrets-constructs")
        )
        assert [f"{w.id}: {w.entry.data}" for w in found] == []


def test_the_api_key_budget_is_counted_over_every_environment() -> None:
    """3 environments x (1 admin + 2 teams x 1 API key) x 2 = 18 of the organisation's 50 keys:
    17 more API keys in one environment are refused, naming the other environments' secrets."""
    app = build_app(cdk.App(context=app_context()))
    staging = app.node.find_child("Staging")
    assert isinstance(staging, DatadogEnvironment)
    names = tuple(f"svc{i}" for i in range(17))
    with pytest.raises(DdSecretsValidationError) as error:
        TeamKeysStack(staging, "MoreKeys", admin=staging.security.admin, team="more", api_keys=names)
    message = str(error.value)
    assert "labelled 'example-org'" in message
    assert "2 x 23 API-key secrets + 2 x 3 admin secrets = 52 > 50" in message
    assert "admin 'ProdEu/Security/DatadogAdmin'" in message
    assert "API key 'ProdUs/PaymentsKeys/Datadog/ApiKeys/agent'" in message


def test_an_admin_of_another_environment_is_refused() -> None:
    app = build_app(cdk.App(context=app_context()))
    prod_eu, prod_us = (app.node.find_child(s) for s in ("ProdEu", "ProdUs"))
    assert isinstance(prod_eu, DatadogEnvironment)
    assert isinstance(prod_us, DatadogEnvironment)
    with pytest.raises(DdSecretsValidationError) as caught:
        TeamKeysStack(prod_us, "Borrowed", admin=prod_eu.security.admin, team="borrowed")
    # The region, the reason an import would not do either; not also the other Stage.
    assert str(caught.value) == (
        "ProdUs/Borrowed/Datadog: 1 invalid prop:\n  - `admin`: got the admin secret at "
        "'ProdEu/Security/DatadogAdmin', in region 'eu-west-1' (this stack: 'us-east-1'); an admin secret in the "
        f"same account and region: {CROSS_ACCOUNT_REASON}"
    )


def test_the_cli_reads_each_environments_stacks_from_the_stages_nested_assemblies() -> None:
    """What docs/scaling.md's later deploys run: ``ddsecrets guard --stack <stage>/<stack>`` on the
    app's cloud assembly finds each stack, its CloudFormation name and its account and region."""
    from ddsecrets_cli.assembly import load_from_assembly

    cdk_out = Path(assembly().synth().directory)
    for stage_id, (account, region) in ENVIRONMENTS.items():
        for stack_id in ("Security", *(f"{team.title()}Keys" for team in TEAMS)):
            stack = load_from_assembly(cdk_out, f"{stage_id}/{stack_id}")
            assert (stack.name, stack.path) == (f"{stage_id}-{stack_id}", f"{stage_id}/{stack_id}")
            assert (stack.account, stack.region) == (account, region)
            expected = ["DatadogAdminKey"] if stack_id == "Security" else ["DatadogApiKey", "DatadogApplicationKey"]
            assert sorted(s.type for s in stack.secrets) == expected


@pytest.fixture(scope="module")
def moto_url() -> Iterator[str]:
    """moto's server on 127.0.0.1, the AWS of the command's tests (tests/fake_aws.py). The command's
    [cli] extra is not in requirements-min.txt: ``make test-min`` skips what needs it."""
    pytest.importorskip("boto3")
    pytest.importorskip("moto")
    from tests.fake_aws import CREDENTIALS, MotoServer

    server = MotoServer().start()
    with pytest.MonkeyPatch.context() as patch:
        for name, value in CREDENTIALS.items():
            patch.setenv(name, value)
        patch.setenv("AWS_ENDPOINT_URL", server.url)
        for name in ("AWS_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
            patch.delenv(name, raising=False)
        yield server.url
    server.stop()


def test_ddsecrets_guard_selects_each_environments_stack_by_construct_path_in_its_account_and_region(
    moto_url: str,
) -> None:
    """docs/scaling.md's later deploys, as a user runs them: ``ddsecrets guard --stack <stage>/<stack>
    --cdk-out <the app's cloud assembly>`` with credentials of another account (moto's) finds the
    stack in its stage's nested assembly, assumes its deploy role and reads it by its CloudFormation
    name in its own account and region. ProdEu-Security deployed there is compared (a new service
    account id would write its SecretString again); every other stack is not deployed yet."""

    from tests.fake_aws import ACCOUNT
    from tests.test_cli_preflight import IDS, KEYS

    cdk_out = Path(assembly().synth().directory)
    stacks = ("Security", *(f"{team.title()}Keys" for team in TEAMS))
    assert ACCOUNT not in {account for account, _ in ENVIRONMENTS.values()}  # every stack needs its deploy role

    def guard(path: str, *extra: str) -> Run:
        return run_cli("guard", "--stack", path, "--cdk-out", str(cdk_out), "--json", *extra)

    # ProdEu-Security deployed in ProdEu's account and region, as cdk deploy would (through the deploy role).
    account, region = ENVIRONMENTS["ProdEu"]
    role = f"arn:aws:iam::{account}:role/cdk-hnb659fds-deploy-role-{account}-{region}"
    in_prod_eu = assumed_session(role, region)
    in_prod_eu.client("ssm").put_parameter(
        Name="/cdk-bootstrap/hnb659fds/version", Value="30", Type="String", Overwrite=True
    )
    prod_eu = stage("ProdEu")
    template = json.loads((Path(prod_eu.outdir) / prod_eu.security.template_file).read_text())
    values = {**IDS, **KEYS}
    in_prod_eu.client("cloudformation").create_stack(
        StackName="ProdEu-Security",
        TemplateBody=json.dumps(template),
        Parameters=[{"ParameterKey": p, "ParameterValue": values[p]} for p in template["Parameters"] if p in values],
        Capabilities=["CAPABILITY_IAM"],
    )
    (admin,) = [k for k, v in template["Resources"].items() if v["Properties"].get("Type") == "DatadogAdminKey"]

    same = guard("ProdEu/Security")
    assert same.code == 0, same.out + same.err
    assert same.json["cloudformation"] == {"stackName": "ProdEu-Security", "region": region}
    assert [
        (c["subject"], c["status"]) for c in same.json["checks"] if c["check"] == "SecretString not written again"
    ] == [(admin, "pass")]
    assert f"sts AssumeRole {role}" in same.err
    new_account = f"{'0' * 8}-0000-4000-8000-{'0' * 12}"
    reseed = guard("ProdEu/Security", "--parameters", f"ProdEu-Security:ServiceAccountId={new_account}")
    assert reseed.code == 1, reseed.out + reseed.err
    assert [(c["subject"], c["check"]) for c in reseed.json["checks"] if c["status"] == "fail"] == [
        (admin, "SecretString not written again")
    ]

    for stage_id, (account, region) in ENVIRONMENTS.items():
        for stack_id in stacks:
            if (stage_id, stack_id) == ("ProdEu", "Security"):
                continue
            name = f"{stage_id}-{stack_id}"
            run = guard(f"{stage_id}/{stack_id}")
            assert run.code == 0, run.out + run.err
            assert run.json["cloudformation"] == {"stackName": name, "region": region}
            assert [(c["subject"], c["check"], c["status"]) for c in run.json["checks"]] == [
                (name, "stack deployed", "pass")
            ]
            assert run.json["checks"][0]["detail"].startswith("not deployed yet")
            assert f"sts AssumeRole arn:aws:iam::{account}:role/cdk-hnb659fds-deploy-role-{account}-{region}" in run.err
            assert f"cloudformation GetTemplate {name}" in run.err
