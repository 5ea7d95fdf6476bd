"""The e2e run: the README's commands against the emulator, in three phases.

Each phase reads back everything the tests assert right after it ran, so the tests only look at
recorded data and can run in any order: ``deploy`` (make synth, bootstrap, every example stack),
``update`` (re-seed one key; deploy with nothing changed), ``destroy`` (every stack).
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from e2e import readback, readme_steps
from e2e.parameters import ValueMaker, values_for
from e2e.readme_steps import ROOT, Command, DeploySteps
from e2e.stackrun import StackRun, capture
from examples.agent_stack import CI_PROJECT

COMMAND_TIMEOUT_S = 600
ADMIN_TYPE = "DatadogAdminKey"


@dataclass
class Runner:
    """Runs shell commands as an operator would, against the emulator."""

    endpoint_url: str
    workdir: Path
    steps: DeploySteps
    timings: dict[str, float] = field(default_factory=dict)
    transcript: list[str] = field(default_factory=list)

    @property
    def account(self) -> str:
        return self.steps.account_and_region[0]

    @property
    def region(self) -> str:
        return self.steps.account_and_region[1]

    @property
    def aws(self) -> readback.Aws:
        # With a 12-digit access key id, LocalStack uses it as the account id: the README's
        # aws://111122223333/eu-west-1 then runs as written.
        return readback.Aws(self.endpoint_url, self.region, self.account)

    def environment(self) -> dict[str, str]:
        home = self.workdir / "home"
        home.mkdir(parents=True, exist_ok=True)
        # Nobody is at a terminal to approve IAM changes; an operator's ~/.cdk.json can say the same.
        (home / ".cdk.json").write_text(json.dumps({"requireApproval": "never"}))
        (self.workdir / "tmp").mkdir(parents=True, exist_ok=True)
        inherited = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "CDK_"))}
        return {
            **inherited,
            "HOME": str(home),
            "TMPDIR": str(self.workdir / "tmp"),
            "CDK_HOME": str(self.workdir / "cdk-home"),
            "CDK_DISABLE_CLI_TELEMETRY": "true",
            "AWS_ENDPOINT_URL": self.endpoint_url,
            "AWS_ACCESS_KEY_ID": self.account,
            "AWS_SECRET_ACCESS_KEY": "test",
            "AWS_REGION": self.region,
            "AWS_DEFAULT_REGION": self.region,
            "AWS_CONFIG_FILE": "/dev/null",
            "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
            "AWS_EC2_METADATA_DISABLED": "true",
        }

    def run(self, label: str, command: str, stdin: str = "", check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run one command with bash in the repository, as the README shows it."""
        started = time.monotonic()
        result = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", command],
            cwd=ROOT,
            env=self.environment(),
            input=stdin,
            capture_output=True,
            text=True,
            timeout=COMMAND_TIMEOUT_S,
            check=False,
        )
        self.timings[label] = round(time.monotonic() - started, 1)
        self.transcript.append(f"$ {command}\n{result.stdout[-3000:]}{result.stderr[-3000:]}")
        if check and result.returncode != 0:
            raise AssertionError(f"{label} failed ({result.returncode}): {command}\n{result.stdout}\n{result.stderr}")
        return result


@dataclass
class Deployment:
    stacks: dict[str, StackRun]  # in deploy order; the README's stack first
    exports: dict[str, str]
    imports: dict[str, list[str]]
    probes: dict[str, Any]  # what the emulator serves and models, measured on the deployed stacks


def templates() -> dict[str, dict[str, Any]]:
    """Every stack of the cloud assembly `make synth` wrote, each after the stacks it depends on
    (a team stack imports the security stack's admin), otherwise in manifest order."""
    manifest = json.loads((ROOT / "cdk.out" / "manifest.json").read_text())
    stacks = {n: a for n, a in manifest["artifacts"].items() if a["type"] == "aws:cloudformation:stack"}
    graph = {name: [d for d in artifact.get("dependencies", []) if d in stacks] for name, artifact in stacks.items()}
    ordered: list[str] = []
    while len(ordered) < len(graph):
        ready = [n for n, deps in graph.items() if n not in ordered and all(d in ordered for d in deps)]
        assert ready, f"a dependency cycle between stacks: {graph}"
        ordered.append(ready[0])
    return {
        name: json.loads((ROOT / "cdk.out" / stacks[name]["properties"]["templateFile"]).read_text())
        for name in ordered
    }


