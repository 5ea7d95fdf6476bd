"""The example app: each scenario synthesizes with the cdk-nag packs registered, lints clean,
does what its docstring says, and leaves no key material in the cloud assembly."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from cfnlint.api import ManualArgs, lint

from app import ALL_STACKS, CONSUMER_STACKS, KEY_STACKS, SECURITY_STACK, TEAM_STACKS, build_app
from ddsecrets_constructs.key_material import API_KEY, APP_KEY
from e2e.intrinsics import imports
from examples.agent_stack import CI_PROJECT
from examples.shared_admin_stacks import SecurityStack, TeamKeysStack
from tests.support import as_list, statements

ROOT = Path(__file__).resolve().parent.parent
# Datadog key shapes (reference section 1), not embedded in a longer run of the same characters.
KEY_SHAPES = re.compile(r"ddapp_[A-Za-z0-9]{34}|(?<![0-9a-fA-F])(?:[0-9a-f]{32}|[0-9a-f]{40})(?![0-9a-fA-F])")


def app_context() -> dict[str, Any]:
    """The context of cdk.json: the recommended feature flags of a new CDK app, as the CLI passes them."""
    return dict(json.loads((ROOT / "cdk.json").read_text())["context"])


@cache
def app() -> cdk.App:
    """The example app, synthesized in-process as the CLI would; the nag packs raise on any violation."""
    built = build_app(cdk.App(context=app_context()))
    built.synth()
    return built


def template(stack_id: str) -> dict[str, Any]:
    stack = app().node.find_child(stack_id)
    assert isinstance(stack, cdk.Stack)
    return dict(cdk.assertions.Template.from_stack(stack).to_json())


def by_type(t: dict[str, Any], resource_type: str) -> dict[str, Any]:
    return {k: v for k, v in t["Resources"].items() if v["Type"] == resource_type}


@pytest.mark.parametrize("stack_id", ALL_STACKS)
def test_example_lints_clean(stack_id: str) -> None:
    matches = lint(json.dumps(template(stack_id)), config=ManualArgs(regions=["us-east-1"]))
    assert [f"{m.rule.id} {m.message}" for m in matches if not m.rule.id.startswith("I")] == []


@pytest.mark.parametrize("stack_id", KEY_STACKS)
def test_key_material_only_enters_through_noecho_parameters(stack_id: str) -> None:
    t = template(stack_id)
    key_parameters = {
        name: parameter
        for name, parameter in t["Parameters"].items()
        if parameter.get("AllowedPattern") in (API_KEY.parameter_pattern, APP_KEY.parameter_pattern)
    }
    assert key_parameters
    for name, parameter in key_parameters.items():
        assert parameter["NoEcho"] is True, name
        assert "Default" not in parameter, name
    assert not KEY_SHAPES.search(json.dumps(t))


@pytest.mark.parametrize("stack_id", ALL_STACKS)
def test_examples_leave_no_library_warning_unacknowledged(stack_id: str) -> None:
    """DatadogKeyParameter keys skip no check; ids from checked parameters are acknowledged; the
    imported admin is given its rotation."""
    stack = app().node.find_child(stack_id)
    assert isinstance(stack, cdk.Stack)
    found = cdk.assertions.Annotations.from_stack(stack).find_warning(
        "*", cdk.assertions.Match.string_like_regexp("ddsecrets-constructs")
    )
    assert [f"{w.id}: {w.entry.data}" for w in found] == []


def test_seed_example_is_the_articles_setup() -> None:
    t = template("DatadogSeedStack")
    secrets = by_type(t, "AWS::SecretsManager::Secret")
    assert sorted(s["Properties"]["Type"] for s in secrets.values()) == [
        "DatadogAdminKey",
        "DatadogApiKey",
        "DatadogApplicationKey",
    ]
    (key_id,) = by_type(t, "AWS::KMS::Key")
    assert all(s["Properties"]["KmsKeyId"] == {"Fn::GetAtt": [key_id, "Arn"]} for s in secrets.values())
    assert len(by_type(t, "AWS::IAM::Role")) == 2  # the admin's own, and one shared by the two keys
    rules = sorted(
        s["Properties"]["RotationRules"]["ScheduleExpression"]
        for s in by_type(t, "AWS::SecretsManager::RotationSchedule").values()
    )
    assert rules == ["cron(0 2 15 * ? *)", "cron(0 6 1 * ? *)", "cron(0 6 1 * ? *)"]


def test_team_example_agent_reads_only_its_api_key_field() -> None:
    t = template("DatadogTeamStack")
    secrets = by_type(t, "AWS::SecretsManager::Secret")
    names = {k: s["Properties"]["Name"] for k, s in secrets.items()}
    assert sorted(names.values()) == [
        "datadog/sre/admin",
        "datadog/sre/api-keys/agent",
        "datadog/sre/api-keys/ci",
        "datadog/sre/application-keys/ci",
        "datadog/sre/application-keys/dashboards",
    ]
    agent_secret = next(k for k, n in names.items() if n == "datadog/sre/api-keys/agent")
    (task,) = by_type(t, "AWS::ECS::TaskDefinition").values()
    (container,) = task["Properties"]["ContainerDefinitions"]
    assert container["Secrets"] == [
        {"Name": "DD_API_KEY", "ValueFrom": {"Fn::Join": ["", [{"Ref": agent_secret}, ":apiKey::"]]}}
    ]
    execution_role = task["Properties"]["ExecutionRoleArn"]["Fn::GetAtt"][0]
    (policy,) = [
        p for p in by_type(t, "AWS::IAM::Policy").values() if {"Ref": execution_role} in p["Properties"]["Roles"]
    ]
    reads = [s for s in statements(policy) if any(a.startswith("secretsmanager:") for a in s["Action"])]
    (read,) = reads
    assert sorted(read["Action"]) == ["secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue"]
    assert (read["Effect"], read["Resource"]) == ("Allow", {"Ref": agent_secret})
    (rule,) = by_type(t, "AWS::Events::Rule").values()
    assert rule["Properties"]["EventPattern"]["detail"]["eventName"] == ["RotationFailed", "RotationAbandoned"]
    assert len(by_type(t, "AWS::SNS::Topic")) == 1
    schedules = [s["Properties"]["RotationRules"] for s in by_type(t, "AWS::SecretsManager::RotationSchedule").values()]
    assert {r["ScheduleExpression"] for r in schedules} == {"cron(0 3 ? * 1#1 *)", "cron(0 9 ? * 3#2 *)"}


def test_imported_admin_example_names_the_admin_by_its_arn_parameter() -> None:
    t = template("DatadogImportedAdminStack")
    types = sorted(s["Properties"]["Type"] for s in by_type(t, "AWS::SecretsManager::Secret").values())
    assert types == ["DatadogApiKey", "DatadogApplicationKey"]  # the admin is not created here
    for schedule in by_type(t, "AWS::SecretsManager::RotationSchedule").values():
        assert schedule["Properties"]["ExternalSecretRotationMetadata"] == [
            {"Key": "adminSecretArn", "Value": {"Ref": "DatadogAdminArn"}}
        ]
    assert t["Parameters"]["DatadogAdminArn"]["AllowedPattern"].endswith("-[A-Za-z0-9]{6}$")


# --- consumer stacks: keys read from another stack ----------------------------------------------


def exported(t: dict[str, Any]) -> dict[str, Any]:
    """Export name -> the value a stack exports under it."""
    return {o["Export"]["Name"]: o["Value"] for o in t.get("Outputs", {}).values() if "Export" in o}


def test_the_app_has_the_consumer_stack_docs_consumers_md_describes() -> None:
    """The consumer tests are parametrized over CONSUMER_STACKS: an empty map would skip them all."""
    assert CONSUMER_STACKS == {"DatadogAgentStack": "DatadogSearchKeysStack"}
    assert "DatadogAgentStack" in ALL_STACKS


@pytest.mark.parametrize("stack_id", CONSUMER_STACKS)
def test_consumer_example_has_no_key_parameter_and_no_rotation(stack_id: str) -> None:
    t = template(stack_id)
    assert [name for name, p in t.get("Parameters", {}).items() if "Default" not in p] == []
    assert by_type(t, "AWS::SecretsManager::Secret") == {}
    assert by_type(t, "AWS::SecretsManager::RotationSchedule") == {}
    assert not KEY_SHAPES.search(json.dumps(t))


@pytest.mark.parametrize(("consumer", "keys"), CONSUMER_STACKS.items())
def test_consumer_example_imports_only_from_its_keys_stack(consumer: str, keys: str) -> None:
    found = imports(template(consumer))
    assert found
    assert found <= set(exported(template(keys)))


@pytest.mark.parametrize(("consumer", "keys"), CONSUMER_STACKS.items())
def test_consumer_example_decrypts_with_the_keys_stacks_key_through_its_own_policies(consumer: str, keys: str) -> None:
    """Each consumer policy reads one secret of the keys stack and names, in the consumer's stack,
    the KMS key that encrypts that secret (imported from the keys stack), for that secret only and
    through Secrets Manager only; nothing else but writing the stack's own log group."""
    t, k = template(consumer), template(keys)
    exports, secrets = exported(k), by_type(k, "AWS::SecretsManager::Secret")
    assert by_type(t, "AWS::IAM::ManagedPolicy") == {}
    for role_id, role in by_type(t, "AWS::IAM::Role").items():
        assert set(role["Properties"]) == {"AssumeRolePolicyDocument"}, role_id  # no inline or managed policy
    log_groups = [{"Fn::GetAtt": [log_group, "Arn"]} for log_group in by_type(t, "AWS::Logs::LogGroup")]
    project_logs = sorted(map(json.dumps, codebuild_log_group_arns(t)))
    granted = []
    for policy_id, policy in by_type(t, "AWS::IAM::Policy").items():
        (read,) = [s for s in statements(policy) if "secretsmanager:GetSecretValue" in as_list(s["Action"])]
        (decrypt,) = [s for s in statements(policy) if "kms:Decrypt" in as_list(s["Action"])]
        assert sorted(as_list(read["Action"])) == ["secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue"]
        assert as_list(decrypt["Action"]) == ["kms:Decrypt"], policy_id
        for other in statements(policy):
            if other is read or other is decrypt:
                continue
            if other["Resource"] in log_groups:  # the Agent's log stream
                assert sorted(as_list(other["Action"])) == ["logs:CreateLogStream", "logs:PutLogEvents"], policy_id
            else:  # CodeBuild's grant for the CI project's own log group, nothing else
                assert sorted(as_list(other["Action"])) == [
                    "logs:CreateLogGroup",
                    "logs:CreateLogStream",
                    "logs:PutLogEvents",
                ], policy_id
                assert sorted(map(json.dumps, as_list(other["Resource"]))) == project_logs, policy_id
        assert all(s["Effect"] == "Allow" for s in statements(policy))
        (secret_id,) = exports[read["Resource"]["Fn::ImportValue"]].values()
        assert secret_id in secrets, policy_id
        assert secrets[secret_id]["Properties"]["Type"] != "DatadogAdminKey", policy_id
        assert exports[decrypt["Resource"]["Fn::ImportValue"]] == secrets[secret_id]["Properties"]["KmsKeyId"]
        assert decrypt["Condition"] == {
            "StringEquals": {
                "kms:ViaService": {"Fn::Join": ["", ["secretsmanager.", {"Ref": "AWS::Region"}, ".amazonaws.com"]]},
                "kms:EncryptionContext:SecretARN": read["Resource"],
            }
        }
        granted.append(secrets[secret_id]["Properties"]["Type"])
    assert sorted(granted) == ["DatadogApiKey", "DatadogApplicationKey"]  # the Agent's and the CI role's


