"""``ddsecrets guard``, ``protect`` and ``status`` against AWS peers on 127.0.0.1 (tests/fake_aws.py)
with the real boto3: the seed example's template from cdk.out, deployed with CreateStack."""

from __future__ import annotations

import copy
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto.secretsmanager.models import FakeSecret, secretsmanager_backends

from ddsecrets_cli import status
from ddsecrets_cli.protect import SCHEDULE_ACTIONS, SECRET_ACTIONS
from tests.cli_support import (
    ROOT,
    SHARED_STACK_NAME,
    STAGE_ACCOUNTS,
    STAGE_STACK,
    Run,
    assumed_session,
    example_assembly,
    run_cli,
    stage_assembly,
    template_of,
)
from tests.fake_aws import ACCOUNT, CREDENTIALS, REGION, FakeCloudTrail, MotoServer, deploy, secret_arns, utc
from tests.local_server import LocalServer
from tests.test_cli_preflight import IDS, KEYS

SEED = "DatadogSeedStack"
PARAMETERS = {**IDS, **KEYS}


@pytest.fixture(scope="module")
def peers() -> Iterator[tuple[MotoServer, FakeCloudTrail]]:
    moto, cloudtrail = MotoServer().start(), FakeCloudTrail().start()
    with pytest.MonkeyPatch.context() as patch:
        for name, value in CREDENTIALS.items():
            patch.setenv(name, value)
        patch.setenv("AWS_ENDPOINT_URL", moto.url)
        patch.setenv("AWS_ENDPOINT_URL_CLOUDTRAIL", cloudtrail.url)
        for name in ("AWS_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
            patch.delenv(name, raising=False)
        yield moto, cloudtrail
    cloudtrail.stop()
    moto.stop()


@pytest.fixture(scope="module")
def moto_url(peers: tuple[MotoServer, FakeCloudTrail]) -> str:
    return peers[0].url


@pytest.fixture(scope="module")
def cloudtrail(peers: tuple[MotoServer, FakeCloudTrail]) -> FakeCloudTrail:
    return peers[1]


def deployed(moto_url: str, name: str) -> str:
    """The seed example deployed under ``name`` (a fresh stack per test that changes state)."""
    deploy(moto_url, name, template_of(example_assembly(), SEED), PARAMETERS)
    return name


def assembly_with(tmp_path: Path, stack: str, change: Any) -> Path:
    """A copy of the example cloud assembly whose ``stack`` template is passed through ``change``,
    under the stack name the assembly gives it (a deployed stack of another name reads this one)."""
    out = tmp_path / "cdk.out"
    shutil.copytree(example_assembly(), out)
    manifest = json.loads((out / "manifest.json").read_text())
    manifest["artifacts"][SEED]["properties"]["stackName"] = stack
    (out / "manifest.json").write_text(json.dumps(manifest))
    template = copy.deepcopy(template_of(example_assembly(), SEED))
    change(template)
    (out / f"{SEED}.template.json").write_text(json.dumps(template))
    return out


def guard(stack: str, cdk_out: Path, *extra: str) -> Run:
    return run_cli("guard", "--stack", stack, "--cdk-out", str(cdk_out), "--json", *extra)


def fails(run: Run) -> dict[tuple[str, str], str]:
    return {(c["subject"], c["check"]): c["detail"] for c in run.json["checks"] if c["status"] == "fail"}


def admin_id(template: dict[str, Any]) -> str:
    return next(  # type: ignore[no-any-return]
        k for k, v in template["Resources"].items() if v.get("Properties", {}).get("Type") == "DatadogAdminKey"
    )


# guard


def other_site(template: dict[str, Any]) -> None:
    """The admin's SecretString with another Datadog site: a change guard must refuse."""
    parts = template["Resources"][admin_id(template)]["Properties"]["SecretString"]["Fn::Join"][1]
    parts[-1] = parts[-1].replace("datadoghq.com", "datadoghq.eu")


def test_guard_passes_an_unchanged_template_with_previous_parameters(moto_url: str, tmp_path: Path) -> None:
    stack = deployed(moto_url, "GuardSame")
    run = guard(stack, assembly_with(tmp_path, stack, lambda t: None))
    assert run.code == 0, run.out
    statuses = run.statuses()
    assert statuses["SecretString not written again"] == ["pass"] * 3
    assert statuses["rotation schedule kept"] == ["pass"] * 3


def test_guard_passes_a_stack_that_is_not_deployed_yet(moto_url: str, tmp_path: Path) -> None:
    run = guard("NeverDeployed", assembly_with(tmp_path, "NeverDeployed", lambda t: None))
    assert run.code == 0
    assert run.json["checks"][0]["detail"].startswith("not deployed yet")


def test_guard_fails_when_a_secret_string_expression_changes(moto_url: str, tmp_path: Path) -> None:
    stack = deployed(moto_url, "GuardSite")

    run = guard(stack, assembly_with(tmp_path, stack, other_site))
    assert run.code == 1
    (key,) = fails(run)
    assert key[1] == "SecretString not written again"
    assert "fields site" in fails(run)[key]
    assert f"--allow-reseed {key[0]}" in next(c["fix"] for c in run.json["checks"] if c["status"] == "fail")


def test_guard_fails_when_a_key_parameter_gets_a_new_value_and_allow_reseed_accepts_it(
    moto_url: str, tmp_path: Path
) -> None:
    stack = deployed(moto_url, "GuardReseed")
    cdk_out = assembly_with(tmp_path, stack, lambda t: None)
    run = guard(
        stack, cdk_out, "--parameters", f"{stack}:ApiKey=" + "d3" * 16, "--parameters", f"AppKeyId={IDS['AppKeyId']}"
    )
    assert run.code == 1
    (subject, check), detail = next(iter(fails(run).items()))
    assert check == "SecretString not written again"
    assert "ApiKey" in detail
    assert "d3" * 16 not in run.out
    allowed = guard(stack, cdk_out, "--parameters", "ApiKey=" + "d3" * 16, "--allow-reseed", subject)
    assert allowed.code == 0
    assert [c["status"] for c in allowed.json["checks"] if c["subject"] == subject] == ["warn"]
    # A NoEcho value cannot be compared (CloudFormation shows "****"): even the same key counts as new.
    same = guard(stack, cdk_out, "--parameters", f"ApiKey={KEYS['ApiKey']}")
    assert list(fails(same)) == [(subject, "SecretString not written again")]


def test_guard_fails_when_an_id_parameter_changes_value(moto_url: str, tmp_path: Path) -> None:
    stack = deployed(moto_url, "GuardIds")
    run = guard(
        stack,
        assembly_with(tmp_path, stack, lambda t: None),
        "--parameters",
        f"ServiceAccountId={'0' * 8}-0000-4000-8000-{'0' * 12}",
    )
    assert run.code == 1
    assert len(fails(run)) == 2  # the admin and the application key hold serviceAccountId


def test_guard_fails_when_a_secret_is_renamed_replaced_retyped_or_loses_its_schedule(
    moto_url: str, tmp_path: Path
) -> None:
    stack = deployed(moto_url, "GuardShape")
    template = template_of(example_assembly(), SEED)
    secrets = [k for k, v in template["Resources"].items() if v["Type"] == "AWS::SecretsManager::Secret"]
    api_key = next(k for k in secrets if template["Resources"][k]["Properties"]["Type"] == "DatadogApiKey")
    app_key = next(k for k in secrets if template["Resources"][k]["Properties"]["Type"] == "DatadogApplicationKey")
    schedule_of_admin = next(
        k
        for k, v in template["Resources"].items()
        if v["Type"] == "AWS::SecretsManager::RotationSchedule"
        and v["Properties"]["SecretId"] == {"Ref": admin_id(template)}
    )

    admin = admin_id(template)

    def reshape(t: dict[str, Any]) -> None:
        t["Resources"]["RenamedApiKey"] = t["Resources"].pop(api_key)
        t["Resources"][app_key]["Properties"]["Name"] = "datadog/app-key"
        t["Resources"][admin]["Properties"]["Type"] = "DatadogApiKey"
        del t["Resources"][schedule_of_admin]

    run = guard(stack, assembly_with(tmp_path, stack, reshape))
    assert run.code == 1
    assert {key for key in fails(run)} >= {
        (api_key, "secret kept"),
        (app_key, "secret not replaced"),
        (schedule_of_admin, "rotation schedule kept"),
        (admin, "secret type unchanged"),
    }


# protect


def stack_policy(stack: str) -> dict[str, Any]:
    body = boto3.client("cloudformation", region_name=REGION).get_stack_policy(StackName=stack)["StackPolicyBody"]
    return json.loads(body)  # type: ignore[no-any-return]


def test_protect_denies_modify_replace_delete_on_each_datadog_secret_and_off_lifts_it(moto_url: str) -> None:
    stack = deployed(moto_url, "Protected")
    template = template_of(example_assembly(), SEED)
    secrets = sorted(
        k for k, v in template["Resources"].items() if v.get("Properties", {}).get("Type", "").startswith("Datadog")
    )
    schedules = sorted(
        k for k, v in template["Resources"].items() if v["Type"] == "AWS::SecretsManager::RotationSchedule"
    )
    run = run_cli("protect", "--stack", stack, "--json")
    assert run.code == 0, run.err
    allow, deny_secrets, deny_schedules = stack_policy(stack)["Statement"]
    assert allow == {"Effect": "Allow", "Principal": "*", "Action": "Update:*", "Resource": "*"}
    assert deny_secrets == {
        "Effect": "Deny",
        "Principal": "*",
        "Action": ["Update:Modify", "Update:Replace", "Update:Delete"],
        "Resource": [f"LogicalResourceId/{s}" for s in secrets],
    }
    assert deny_schedules["Action"] == ["Update:Replace", "Update:Delete"] == SCHEDULE_ACTIONS
    assert deny_schedules["Resource"] == [f"LogicalResourceId/{s}" for s in schedules]
    assert deny_secrets["Action"] == SECRET_ACTIONS
    off = run_cli("protect", "--stack", stack, "--off")
    assert off.code == 0
    assert stack_policy(stack) == {"Statement": [allow]}


def test_protect_of_a_missing_stack_is_a_usage_error(moto_url: str) -> None:
    run = run_cli("protect", "--stack", "NoSuchStack")
    assert run.code == 2
    assert "not deployed" in run.err


# status


def test_status_reports_each_secret_and_fails_on_a_failed_or_stuck_rotation(
    moto_url: str, cloudtrail: FakeCloudTrail
) -> None:
    stack = deployed(moto_url, "StatusMixed")
    arns = secret_arns(moto_url, stack)
    template = template_of(example_assembly(), SEED)
    kinds = {template["Resources"][k]["Properties"]["Type"]: k for k in arns}
    admin, app_key, api_key = kinds["DatadogAdminKey"], kinds["DatadogApplicationKey"], kinds["DatadogApiKey"]
    cloudtrail.add("RotationSucceeded", arns[admin], utc("2026-11-15T02:20:00"))
    cloudtrail.add("RotationSucceeded", arns[app_key], utc("2026-11-01T06:10:00"), path="serviceEventDetails")
    message = "Admin key's serviceAccountId (a) must match the Application key's serviceAccountId (b)"
    cloudtrail.add(
        "RotationFailed", arns[app_key], utc("2026-11-20T06:10:00"), path="serviceEventDetails", error=message
    )
    secretsmanager = boto3.client("secretsmanager", region_name=REGION)
    pending = secretsmanager.put_secret_value(SecretId=arns[api_key], SecretString="{}", VersionStages=["AWSPENDING"])

    run = run_cli("status", "--stack", stack, "--json")
    assert run.code == 1
    by_id = {s["logical_id"]: s for s in run.json["secrets"]}
    assert {k: v["verdict"] for k, v in by_id.items()} == {admin: "healthy", app_key: "unhealthy", api_key: "unhealthy"}
    assert by_id[admin]["type"] == "DatadogAdminKey"
    assert by_id[admin]["rotation_enabled"] is True
    assert by_id[admin]["last_success"] == "2026-11-15 02:20 UTC"
    assert by_id[app_key]["last_failure"] == {
        "event": "RotationFailed",
        "time": "2026-11-20 06:10 UTC",
        "error": message,
    }
    assert by_id[api_key]["pending_version"] == pending["VersionId"]
    table = run_cli("status", "--stack", stack, "--quiet")
    assert table.err == ""  # --quiet: no progress line (docs/cli.md)
    assert "runbook.md section 2" in table.out
    assert message in table.out


def test_status_of_healthy_secrets_exits_zero_and_shows_progress(moto_url: str, cloudtrail: FakeCloudTrail) -> None:
    stack = deployed(moto_url, "StatusHealthy")
    arns = secret_arns(moto_url, stack)
    for arn in arns.values():
        cloudtrail.add("RotationFailed", arn, utc("2026-10-01T06:10:00"), error="old failure")
        cloudtrail.add("RotationSucceeded", arn, utc("2026-11-01T06:10:00"))
    run = run_cli("status", "--stack", stack)
    assert run.code == 0, run.out
    assert run.out.count("PASS") == 3
    assert "AWS: cloudtrail LookupEvents" in run.err
    assert "AWS: secretsmanager DescribeSecret" in run.err


def test_status_fails_when_a_secret_has_no_rotation(moto_url: str) -> None:
    template = copy.deepcopy(template_of(example_assembly(), SEED))
    schedule = next(k for k, v in template["Resources"].items() if v["Type"] == "AWS::SecretsManager::RotationSchedule")
    unrotated = template["Resources"].pop(schedule)["Properties"]["SecretId"]["Ref"]
    deploy(moto_url, "StatusOff", template, PARAMETERS)
    run = run_cli("status", "--stack", "StatusOff", "--json")
    assert run.code == 1
    (unhealthy,) = [s for s in run.json["secrets"] if s["verdict"] == "unhealthy"]
    assert unhealthy["logical_id"] == unrotated
    assert unhealthy["problems"] == ["rotation is not enabled"]


def test_cloudtrail_lookup_is_paginated_and_bounded(moto_url: str, cloudtrail: FakeCloudTrail) -> None:
    stack = deployed(moto_url, "StatusPages")
    arns = secret_arns(moto_url, stack)
    target = sorted(arns)[0]
    for minute in range(120):
        cloudtrail.add(
            "RotationSucceeded",
            "arn:aws:secretsmanager:eu-west-1:123456789012:secret:other-AbCdEf",
            utc(f"2026-11-02T{minute // 60:02d}:{minute % 60:02d}:00"),
        )
    cloudtrail.add("RotationFailed", arns[target], utc("2026-11-25T06:10:00"), error="late")
    before = cloudtrail.calls
    run = run_cli("status", "--stack", stack, "--json")
    assert run.code == 1
    assert cloudtrail.calls - before >= 4  # RotationSucceeded needed several pages of 50
    assert [
        s["logical_id"] for s in run.json["secrets"] if s["last_failure"] and s["last_failure"]["error"] == "late"
    ] == [target]


# make deploy


def make_deploy(stack: str, cdk_out: Path, *variables: str) -> subprocess.CompletedProcess[str]:
    """``make deploy`` with the synth step taken as done and ``cdk`` replaced by ``echo``."""
    return subprocess.run(
        ["make", "-o", "synth", "deploy", f"STACK={stack}", f"CDK_OUT={cdk_out}", "CDK=echo would-run cdk", *variables],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"},
    )


def test_make_deploy_runs_guard_first_and_stops_on_a_reseed(moto_url: str, tmp_path: Path) -> None:
    stack = deployed(moto_url, "MakeDeploy")
    cdk_out = assembly_with(tmp_path, stack, lambda t: None)
    ok = make_deploy(stack, cdk_out, f"PARAMS=--parameters {stack}:AppKeyId={IDS['AppKeyId']}")
    assert ok.returncode == 0, ok.stderr
    # --exclusively: the stacks it imports from would otherwise deploy too, unguarded.
    assert (
        f"would-run cdk deploy {stack} --exclusively --app {cdk_out} --no-notices --parameters {stack}:AppKeyId="
        in ok.stdout
    )
    reseed = make_deploy(stack, cdk_out, f"PARAMS=--parameters {stack}:ApiKey={'d3' * 16}")
    assert reseed.returncode != 0
    assert "would-run cdk" not in reseed.stdout
    assert "d3" * 16 not in reseed.stdout + reseed.stderr  # make does not echo the command
    assert "--allow-reseed" in reseed.stdout
    template = template_of(example_assembly(), SEED)
    api_key = next(
        k for k, v in template["Resources"].items() if v.get("Properties", {}).get("Type") == "DatadogApiKey"
    )
    allowed = make_deploy(stack, cdk_out, f"PARAMS=--parameters {stack}:ApiKey={'d3' * 16}", f"ALLOW_RESEED={api_key}")
    assert allowed.returncode == 0, allowed.stdout
    assert "would-run cdk deploy" in allowed.stdout
    # The key reaches cdk (here the stand-in echo prints it) but make prints neither command line.
    output = (allowed.stdout + allowed.stderr).splitlines()
    echoed = [line for line in output if "d3" * 16 in line and not line.startswith("would-run cdk deploy ")]
    assert echoed == []
    assert "python -m ddsecrets_cli guard" not in allowed.stdout + allowed.stderr


def test_status_warns_when_the_next_rotation_date_has_passed(moto_url: str) -> None:
    stack = deployed(moto_url, "StatusOverdue")
    arns = secret_arns(moto_url, stack)
    late = sorted(arns)[0]
    secret = secretsmanager_backends[ACCOUNT][REGION].describe_secret(arns[late])
    assert isinstance(secret, FakeSecret)
    secret.next_rotation_date = int(time.time()) - 3 * 86400  # moto's server runs in this process
    run = run_cli("status", "--stack", stack, "--json")
    assert run.code == 0  # a warning does not fail
    assert {s["logical_id"]: s["verdict"] for s in run.json["secrets"]}[late] == "overdue"
    assert [c["status"] for c in run.json["checks"] if c["subject"] == late] == ["warn"]


def test_cloudtrail_lookup_reads_at_most_the_documented_pages_per_event_name(
    moto_url: str, cloudtrail: FakeCloudTrail
) -> None:
    """docs/cli.md: "at most 10 pages of 50 per name" (the default bound, not a patched one)."""
    documented = re.search(r"at most (\d+) pages of (\d+) per name", flat(ROOT / "docs" / "cli.md"))
    assert documented, "docs/cli.md no longer states the CloudTrail bound"
    pages, size = map(int, documented.groups())
    stack = deployed(moto_url, "StatusDocumentedBound")
    for minute in range((pages + 2) * size):
        cloudtrail.add(
            "RotationAbandoned",
            "arn:aws:secretsmanager:eu-west-1:123456789012:secret:n-AbCdEf",
            utc(f"2026-11-03T{minute // 60:02d}:{minute % 60:02d}:00"),
        )
    before = len(cloudtrail.requests)
    assert run_cli("status", "--stack", stack).code == 0
    abandoned = [
        r for r in cloudtrail.requests[before:] if r["LookupAttributes"][0]["AttributeValue"] == "RotationAbandoned"
    ]
    assert len(abandoned) == pages
    assert {r.get("MaxResults") for r in cloudtrail.requests[before:]} == {size}


def flat(path: Path) -> str:
    return " ".join(path.read_text().split())


def test_cloudtrail_pages_read_are_bounded(
    moto_url: str, cloudtrail: FakeCloudTrail, monkeypatch: pytest.MonkeyPatch
) -> None:
    stack = deployed(moto_url, "StatusBounded")
    for minute in range(60 * 3):
        cloudtrail.add(
            "RotationAbandoned",
            "arn:aws:secretsmanager:eu-west-1:123456789012:secret:n-AbCdEf",
            utc(f"2026-11-03T{minute // 60:02d}:{minute % 60:02d}:00"),
        )
    monkeypatch.setattr(status, "MAX_EVENT_PAGES", 2)
    before = cloudtrail.calls
    assert run_cli("status", "--stack", stack).code == 0
    # RotationAbandoned stops after 2 of its 4 pages; the other two names need one page or two.
    assert cloudtrail.calls - before <= 2 + 2 + 2


# guard, status and AWS errors: what the review of 2026-11-29 found


def test_guard_by_construct_path_reads_the_stack_of_its_cloudformation_name(moto_url: str, tmp_path: Path) -> None:
    """``make deploy STACK=<construct path>`` (what ``cdk deploy`` selects by) must guard the stack AWS
    knows by its CloudFormation name, not report "not deployed yet"."""
    stack = deployed(moto_url, "prod-datadog-seed")

    cdk_out = assembly_with(tmp_path, stack, other_site)
    assert json.loads((cdk_out / "manifest.json").read_text())["artifacts"][SEED]["displayName"] == SEED
    run = guard(SEED, cdk_out)
    assert run.code == 1, run.out
    assert (admin_id(template_of(example_assembly(), SEED)), "SecretString not written again") in fails(run)


def test_guard_fails_when_a_secret_or_its_schedule_gets_a_condition(moto_url: str, tmp_path: Path) -> None:
    stack = deployed(moto_url, "GuardCondition")
    template = template_of(example_assembly(), SEED)
    admin = admin_id(template)
    schedule = next(
        k
        for k, v in template["Resources"].items()
        if v["Type"] == "AWS::SecretsManager::RotationSchedule" and v["Properties"]["SecretId"] == {"Ref": admin}
    )

    def conditional(t: dict[str, Any]) -> None:
        t.setdefault("Conditions", {})["Never"] = {"Fn::Equals": ["a", "b"]}
        t["Resources"][admin]["Condition"] = "Never"
        t["Resources"][schedule]["Condition"] = "Never"

    run = guard(stack, assembly_with(tmp_path, stack, conditional))
    assert run.code == 1
    found = fails(run)
    assert {(admin, "no new condition"), (schedule, "no new condition")} <= set(found)
    assert "CloudFormation deletes the resource" in found[(admin, "no new condition")]
    allowed = guard(stack, assembly_with(tmp_path / "again", stack, conditional), "--allow-reseed", admin)
    assert (admin, "no new condition") not in fails(allowed)


def test_guard_fails_when_a_kept_condition_changes_or_reads_a_parameter_the_deploy_passes(
    moto_url: str, tmp_path: Path
) -> None:
    """The same condition name is not enough: its definition, or a new value of a parameter it reads,
    can make it false."""
    template = template_of(example_assembly(), SEED)
    admin = admin_id(template)
    reads_id = {"Fn::Not": [{"Fn::Equals": [{"Ref": "ApiKeyId"}, "none"]}]}

    def conditional(definition: Any) -> Any:
        def change(t: dict[str, Any]) -> None:
            t.setdefault("Conditions", {})["Keep"] = {"Fn::And": [{"Condition": "Inner"}, {"Fn::Equals": ["x", "x"]}]}
            t["Conditions"]["Inner"] = definition
            t["Resources"][admin]["Condition"] = "Keep"

        return change

    deployed_template = copy.deepcopy(template)
    conditional(reads_id)(deployed_template)
    stack = "GuardKeptCondition"
    deploy(moto_url, stack, deployed_template, PARAMETERS)
    same = guard(stack, assembly_with(tmp_path / "same", stack, conditional(reads_id)))
    assert (admin, "no new condition") not in fails(same), same.out
    changed = guard(stack, assembly_with(tmp_path / "changed", stack, conditional({"Fn::Equals": ["a", "b"]})))
    found = fails(changed)[(admin, "no new condition")]
    assert "the definition of the admin secret's Condition 'Keep' changes" in found
    same_value = guard(
        stack,
        assembly_with(tmp_path / "same_value", stack, conditional(reads_id)),
        "--parameters",
        f"{stack}:ApiKeyId={IDS['ApiKeyId']}",
    )
    assert (admin, "no new condition") not in fails(same_value)  # the value it has: nothing changes
    new_value = guard(
        stack,
        assembly_with(tmp_path / "value", stack, conditional(reads_id)),
        "--parameters",
        f"{stack}:ApiKeyId={IDS['ApiKeyId'][:-1]}0",
    )
    assert (
        "passes a new value for ApiKeyId, which the admin secret's Condition 'Keep' reads"
        in fails(new_value)[(admin, "no new condition")]
    )


def test_status_reports_a_secret_deleted_by_hand_as_missing_and_goes_on(moto_url: str) -> None:
    stack = deployed(moto_url, "StatusDeletedByHand")
    arns = secret_arns(moto_url, stack)
    scheduled, gone = sorted(arns)[:2]
    client = boto3.client("secretsmanager", region_name=REGION, endpoint_url=moto_url)
    client.delete_secret(SecretId=arns[scheduled], RecoveryWindowInDays=7)
    client.delete_secret(SecretId=arns[gone], ForceDeleteWithoutRecovery=True)
    run = run_cli("status", "--stack", stack, "--json")
    assert run.code == 1
    verdicts = {s["logical_id"]: s["verdict"] for s in run.json["secrets"]}
    assert verdicts[scheduled] == verdicts[gone] == "missing"
    assert len(verdicts) == 3  # the third secret is still reported
    details = {c["subject"]: c["detail"] for c in run.json["checks"]}
    assert "scheduled for deletion" in details[scheduled]
    assert "restore-secret" in details[scheduled]
    assert "does not know it" in details[gone]


class _RefusingAws(BaseHTTPRequestHandler):
    """Answers every AWS call with 403 AccessDenied (query protocol XML, as CloudFormation does)."""

    def log_message(self, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        body = (
            b"<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>User: "
            b"arn:aws:iam::123456789012:user/ci is not authorized to perform: cloudformation:GetTemplate"
            b"</Message></Error><RequestId>1</RequestId></ErrorResponse>"
        )
        self.send_response(403)
        self.send_header("Content-Type", "text/xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.mark.parametrize("command", ["guard", "protect", "status"])
def test_an_aws_call_refused_is_exit_2_naming_the_call_and_the_reason(
    command: str, peers: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    refusing = LocalServer(_RefusingAws).start()
    try:
        monkeypatch.setenv("AWS_ENDPOINT_URL", refusing.url)
        extra = ["--cdk-out", str(example_assembly())] if command == "guard" else []
        run = run_cli(command, "--stack", SEED, "--json", *extra)
    finally:
        refusing.stop()
    assert run.code == 2
    refused = "AWS cloudformation GetTemplate: AccessDenied: User: arn:aws:iam::123456789012:user/ci"
    assert refused in run.err
    # --json: a report on stdout too, saying why the command could not run
    assert run.json["ok"] is False
    assert run.json["checks"] == []
    assert refused in run.json["error"]
    assert (run.json["command"], run.json["stack"]) == (command, SEED)


def test_guard_asks_aws_in_the_region_cdk_out_deploys_the_stack_to(
    moto_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A stack of eu-west-1 guarded from a shell set to us-east-1: asked there, it would be "not
    deployed yet" and pass."""
    stack = deployed(moto_url, "GuardRegion")

    cdk_out = assembly_with(tmp_path, stack, other_site)
    manifest = json.loads((cdk_out / "manifest.json").read_text())
    manifest["artifacts"][SEED]["environment"] = f"aws://{ACCOUNT}/{REGION}"
    (cdk_out / "manifest.json").write_text(json.dumps(manifest))
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    run = guard(stack, cdk_out)
    assert run.code == 1, run.out
    assert (admin_id(template_of(example_assembly(), SEED)), "SecretString not written again") in fails(run)
    assert f"cloudformation GetTemplate {stack}" in run.err


def test_a_construct_path_that_is_also_another_stacks_name_selects_by_construct_path(tmp_path: Path) -> None:
    """``make deploy STACK=<construct path>``: ``cdk deploy`` selects by construct path, so must guard."""
    from ddsecrets_cli.assembly import load_from_assembly

    out = tmp_path / "cdk.out"
    shutil.copytree(example_assembly(), out)
    manifest = json.loads((out / "manifest.json").read_text())
    manifest["artifacts"][SEED]["properties"]["stackName"] = "prod-seed"
    manifest["artifacts"]["DatadogTeamStack"]["properties"]["stackName"] = SEED
    (out / "manifest.json").write_text(json.dumps(manifest))
    assert load_from_assembly(out, SEED).name == "prod-seed"
    assert load_from_assembly(out, "prod-seed").name == "prod-seed"


def test_days_are_ascii_digits() -> None:
    import argparse

    from ddsecrets_cli.main import _days

    with pytest.raises(argparse.ArgumentTypeError, match="a number of days from 1 to 90"):
        _days("\u00b2")


# stacks inside CDK Stages, accounts, and schedules that lose their rotation settings


def stage_assembly_with(tmp_path: Path, change: Any) -> tuple[Path, dict[str, Any]]:
    """A copy of :func:`stage_assembly` whose ``Prod/DatadogSeedStack`` template (in the stage's
    nested assembly) is passed through ``change``; also that stack's template as synthesized."""
    out = tmp_path / "cdk.out"
    shutil.copytree(stage_assembly(), out)
    (template_file,) = (out / "assembly-Prod").glob(f"Prod{STAGE_STACK}*.template.json")
    synthesized = json.loads(template_file.read_text())
    template = copy.deepcopy(synthesized)
    change(template)
    template_file.write_text(json.dumps(template))
    return out, synthesized


def test_guard_reads_a_stack_inside_a_stage_from_the_stages_nested_assembly(moto_url: str, tmp_path: Path) -> None:
    """``cdk deploy Prod/DatadogSeedStack`` deploys ``Prod-DatadogSeedStack``; guard must read the
    stage's nested assembly (before 5.8.0: "not in cdk.out", exit 2 for every staged stack)."""
    cdk_out, synthesized = stage_assembly_with(tmp_path, other_site)
    stack = f"Prod-{STAGE_STACK}"
    deploy(moto_url, stack, synthesized, PARAMETERS)
    run = guard(f"Prod/{STAGE_STACK}", cdk_out)
    assert run.code == 1, run.out + run.err
    assert (admin_id(synthesized), "SecretString not written again") in fails(run)
    assert f"cloudformation GetTemplate {stack}" in run.err
    same = guard(stack, stage_assembly_with(tmp_path / "same", lambda t: None)[0])  # the CloudFormation name
    assert same.code == 0, same.out
    assert same.statuses()["SecretString not written again"] == ["pass"] * 3


def test_a_cloudformation_name_two_stages_share_is_refused_naming_their_construct_paths() -> None:
    run = guard(SHARED_STACK_NAME, stage_assembly())
    assert run.code == 2
    assert f"2 stacks of {stage_assembly()} have the CloudFormation name '{SHARED_STACK_NAME}'" in run.err
    assert "construct paths Prod/Shared, Dr/Shared" in run.err or "construct paths Dr/Shared, Prod/Shared" in run.err
    assert "pass the construct path" in run.err
    unknown = guard("Nope", stage_assembly())
    assert unknown.code == 2
    assert f"Prod/{STAGE_STACK} (Prod-{STAGE_STACK})" in unknown.err  # what it has, by path and name


def without_deploy_roles(tmp_path: Path) -> Path:
    """:func:`stage_assembly` without the ``assumeRoleArn`` cdk synth writes for each stack."""
    out = tmp_path / "cdk.out"
    shutil.copytree(stage_assembly(), out)
    for manifest_file in out.glob("assembly-*/manifest.json"):
        manifest = json.loads(manifest_file.read_text())
        for artifact in manifest["artifacts"].values():
            artifact.get("properties", {}).pop("assumeRoleArn", None)
        manifest_file.write_text(json.dumps(manifest))
    return out


@pytest.mark.parametrize("command", ["guard", "status", "protect"])
def test_credentials_of_another_account_than_the_stacks_are_a_usage_error_without_a_deploy_role(
    moto_url: str, command: str, tmp_path: Path
) -> None:
    """Dr's stacks deploy to another account than moto's: asked there, CloudFormation would say
    "not deployed yet" and guard would pass."""
    cdk_out = without_deploy_roles(tmp_path)
    run = run_cli(command, "--stack", f"Dr/{STAGE_STACK}", "--cdk-out", str(cdk_out), "--json")
    assert run.code == 2, run.out
    assert (
        f"stack Dr-{STAGE_STACK} deploys to account {STAGE_ACCOUNTS['Dr']} (cdk.out), but the AWS credentials "
        f"are of account {ACCOUNT}: use credentials of account {STAGE_ACCOUNTS['Dr']}" in run.json["error"]
    )
    assert "GetTemplate" not in run.err  # nothing asked of the wrong account


def test_guard_reads_a_stack_of_another_account_through_its_deploy_role_as_cdk_deploy_does(
    moto_url: str, tmp_path: Path
) -> None:
    """Credentials of a deployment account: ``cdk deploy`` assumes the stack's deploy role
    (``assumeRoleArn``), and so does guard, reading the stack in the stack's own account."""
    cdk_out, _ = stage_assembly_with(tmp_path, lambda t: None)
    (template_file,) = (cdk_out / "assembly-Dr").glob(f"Dr{STAGE_STACK}*.template.json")
    manifest = json.loads((cdk_out / "assembly-Dr" / "manifest.json").read_text())
    role = next(
        a["properties"]["assumeRoleArn"]
        for a in manifest["artifacts"].values()
        if "assumeRoleArn" in a.get("properties", {})
    )
    role = role.replace("${AWS::Partition}", "aws")
    in_dr = assumed_session(role, REGION)
    assert in_dr.client("sts").get_caller_identity()["Account"] == STAGE_ACCOUNTS["Dr"]
    template = json.loads(template_file.read_text())
    in_dr.client("ssm").put_parameter(
        Name="/cdk-bootstrap/hnb659fds/version", Value="30", Type="String", Overwrite=True
    )
    in_dr.client("cloudformation").create_stack(
        StackName=f"Dr-{STAGE_STACK}",
        TemplateBody=json.dumps(template),
        Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in PARAMETERS.items()],
        Capabilities=["CAPABILITY_IAM"],
    )
    other_site(template)
    template_file.write_text(json.dumps(template))
    run = guard(f"Dr/{STAGE_STACK}", cdk_out)
    assert run.code == 1, run.out + run.err  # found in Dr's account, and the re-seed refused
    assert (admin_id(template), "SecretString not written again") in fails(run)
    assert f"sts AssumeRole {role}" in run.err
    assert run.json["cloudformation"] == {"stackName": f"Dr-{STAGE_STACK}", "region": REGION}


def test_a_region_other_than_the_stacks_is_refused(moto_url: str) -> None:
    """``cdk deploy`` sends the stack to its region from cdk.out; asked elsewhere, guard would find
    nothing there and pass."""
    run = guard(f"Prod/{STAGE_STACK}", stage_assembly(), "--region", "us-east-1")
    assert run.code == 2
    assert f"--region us-east-1: stack Prod-{STAGE_STACK} deploys to {REGION} (cdk.out)" in run.json["error"]
    assert "GetTemplate" not in run.err
    same = guard(f"Prod/{STAGE_STACK}", stage_assembly(), "--region", REGION)
    assert same.code != 2, same.err


def test_status_and_protect_select_a_staged_stack_by_construct_path_through_cdk_out(moto_url: str) -> None:
    stack = f"Prod-{STAGE_STACK}"
    if stack not in {s["StackName"] for s in boto3.client("cloudformation").describe_stacks()["Stacks"]}:
        (template_file,) = (stage_assembly() / "assembly-Prod").glob(f"Prod{STAGE_STACK}*.template.json")
        deploy(moto_url, stack, json.loads(template_file.read_text()), PARAMETERS)
    path = ["--stack", f"Prod/{STAGE_STACK}", "--cdk-out", str(stage_assembly())]
    protect = run_cli("protect", *path, "--json")
    assert protect.code == 0, protect.err
    assert len(protect.json["protected"]) == 6  # three secrets, three schedules
    assert stack_policy(stack)["Statement"][1]["Effect"] == "Deny"
    status_run = run_cli("status", *path, "--json")
    assert len(status_run.json["secrets"]) == 3, status_run.err
    assert f"ListStackResources {stack}" in status_run.err
    assert status_run.json["cloudformation"] == {"stackName": stack, "region": REGION}
    without = run_cli("status", "--stack", f"Prod/{STAGE_STACK}", "--cdk-out", "/nonexistent", "--json")
    assert without.code == 2  # no cloud assembly: --stack is the CloudFormation name, which does not exist
    assert f"stack Prod/{STAGE_STACK} is not deployed" in without.err
    # a cloud assembly without the stack: --stack is the CloudFormation name
    elsewhere = deployed(moto_url, "StatusNotInCdkOut")
    fallback = run_cli("status", "--stack", elsewhere, "--cdk-out", str(stage_assembly()), "--json")
    assert len(fallback.json["secrets"]) == 3, fallback.err


@pytest.mark.parametrize(
    ("setting", "said"),
    [
        ("RotationRules", "its RotationRules"),
        ("ExternalSecretRotationRoleArn", "its ExternalSecretRotationRoleArn"),
        ("ExternalSecretRotationMetadata", "its adminSecretArn"),
    ],
)
def test_guard_fails_when_a_kept_schedule_loses_a_rotation_setting(
    moto_url: str, tmp_path: Path, setting: str, said: str
) -> None:
    stack = "GuardScheduleSettings"
    template = template_of(example_assembly(), SEED)
    if stack not in {s["StackName"] for s in boto3.client("cloudformation").describe_stacks()["Stacks"]}:
        deploy(moto_url, stack, template, PARAMETERS)
    children = {
        k: v
        for k, v in template["Resources"].items()
        if v["Type"] == "AWS::SecretsManager::RotationSchedule"
        and v["Properties"].get("ExternalSecretRotationMetadata")
    }
    schedule = sorted(children)[0]
    assert children[schedule]["Properties"][setting]  # the synthesized schedule has it

    def drop(t: dict[str, Any]) -> None:
        del t["Resources"][schedule]["Properties"][setting]

    run = guard(stack, assembly_with(tmp_path, stack, drop))
    assert run.code == 1, run.out
    detail = fails(run)[(schedule, "rotation schedule kept")]
    assert f"loses {said}" in detail
    others = [c for c in run.json["checks"] if c["check"] == "rotation schedule kept" and c["subject"] != schedule]
    assert {c["status"] for c in others} == {"pass"}
    allowed = guard(stack, assembly_with(tmp_path / "allowed", stack, drop), "--allow-reseed", schedule)
    assert allowed.code == 0


def test_guard_warns_that_a_nested_stacks_secrets_are_not_checked(moto_url: str, tmp_path: Path) -> None:
    stack = deployed(moto_url, "GuardNested")

    def nest(t: dict[str, Any]) -> None:
        t["Resources"]["KeysNestedStack"] = {
            "Type": "AWS::CloudFormation::Stack",
            "Properties": {"TemplateURL": "https://example.com/keys.template.json"},
        }

    run = guard(stack, assembly_with(tmp_path, stack, nest))
    assert run.code == 0, run.out  # a warning
    (nested,) = [c for c in run.json["checks"] if c["check"] == "nested stack not checked"]
    assert (nested["subject"], nested["status"]) == ("KeysNestedStack", "warn")
    assert "are not compared here" in nested["detail"]


def test_guard_reads_parameters_as_cdk_deploy_does(moto_url: str, tmp_path: Path) -> None:
    """cdk: the stack's own value wins over a bare one in any order, ``Stack:Name:x`` is parameter
    ``Name`` of ``Stack``, and the last of one name wins; a construct-path prefix, which cdk does not
    match, is refused; a malformed argument is never shown (it may hold a key)."""
    stack = deployed(moto_url, "GuardParameterOrder")
    cdk_out = assembly_with(tmp_path, stack, lambda t: None)
    current, new = IDS["ServiceAccountId"], f"{'0' * 8}-0000-4000-8000-{'0' * 12}"

    def fails_with(*assignments: str) -> bool:
        run = guard(stack, cdk_out, *(a for assignment in assignments for a in ("--parameters", assignment)))
        assert run.code in (0, 1), run.err
        return run.code == 1

    assert fails_with(f"{stack}:ServiceAccountId={new}", f"ServiceAccountId={current}")
    assert fails_with(f"ServiceAccountId={current}", f"{stack}:ServiceAccountId={new}")
    assert fails_with(f"{stack}:ServiceAccountId:x={new}")
    assert fails_with(f"{stack}:ServiceAccountId={current}", f"{stack}:ServiceAccountId={new}")
    assert not fails_with(f"{stack}:ServiceAccountId={new}", f"{stack}:ServiceAccountId={current}")
    assert not fails_with(f"OtherStack:ServiceAccountId={new}")

    staged = guard(
        f"Prod/{STAGE_STACK}", stage_assembly(), "--parameters", f"Prod/{STAGE_STACK}:ServiceAccountId={new}"
    )
    assert staged.code == 2
    assert f"write Prod-{STAGE_STACK}:ServiceAccountId=…" in staged.json["error"]

    key = KEYS["AdminApiKey"]
    malformed = guard(stack, cdk_out, "--parameters", f"{stack}:AdminApiKey:{key}")  # ':' typed for '='
    assert malformed.code == 2
    assert "--parameters number 1: expected Name=value" in malformed.err
    assert key not in malformed.out + malformed.err


def test_guard_fails_when_a_nested_stack_is_removed() -> None:
    """Compared directly (moto would fetch the nested stack's template from S3)."""
    from ddsecrets_cli.assembly import parse
    from ddsecrets_cli.guard import compare

    synthesized = template_of(example_assembly(), SEED)
    deployed_template = copy.deepcopy(synthesized)
    deployed_template["Resources"]["KeysNestedStack"] = {
        "Type": "AWS::CloudFormation::Stack",
        "Properties": {"TemplateURL": "https://example.com/keys.template.json"},
    }
    checks = compare(parse(SEED, deployed_template), parse(SEED, synthesized), {}, {}, allowed=set())
    (removed,) = [c for c in checks if c.subject == "KeysNestedStack"]
    assert (removed.check, removed.status) == ("nested stack kept", "fail")
    assert "CloudFormation deletes it" in removed.detail
    kept = compare(parse(SEED, deployed_template), parse(SEED, deployed_template), {}, {}, allowed=set())
    assert {(c.check, c.status) for c in kept if c.subject == "KeysNestedStack"} == {
        ("nested stack not checked", "warn")
    }


def test_guard_fails_when_a_schedule_setting_becomes_conditional_or_names_another_admin(
    moto_url: str, tmp_path: Path
) -> None:
    stack = "GuardScheduleSettingsChanged"
    template = template_of(example_assembly(), SEED)
    deploy(moto_url, stack, template, PARAMETERS)
    schedule = sorted(
        k
        for k, v in template["Resources"].items()
        if v["Type"] == "AWS::SecretsManager::RotationSchedule"
        and v["Properties"].get("ExternalSecretRotationMetadata")
    )[0]

    def conditional_rules(t: dict[str, Any]) -> None:
        t.setdefault("Conditions", {})["Rotate"] = {"Fn::Equals": ["a", "a"]}
        rules = t["Resources"][schedule]["Properties"]["RotationRules"]
        t["Resources"][schedule]["Properties"]["RotationRules"] = {"Fn::If": ["Rotate", rules, {"Ref": "AWS::NoValue"}]}

    def other_admin(t: dict[str, Any]) -> None:
        (metadata,) = t["Resources"][schedule]["Properties"]["ExternalSecretRotationMetadata"]
        metadata["Value"] = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:other-admin-AbCdEf"

    conditional = guard(stack, assembly_with(tmp_path / "if", stack, conditional_rules))
    assert "loses its RotationRules" in fails(conditional)[(schedule, "rotation schedule kept")]
    changed = guard(stack, assembly_with(tmp_path / "admin", stack, other_admin))
    assert "changes its adminSecretArn" in fails(changed)[(schedule, "rotation schedule kept")]


def test_a_stack_in_a_stage_inside_a_stage_is_read_from_the_nested_assembly_of_each(tmp_path: Path) -> None:
    """``directoryName`` is relative to the assembly that names it: an inner stage's stacks are two
    directories down."""
    import aws_cdk as cdk

    from ddsecrets_cli.assembly import load_from_assembly
    from examples.seed_stack import SeedStack

    app = cdk.App(outdir=str(tmp_path), context=json.loads((ROOT / "cdk.json").read_text())["context"])
    inner = cdk.Stage(cdk.Stage(app, "Outer"), "Inner", env=cdk.Environment(account=ACCOUNT, region=REGION))
    SeedStack(inner, "Seed")
    app.synth()
    stack = load_from_assembly(tmp_path, "Outer/Inner/Seed")
    assert (stack.name, stack.path, stack.account, stack.region) == (
        "Outer-Inner-Seed",
        "Outer/Inner/Seed",
        ACCOUNT,
        REGION,
    )
    assert sorted(s.type for s in stack.secrets) == ["DatadogAdminKey", "DatadogApiKey", "DatadogApplicationKey"]
    assert load_from_assembly(tmp_path, "Outer-Inner-Seed").path == "Outer/Inner/Seed"