def admin_arns(stacks: dict[str, StackRun]) -> list[str]:
    return [
        run.physical_ids[k]
        for run in stacks.values()
        for k, _ in run.of_type("AWS::SecretsManager::Secret").items()
        if run.template["Resources"][k]["Properties"].get("Type") == ADMIN_TYPE
    ]


def keys_read_by(command: Command, values: dict[str, str]) -> str:
    """Standard input for the ``read -rs`` lines before ``command``: each variable's parameter value."""
    by_variable = {p.variable: p.name for p in command.parameters if p.variable}
    return "".join(values[by_variable[v]] + "\n" for v in command.reads)


def deploy(runner: Runner, maker: ValueMaker) -> Deployment:
    steps = runner.steps
    runner.run("make synth", steps.synth.text)
    synthesized = templates()
    first = steps.first_deploy.stack
    assert first in synthesized, f"the README deploys {first}, which the app does not have"
    runner.run("cdk bootstrap", steps.bootstrap.text)

    stacks: dict[str, StackRun] = {}
    exports: dict[str, str] = {}
    # The README's stack first (it has no dependency), then the others in dependency order: a
    # consumer stack after the keys stack it imports from. A stack the README deploys itself is
    # deployed with the README's command; the others with the first one's, given their parameters.
    for name in [first, *[s for s in synthesized if s != first]]:
        template = synthesized[name]
        values = values_for(template, maker, admin_arns(stacks))
        command = steps.documented_deploy(name)
        if command is not None:
            runner.run(
                f"cdk deploy {name}", command.script(command.with_values(values)), stdin=keys_read_by(command, values)
            )
        else:
            runner.run(f"cdk deploy {name}", steps.deploy_command(name, values))
        stacks[name] = capture(runner.aws, name, template, values, runner.account, exports)
        exports = _exports(runner.aws, {run.described["StackId"] for run in stacks.values()})
    return Deployment(stacks, exports, _imports(runner.aws, exports), _probes(runner, stacks))


def _exports(aws: readback.Aws, stack_ids: set[str]) -> dict[str, str]:
    """The exports of the example stacks (the bootstrap stack has its own)."""
    cfn = aws.client("cloudformation")
    return {
        e["Name"]: e["Value"]
        for page in cfn.get_paginator("list_exports").paginate()
        for e in page["Exports"]
        if e["ExportingStackId"] in stack_ids
    }


def _imports(aws: readback.Aws, exports: dict[str, str]) -> dict[str, list[str]]:
    cfn = aws.client("cloudformation")
    found = {}
    for name in exports:
        try:
            found[name] = sorted(cfn.list_imports(ExportName=name)["Imports"])
        except ClientError:
            found[name] = []
    return found


# --- what the emulator serves and models -------------------------------------------------------

NOT_EMULATED = "not included in your current license plan or has not yet been emulated"


def _call(function: Any, **kwargs: Any) -> str:
    """ "served" or the error the emulator answered with."""
    try:
        function(**kwargs)
        return "served"
    except ClientError as error:
        return str(error)