def the_project_arn(name: str) -> dict[str, Any]:
    """The ARN of the CodeBuild project ``name`` of the stack's account and region, as CDK writes it."""
    return {
        "Fn::Join": [
            "",
            [
                "arn:",
                {"Ref": "AWS::Partition"},
                ":codebuild:",
                {"Ref": "AWS::Region"},
                ":",
                {"Ref": "AWS::AccountId"},
                f":project/{name}",
            ],
        ]
    }


def codebuild_log_group_arns(t: dict[str, Any]) -> list[dict[str, Any]]:
    """The log group CodeBuild writes each project's logs to (/aws/codebuild/<project name>), and its streams."""
    arns = []
    for project_id in by_type(t, "AWS::CodeBuild::Project"):
        group = [
            "arn:",
            {"Ref": "AWS::Partition"},
            ":logs:",
            {"Ref": "AWS::Region"},
            ":",
            {"Ref": "AWS::AccountId"},
            ":log-group:/aws/codebuild/",
            {"Ref": project_id},
        ]
        arns += [{"Fn::Join": ["", [*group, ":*"]]}, {"Fn::Join": ["", group]}]
    return arns


@pytest.mark.parametrize("stack_id", CONSUMER_STACKS)
def test_consumer_example_roles_are_trusted_by_one_service_and_the_ci_role_by_one_project(stack_id: str) -> None:
    """A role that may read a key is trusted by exactly one service; the CI role by one CodeBuild
    project of this account (CodeBuild's confused-deputy conditions), not by every project that
    someone allowed to pass the role could start. ECS offers no per-task-definition condition: the
    execution roles are trusted by the service (docs/consumers.md says so)."""
    t = template(stack_id)
    trusts = {}
    for role_id, role in by_type(t, "AWS::IAM::Role").items():
        (trust,) = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
        assert trust["Action"] == "sts:AssumeRole", role_id
        trusts[role_id] = (trust["Principal"], trust.get("Condition"))
    ci = {r: c for r, (p, c) in trusts.items() if p == {"Service": "codebuild.amazonaws.com"}}
    (ci_role,) = ci
    # The trusted project is the one this stack creates, run with this role: the deploy claims its
    # name (CloudFormation fails if a project of that name exists), so no one else's project has it.
    (project,) = by_type(t, "AWS::CodeBuild::Project").values()
    name = project["Properties"]["Name"]
    assert name == CI_PROJECT
    assert project["Properties"]["ServiceRole"] == {"Fn::GetAtt": [ci_role, "Arn"]}
    assert ci == {
        ci_role: {
            "StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}},
            "ArnEquals": {"aws:SourceArn": the_project_arn(name)},
        }
    }
    # No source repository (no credentials to leak); no artifacts, no cache.
    assert project["Properties"]["Source"]["Type"] == "NO_SOURCE"
    assert (project["Properties"]["Artifacts"], project["Properties"]["Cache"]) == (
        {"Type": "NO_ARTIFACTS"},
        {"Type": "NO_CACHE"},
    )
    assert by_type(t, "AWS::CodeBuild::SourceCredential") == {}
    others = {p["Service"] for p, c in trusts.values() if p != {"Service": "codebuild.amazonaws.com"}}
    assert others == {"ecs-tasks.amazonaws.com"}
    consumers_doc = " ".join((ROOT / "docs" / "consumers.md").read_text().split())
    assert f"`aws:SourceArn` = the project `{CI_PROJECT}` of this account" in consumers_doc