def _probes(runner: Runner, stacks: dict[str, StackRun]) -> dict[str, Any]:
    aws = runner.aws
    cfn, sm, trail, events = (aws.client(s) for s in ("cloudformation", "secretsmanager", "cloudtrail", "events"))
    run = next(iter(stacks.values()))
    (admin_arn, *_) = admin_arns({run.name: run})
    policy = {"Statement": [{"Effect": "Allow", "Action": "Update:*", "Principal": "*", "Resource": "*"}]}
    served = {
        "cloudformation:GetTemplate": _call(cfn.get_template, StackName=run.name),
        "cloudformation:DescribeStacks": _call(cfn.describe_stacks, StackName=run.name),
        "cloudformation:SetStackPolicy": _call(
            cfn.set_stack_policy, StackName=run.name, StackPolicyBody=json.dumps(policy)
        ),
        "cloudformation:GetStackPolicy": _call(cfn.get_stack_policy, StackName=run.name),
        "secretsmanager:DescribeSecret": _call(sm.describe_secret, SecretId=admin_arn),
        "secretsmanager:ListSecretVersionIds": _call(sm.list_secret_version_ids, SecretId=admin_arn),
        "cloudtrail:LookupEvents": _call(
            trail.lookup_events,
            LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "RotationFailed"}],
            MaxResults=10,
        ),
    }
    described = {
        arn: sm.describe_secret(SecretId=arn)
        for run in stacks.values()
        for arn in (run.physical_ids[k] for k in run.of_type("AWS::SecretsManager::Secret"))
    }
    return {
        "served": served,
        "describe_secret_fields": sorted({k for d in described.values() for k in d if k != "ResponseMetadata"}),
        "allowed_pattern_enforced": _allowed_pattern_enforced(cfn),
        "task_definitions": {
            run.name: [run.physical_ids[k] for k in run.of_type("AWS::ECS::TaskDefinition")] for run in stacks.values()
        },
        "codebuild_projects": {
            run.name: [run.physical_ids[k] for k in run.of_type("AWS::CodeBuild::Project")] for run in stacks.values()
        },
        # Every KMS key policy once every stack is deployed (a consumer must not have changed one).
        "key_policies": {
            f"{run.name}/{k}": aws.client("kms").get_key_policy(KeyId=run.physical_ids[k], PolicyName="default")[
                "Policy"
            ]
            for run in stacks.values()
            for k in run.of_type("AWS::KMS::Key")
        },
        # Could a deployed task definition (its secrets, its execution role) be read back?
        "ecs:DescribeTaskDefinition": _call(aws.client("ecs").describe_task_definition, taskDefinition="agent"),
        # Could the deployed CI project (its name, its role) be read back?
        "codebuild:BatchGetProjects": _call(aws.client("codebuild").batch_get_projects, names=[CI_PROJECT]),
        "readme_checks": _readme_checks(runner, admin_arn),
        "cli": _cli_runs(runner, run.name),
        "event_matches": _event_matches(events, stacks),
    }


def _cli_runs(runner: Runner, stack: str) -> dict[str, tuple[int, str]]:
    """The ddsecrets subcommands against the deployed stack (the emulator serves some of their calls)."""
    found = {}
    for command in ("guard", "status", "protect"):
        result = runner.run(
            f"ddsecrets {command} {stack}",
            f'PATH="$PWD/.venv/bin:$PATH" python -m ddsecrets_cli {command} --stack {stack} --json --quiet',
            check=False,
        )
        found[command] = (result.returncode, result.stdout + result.stderr)
    return found


def _allowed_pattern_enforced(cfn: Any) -> bool:
    """Does the emulator refuse a parameter value that breaks its AllowedPattern? (AWS does.)"""
    body = {
        "Parameters": {"Key": {"Type": "String", "AllowedPattern": "^[0-9a-f]{32}$"}},
        "Resources": {"Topic": {"Type": "AWS::SNS::Topic"}},
    }
    name = "E2eAllowedPatternProbe"
    try:
        cfn.create_stack(
            StackName=name,
            TemplateBody=json.dumps(body),
            Parameters=[{"ParameterKey": "Key", "ParameterValue": "not-a-key"}],
        )
    except ClientError:
        return True
    cfn.get_waiter("stack_create_complete").wait(StackName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 60})
    cfn.delete_stack(StackName=name)
    cfn.get_waiter("stack_delete_complete").wait(StackName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 60})
    return False


def _readme_checks(runner: Runner, secret_arn: str) -> dict[str, tuple[int, str]]:
    """Section 4 of the README ("Check that rotation works"), run with the deployed admin's ARN."""
    found = {}
    for command in readme_steps.check_commands():
        text = command.text.replace("<secret arn>", secret_arn)
        # awscli comes with the dev venv; the README assumes it on PATH.
        result = runner.run(f"readme: {text[:60]}", f'PATH="$PWD/.venv/bin:$PATH" {text}', check=False)
        found[command.text] = (result.returncode, (result.stdout + result.stderr)[-500:])
    return found