@pytest.mark.parametrize(("consumer", "keys"), CONSUMER_STACKS.items())
def test_consumer_example_ci_project_reads_the_app_key_field_of_the_secret_its_role_may_read(
    consumer: str, keys: str
) -> None:
    """The build spec's ``env.secrets-manager`` names the ``appKey`` field of the one secret the
    project's role may read (an application key of the keys stack): CodeBuild reads it with that
    role at build start, and the reference adds no grant of its own."""
    t, k = template(consumer), template(keys)
    (project,) = by_type(t, "AWS::CodeBuild::Project").values()
    role_id = project["Properties"]["ServiceRole"]["Fn::GetAtt"][0]
    (policy,) = [p for p in by_type(t, "AWS::IAM::Policy").values() if {"Ref": role_id} in p["Properties"]["Roles"]]
    (read,) = [s for s in statements(policy) if "secretsmanager:GetSecretValue" in as_list(s["Action"])]
    (secret_id,) = exported(k)[read["Resource"]["Fn::ImportValue"]].values()
    assert by_type(k, "AWS::SecretsManager::Secret")[secret_id]["Properties"]["Type"] == "DatadogApplicationKey"
    parts = project["Properties"]["Source"]["BuildSpec"]["Fn::Join"][1]
    assert [p for p in parts if not isinstance(p, str)] == [read["Resource"]]
    spec = json.loads("".join(p if isinstance(p, str) else "<ci secret>" for p in parts))
    assert spec["env"] == {
        "secrets-manager": {"DD_APP_KEY": "<ci secret>:appKey"},
        "variables": {"DD_SITE": site_of_keys(consumer)},  # the key is valid on its own site only
    }
    assert "DD_APP_KEY" not in json.dumps(project["Properties"]["Environment"])  # not a plain-text variable


def site_of_keys(stack_id: str) -> str:
    """The Datadog site of the keys a stack uses: its families' admins' (a consumer stack's keys stack's)."""
    from ddsecrets_constructs import DatadogManagedSecrets

    keys_stack = app().node.find_child(CONSUMER_STACKS.get(stack_id, stack_id))
    (site,) = {c.admin.site for c in keys_stack.node.find_all() if isinstance(c, DatadogManagedSecrets)}
    assert site is not None
    return site.value


@pytest.mark.parametrize("stack_id", ALL_STACKS)
def test_every_example_agent_is_told_the_site_of_its_keys(stack_id: str) -> None:
    """A key is valid on its own site only: an Agent not told DD_SITE sends to datadoghq.com."""
    agents = [
        container
        for task in by_type(template(stack_id), "AWS::ECS::TaskDefinition").values()
        for container in task["Properties"]["ContainerDefinitions"]
        if "datadog/agent" in container["Image"]
    ]
    for agent in agents:
        assert {"Name": "DD_SITE", "Value": site_of_keys(stack_id)} in agent["Environment"]
    if stack_id in ("DatadogTeamStack", "DatadogAgentStack"):
        assert len(agents) == 1


@cache
def keys_stack_alone(stack_id: str) -> dict[str, Any]:
    """A team keys stack synthesized in an app without any consumer stack."""
    app = cdk.App(context=app_context())
    security = SecurityStack(app, SECURITY_STACK)
    stack = TeamKeysStack(app, stack_id, admin=security.admin, team=TEAM_STACKS[stack_id])
    return dict(cdk.assertions.Template.from_stack(stack).to_json())