def _event_matches(events: Any, stacks: dict[str, StackRun]) -> dict[str, dict[str, bool] | str]:
    """For each deployed alert rule: does a RotationFailed event of each deployed secret match it?"""
    found: dict[str, dict[str, bool] | str] = {}
    secrets = [run.physical_ids[k] for run in stacks.values() for k in run.of_type("AWS::SecretsManager::Secret")]
    for run in stacks.values():
        for rule_id in run.of_type("AWS::Events::Rule"):
            rule = run.read[rule_id]
            assert rule is not None
            try:
                found[f"{run.name}/{rule_id}"] = {
                    arn: bool(
                        events.test_event_pattern(EventPattern=rule["EventPattern"], Event=json.dumps(_failure(arn)))[
                            "Result"
                        ]
                    )
                    for arn in secrets
                }
            except ClientError as error:
                found[f"{run.name}/{rule_id}"] = str(error)
    return found


def _failure(secret_arn: str) -> dict[str, Any]:
    """A RotationFailed CloudTrail service event, shaped like AWS's public Lambda-rotation samples."""
    account, region = secret_arn.split(":")[4], secret_arn.split(":")[3]
    return {
        "version": "0",
        "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
        "detail-type": "AWS Service Event via CloudTrail",
        "source": "aws.secretsmanager",
        "account": account,
        "time": "2026-11-28T00:00:00Z",
        "region": region,
        "resources": [],
        "detail": {
            "eventSource": "secretsmanager.amazonaws.com",
            "eventName": "RotationFailed",
            "additionalEventData": {"SecretId": secret_arn},
        },
    }


# --- update and destroy ----------------------------------------------------------------------


@dataclass
class Update:
    stack: str
    parameter: str
    reseeded: set[str]  # logical ids CloudFormation updated after the re-seed
    expected: set[str]  # resources whose properties use that parameter
    secrets_before: dict[str, dict[str, Any]]
    secrets_after: dict[str, dict[str, Any]]
    unchanged_deploy_events: list[str]


def _marker(cfn: Any, stack: str) -> str:
    return str(cfn.describe_stack_events(StackName=stack)["StackEvents"][0]["EventId"])


def _events_since(cfn: Any, stack: str, marker: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for page in cfn.get_paginator("describe_stack_events").paginate(StackName=stack):
        for event in page["StackEvents"]:  # newest first
            if event["EventId"] == marker:
                return found
            found.append(event)
    return found


def _secrets(aws: readback.Aws, run: StackRun) -> dict[str, dict[str, Any]]:
    sm = aws.client("secretsmanager")
    found = {}
    for logical_id in run.of_type("AWS::SecretsManager::Secret"):
        arn = run.physical_ids[logical_id]
        described = sm.describe_secret(SecretId=arn)
        found[logical_id] = {
            "versions": described.get("VersionIdsToStages"),
            "value": sm.get_secret_value(SecretId=arn)["SecretString"],
        }
    return found


def update(runner: Runner, deployment: Deployment, maker: ValueMaker) -> Update:
    steps, aws = runner.steps, runner.aws
    cfn = aws.client("cloudformation")
    command = steps.reseed
    stack = command.stack
    assert stack is not None
    run = deployment.stacks[stack]
    (parameter,) = command.parameters
    new_value = maker.for_pattern(run.template["Parameters"][parameter.name]["AllowedPattern"])
    expected = {
        k for k, v in run.template["Resources"].items() if {"Ref": parameter.name} in _values(v.get("Properties", {}))
    }
    before = _secrets(aws, run)
    marker = _marker(cfn, stack)
    runner.run(f"re-seed {stack}:{parameter.name}", command.script(), stdin=new_value + "\n")
    reseeded = {
        e["LogicalResourceId"]
        for e in _events_since(cfn, stack, marker)
        if e["LogicalResourceId"] != stack and e["ResourceStatus"].startswith("UPDATE")
    }
    after = _secrets(aws, run)
    # Nothing changed: --force makes the CLI ask CloudFormation anyway instead of skipping the deploy.
    marker = _marker(cfn, stack)
    head = steps.first_deploy.text.split(" --parameters", 1)[0].rstrip()
    runner.run(f"unchanged deploy {stack}", steps.for_stack(Command(text=head), stack) + " --force")
    unchanged = [
        f"{e['LogicalResourceId']} {e['ResourceStatus']}"
        for e in _events_since(cfn, stack, marker)
        if e["LogicalResourceId"] != stack
    ]
    return Update(stack, parameter.name, reseeded, expected, before, after, unchanged)


def _values(value: Any) -> list[Any]:
    """Every dict and scalar inside a JSON value (to find Refs)."""
    if isinstance(value, dict):
        return [value, *[x for v in value.values() for x in _values(v)]]
    if isinstance(value, list):
        return [x for v in value for x in _values(v)]
    return [value]


@dataclass
class Destroy:
    stacks_left: list[str]
    # (stack, logical id, type) -> does the resource still exist, and does the template retain it
    resources: dict[tuple[str, str, str], tuple[bool, bool]]
    order: list[str]  # the stacks, in the order they were destroyed
    # stack -> the stack events of every other still-deployed stack that its destroy caused
    events_elsewhere: dict[str, list[str]]


def destroy(runner: Runner, deployment: Deployment) -> Destroy:
    aws = runner.aws
    cfn = aws.client("cloudformation")
    steps = runner.steps
    order = list(reversed(deployment.stacks))  # a consumer before the keys stack it imports from
    events_elsewhere = {}
    for position, name in enumerate(order):
        # The README's command (its own for a stack it names, else its first one's); --force
        # answers its "Are you sure?", which needs a terminal.
        command = steps.documented_destroy(name)
        text = command.text if command is not None else steps.for_stack(steps.destroy, name)
        # By stack id, which DescribeStackEvents still answers once that stack is deleted too.
        remaining = {other: deployment.stacks[other].described["StackId"] for other in order[position + 1 :]}
        markers = {other: _marker(cfn, stack_id) for other, stack_id in remaining.items()}
        runner.run(f"cdk destroy {name}", text + " --force")
        events_elsewhere[name] = [
            f"{other}: {e['LogicalResourceId']} {e['ResourceStatus']}"
            for other, marker in markers.items()
            for e in _events_since(cfn, remaining[other], marker)
        ]
    left = [s["StackName"] for s in cfn.list_stacks()["StackSummaries"] if s["StackStatus"] != "DELETE_COMPLETE"]
    resources = {}
    for run in deployment.stacks.values():
        for logical_id, resource in run.template["Resources"].items():
            if resource["Type"] in readback.READERS:
                exists = _exists(aws, run, logical_id)
                resources[(run.name, logical_id, resource["Type"])] = (
                    exists,
                    resource.get("DeletionPolicy") == "Retain",
                )
    return Destroy([s for s in left if s in deployment.stacks], resources, order, events_elsewhere)


# Types with no API of their own live as long as what they are attached to.
ATTACHED_TO = {"AWS::IAM::Policy": "Roles", "AWS::SNS::TopicPolicy": "Topics"}


def _exists(aws: readback.Aws, run: StackRun, logical_id: str) -> bool:
    resource = run.template["Resources"][logical_id]
    parents = ATTACHED_TO.get(resource["Type"])
    if parents is None:
        return readback.read(aws, resource["Type"], run.physical_ids[logical_id]) is not None
    if resource["Type"] == "AWS::IAM::Policy":
        name = run.expected(logical_id)["PolicyName"]
        roles = [
            readback.read(aws, "AWS::IAM::Role", run.physical_ids[r["Ref"]]) for r in resource["Properties"]["Roles"]
        ]
        return any(role is not None and name in role["InlinePolicies"] for role in roles)
    topics = [
        readback.read(aws, "AWS::SNS::Topic", run.physical_ids[t["Ref"]]) for t in resource["Properties"]["Topics"]
    ]
    return any(topic is not None and topic["Policy"] for topic in topics)