@pytest.mark.parametrize(("consumer", "keys"), CONSUMER_STACKS.items())
def test_a_consumer_adds_only_exports_to_its_keys_stack(consumer: str, keys: str) -> None:
    """The keys stack's resources (its KMS key policy included) are the same with and without the
    consumer: the grants live in the consumer's stack; the keys stack only exports the ARNs it reads."""
    alone, shared = keys_stack_alone(keys), template(keys)
    assert {k: v for k, v in shared.items() if k != "Outputs"} == {k: v for k, v in alone.items() if k != "Outputs"}
    added = set(exported(shared)) - set(exported(alone))
    assert added == imports(template(consumer))


@pytest.fixture(scope="module")
def cloud_assembly(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A cloud assembly made by the real CDK CLI (``make synth``'s command) in a fresh folder."""
    out = tmp_path_factory.mktemp("cdk.out")
    cli = ROOT / "node_modules" / ".bin" / "cdk"
    if not cli.exists():
        pytest.fail("the CDK CLI is not installed: run `make node` (make test does)")
    env = {
        **os.environ,
        "CDK_DISABLE_CLI_TELEMETRY": "true",
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
    }
    result = subprocess.run(
        [str(cli), "synth", "--no-notices", "--quiet", "-o", str(out)],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    CLI_OUTPUT[out] = result.stdout + result.stderr
    return out


CLI_OUTPUT: dict[Path, str] = {}
"""What `cdk synth` printed, per cloud assembly."""


def test_cli_synth_reports_no_unconfigured_feature_flag(cloud_assembly: Path) -> None:
    """cdk.json sets every feature flag the pinned CLI knows (the README says so): the CLI's
    "N feature flags are not configured" line would name a flag whose default we did not choose."""
    output = CLI_OUTPUT[cloud_assembly]
    assert "Successfully synthesized" in output
    assert "feature flag" not in output, output


def assembly_text(folder: Path) -> str:
    return "\n".join(
        p.read_text() for p in sorted(folder.rglob("*")) if p.is_file() and p.suffix in (".json", ".yaml", ".txt")
    )


def test_cli_writes_one_template_per_example(cloud_assembly: Path) -> None:
    assert sorted(p.name for p in cloud_assembly.glob("*.template.json")) == sorted(
        f"{s}.template.json" for s in ALL_STACKS
    )
    assert (cloud_assembly / "tree.json").exists()
    assert (cloud_assembly / "manifest.json").exists()


def test_cloud_assembly_holds_nothing_shaped_like_a_datadog_key(cloud_assembly: Path) -> None:
    assert KEY_SHAPES.findall(assembly_text(cloud_assembly)) == []


def test_key_scan_finds_a_planted_key(cloud_assembly: Path, tmp_path: Path) -> None:
    """The scan above must be able to fail."""
    planted = tmp_path / "planted"
    shutil.copytree(cloud_assembly, planted)
    tree = planted / "tree.json"
    tree.write_text(tree.read_text().replace('"version"', '"ddapp_' + "a1B2" * 8 + 'Zz", "version"', 1))
    template_file = next(planted.glob("*.template.json"))
    template_file.write_text(template_file.read_text() + "\n" + "0123456789abcdef" * 2)
    assert len(KEY_SHAPES.findall(assembly_text(planted))) == 2


def test_app_synth_fails_on_a_nag_violation() -> None:
    """The packs registered by build_app gate synthesis: an unrotated plain secret fails it."""
    gated = build_app(cdk.App(context=app_context()))
    extra = cdk.Stack(gated, "ViolatingStack")
    cdk.aws_secretsmanager.Secret(extra, "Unrotated")
    with pytest.raises(RuntimeError, match="ValidationFailed"):  # jsii surfaces CDK's error so
        gated.synth()
