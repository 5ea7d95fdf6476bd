"""``ddsecrets preflight`` against a local Datadog API (tests/fake_datadog.py) through the real
``datadog-api-client``: one case per failure the seed article met or an operator can make."""

from __future__ import annotations

import copy
import json
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from ddsecrets_cli.preflight import ADMIN_SCOPES
from tests.cli_support import Run, example_assembly, run_cli, template_of
from tests.fake_datadog import ApiKey, AppKey, FakeDatadog, Org

SA = "1b4e28ba-2fa1-11d2-883f-0016d3cca427"
OTHER_SA = "9c0a1f6e-5b7d-4c3e-8f2a-6d1e0b9a7c55"
ADMIN_API_KEY_ID = "2d6f1c3a-7e4b-4a9d-9c1e-3f5b7a9d1e2f"
ADMIN_APP_KEY_ID = "3e7a2d4b-8f5c-4b0e-8d2f-4a6c8b0e2f3a"
APP_KEY_ID = "4f8b3e5c-9a6d-4c1f-9e3a-5b7d9c1f3a4b"
API_KEY_ID = "5a9c4f6d-0b7e-4d2a-8f4b-6c8e0d2a4b5c"
# Shaped like Datadog keys (reference section 8), never real ones.
KEYS = {
    "AdminApiKey": "a0" * 16,
    "AdminAppKey": "ddapp_" + "Ad1n" * 8 + "Zz",
    "AppKey": "ddapp_" + "Ch1d" * 8 + "Yy",
    "ApiKey": "b1" * 16,
}
IDS = {
    "ServiceAccountId": SA,
    "AdminApiKeyId": ADMIN_API_KEY_ID,
    "AdminAppKeyId": ADMIN_APP_KEY_ID,
    "AppKeyId": APP_KEY_ID,
    "ApiKeyId": API_KEY_ID,
}
# Outside the seed stack's admin window (15th, 02:00-04:00 UTC).
QUIET_TIME = "2026-11-28T12:00:00"


def healthy_org() -> Org:
    return Org(
        api_keys={ADMIN_API_KEY_ID: ApiKey(KEYS["AdminApiKey"]), API_KEY_ID: ApiKey(KEYS["ApiKey"])},
        app_keys={
            ADMIN_APP_KEY_ID: AppKey(KEYS["AdminAppKey"], SA, list(ADMIN_SCOPES)),
            APP_KEY_ID: AppKey(KEYS["AppKey"], SA, None),
        },
    )


@pytest.fixture(scope="module")
def datadog() -> Iterator[FakeDatadog]:
    server = FakeDatadog(healthy_org()).start()
    yield server
    server.stop()


@pytest.fixture
def org(datadog: FakeDatadog) -> Org:
    datadog.org = healthy_org()
    return datadog.org


@pytest.fixture(autouse=True)
def key_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in KEYS.items():
        monkeypatch.setenv(name, value)


def preflight(datadog: FakeDatadog, *extra: str, stack: str = "DatadogSeedStack", ids: bool = True) -> Run:
    args = ["preflight", "--stack", stack, "--cdk-out", str(example_assembly()), "--json"]
    args += ["--datadog-url", datadog.url, "--at", QUIET_TIME, "--timeout", "2", "--retries", "1"]
    if ids:
        for name, value in IDS.items():
            args += ["--parameters", f"{stack}:{name}={value}"]
    return run_cli(*args, *extra)


def failed(run: Run) -> dict[str, str]:
    """Check name -> detail of every failed check."""
    return {c["check"]: c["detail"] for c in run.json["checks"] if c["status"] == "fail"}


def test_healthy_setup_passes_every_check(datadog: FakeDatadog, org: Org) -> None:
    run = preflight(datadog)
    assert run.code == 0, run.out
    statuses = run.statuses()
    assert statuses == {
        "admin API key valid, id matches": ["pass"],
        "admin key pair valid": ["pass"],
        "admin application key owned by service account": ["pass"],
        "admin scopes": ["pass"],
        "application key owned by service account": ["pass"],
        "application key valid": ["pass"],
        "API key valid, id matches": ["pass"],
        "API key budget": ["skip"],
        "not in the admin's rotation window": ["pass"],
        "each key held by one secret": ["pass"],
    }
    budget = next(c for c in run.json["checks"] if c["check"] == "API key budget")
    assert "could not be checked" in budget["detail"]
    assert "api_keys_read" in budget["detail"]
    assert run.json["ok"] is True


def test_child_application_key_of_another_service_account_fails_naming_the_owner(
    datadog: FakeDatadog, org: Org
) -> None:
    org.app_keys[APP_KEY_ID].owner = OTHER_SA
    run = preflight(datadog)
    assert run.code == 1
    detail = failed(run)["application key owned by service account"]
    assert OTHER_SA in detail
    assert SA in detail


def test_admin_key_without_a_required_scope_fails_naming_it(datadog: FakeDatadog, org: Org) -> None:
    org.app_keys[ADMIN_APP_KEY_ID].scopes = [s for s in ADMIN_SCOPES if s != "org_app_keys_write"]
    run = preflight(datadog)
    assert run.code == 1
    assert failed(run) == {"admin scopes": "missing org_app_keys_write"}


def test_unrestricted_admin_key_passes_the_scope_check(datadog: FakeDatadog, org: Org) -> None:
    org.app_keys[ADMIN_APP_KEY_ID].scopes = None
    run = preflight(datadog)
    assert run.code == 0
    assert next(c for c in run.json["checks"] if c["check"] == "admin scopes")["detail"].startswith("unrestricted")


def test_mistyped_admin_api_key_fails_and_skips_what_needs_it(
    datadog: FakeDatadog, org: Org, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AdminApiKey", "c2" * 16)
    run = preflight(datadog)
    assert run.code == 1
    assert set(failed(run)) == {"admin API key valid, id matches", "admin key pair valid"}
    assert "403" in failed(run)["admin API key valid, id matches"]
    assert run.statuses()["application key owned by the admin's service account"] == ["skip"]


def test_one_key_id_given_to_two_secrets_fails_naming_both(datadog: FakeDatadog, org: Org) -> None:
    run = preflight(datadog, "--parameters", f"DatadogSeedStack:AppKeyId={ADMIN_APP_KEY_ID}")
    check = next(c for c in run.json["checks"] if c["check"] == "each key held by one secret")
    assert check["status"] == "fail"
    assert check["detail"].startswith(f"one key id given to several secrets: {ADMIN_APP_KEY_ID} in ")
    assert check["detail"].count(".adminAppKeyId") == 1
    assert check["detail"].count(".appKeyId") == 1
    assert run.code != 0


def test_api_key_id_of_another_key_fails(datadog: FakeDatadog, org: Org) -> None:
    other = "0d3e11ef-9a4b-4c2d-8e1f-da7ad0900009"
    org.api_keys[other] = org.api_keys.pop(API_KEY_ID)
    run = preflight(datadog)
    assert failed(run) == {"API key valid, id matches": f"the key is valid, but its id is {other}, not {API_KEY_ID}"}


def test_revoked_child_keys_fail(datadog: FakeDatadog, org: Org) -> None:
    org.app_keys[APP_KEY_ID].revoked = True
    org.api_keys[API_KEY_ID].revoked = True
    run = preflight(datadog)
    assert run.code == 1
    problems = failed(run)
    assert "no application key with id" in problems["application key owned by service account"]
    assert "403" in problems["application key valid"]
    assert "403" in problems["API key valid, id matches"]


def test_application_key_id_of_another_key_of_the_account_fails(datadog: FakeDatadog, org: Org) -> None:
    org.app_keys[APP_KEY_ID].key = "ddapp_" + "Oth3" * 8 + "Xx"
    run = preflight(datadog, "--quiet")
    problems = failed(run)
    assert "does not end like the key with id" in problems["application key matches its id"]
    assert KEYS["AppKey"][-4:] not in run.out


def test_ip_allow_list_refusal_names_the_allow_list(datadog: FakeDatadog, org: Org) -> None:
    org.ip_allow_list_blocks = True
    run = preflight(datadog)
    assert run.code == 1
    detail = failed(run)["admin key pair valid"]
    assert "403" in detail
    assert "IP allow-list" in detail
    assert run.statuses()["admin API key valid, id matches"] == ["pass"]  # API-key-only calls are not blocked


def test_timeouts_are_retried_a_bounded_number_of_times(datadog: FakeDatadog, org: Org) -> None:
    org.slow_seconds = 0.6
    run = preflight(datadog, "--timeout", "0.2", "--retries", "1")
    assert run.code == 1
    assert "no answer from Datadog" in failed(run)["admin API key valid, id matches"]
    assert org.requests.count("GET /api/v2/validate") == 2 * 2  # admin and child API key, one retry each


def test_server_errors_are_retried_then_succeed(datadog: FakeDatadog, org: Org) -> None:
    org.failures_left = 2
    run = preflight(datadog, "--retries", "2")
    assert run.code == 0, run.out
    assert org.requests[:3] == ["GET /api/v2/validate"] * 3


def test_server_errors_beyond_the_retries_fail(datadog: FakeDatadog, org: Org) -> None:
    org.failures_left = 1000
    run = preflight(datadog, "--retries", "1")
    assert run.code == 1
    assert "HTTP 503: a Datadog server error" in failed(run)["admin API key valid, id matches"]
    assert org.requests[:2] == ["GET /api/v2/validate"] * 2
    assert org.requests.count("GET /api/v2/validate") == 4


def test_a_rate_limit_reset_is_waited_for_at_most_the_timeout(datadog: FakeDatadog, org: Org) -> None:
    """Datadog's 429 says in ``X-Ratelimit-Reset`` how many seconds its rate-limit period has left (an
    hour here); the client would sleep that long before its retry."""
    import threading

    org.failures_left, org.failure_status = 1, 429
    org.failure_headers = {"X-Ratelimit-Reset": "3600"}
    runs: list[Run] = []
    worker = threading.Thread(target=lambda: runs.append(preflight(datadog, "--timeout", "0.5")), daemon=True)
    worker.start()
    worker.join(120)  # far below the hour, far above 0.5 s and the checks' own calls
    assert not worker.is_alive(), "preflight slept the whole X-Ratelimit-Reset"
    assert runs[0].code == 0, runs[0].out
    assert org.requests[:2] == ["GET /api/v2/validate"] * 2  # the 429, then its retry


def test_a_rate_limit_reset_below_the_timeout_is_waited_for_in_full_before_the_retry(
    datadog: FakeDatadog, org: Org
) -> None:
    """A 429 whose ``X-Ratelimit-Reset`` (1 s) is below ``--timeout`` (2 s): the retry waits until
    the rate-limit period ends, not the backoff's 0 s of a first retry, and then the check passes.
    The wait is measured where the requests arrive."""
    org.failures_left, org.failure_status = 1, 429
    org.failure_headers = {"X-Ratelimit-Reset": "1"}
    run = preflight(datadog, "--timeout", "2", "--retries", "1")
    assert run.code == 0, run.out
    assert run.statuses()["admin API key valid, id matches"] == ["pass"]
    assert org.requests[:2] == ["GET /api/v2/validate"] * 2  # the 429, then its retry
    assert org.requests.count("GET /api/v2/validate") == 3  # and the child API key's call, answered at once
    waited = org.request_times[1] - org.request_times[0]
    assert waited >= 1.0, f"retried {waited:.3f} s after the 429, before its X-Ratelimit-Reset of 1 s"


def test_api_key_budget_fails_when_rotation_would_pass_fifty_keys(datadog: FakeDatadog, org: Org) -> None:
    org.app_keys[ADMIN_APP_KEY_ID].scopes = None  # may read API keys
    org.extra_api_keys = 47  # 2 stack keys + 47 = 49; the API-key secret and the admin add one each
    run = preflight(datadog)
    assert run.code == 1
    assert failed(run)["API key budget"].endswith("51 of 50")
    org.extra_api_keys = 46
    assert preflight(datadog).statuses()["API key budget"] == ["pass"]


@pytest.mark.parametrize(
    ("at", "status", "words"),
    [
        ("2026-12-15T02:30:00", "warn", "inside"),
        ("2026-12-15T01:15:00", "warn", "starts soon"),
        ("2026-12-15T00:30:00", "pass", "next"),
        ("2026-12-15T04:00:00", "pass", "next"),
    ],
)
def test_deploying_in_or_just_before_the_admin_window_warns(
    datadog: FakeDatadog, org: Org, at: str, status: str, words: str
) -> None:
    run = preflight(datadog, "--at", at)
    (check,) = [c for c in run.json["checks"] if c["check"] == "not in the admin's rotation window"]
    assert (check["status"], check["detail"].split(":")[0]) == (status, words)
    assert run.code == 0  # a warning does not fail


def test_no_key_is_printed_or_written(datadog: FakeDatadog, org: Org, tmp_path: Path) -> None:
    org.app_keys[APP_KEY_ID].owner = OTHER_SA
    org.api_keys[API_KEY_ID].revoked = True
    before = os.getcwd()
    os.chdir(tmp_path)
    try:
        runs = [preflight(datadog), preflight(datadog, "--quiet")]
        runs.append(run_cli(*[a for a in preflight_args(datadog) if a != "--json"]))
    finally:
        os.chdir(before)
    assert list(tmp_path.iterdir()) == []
    for run in runs:
        for key in KEYS.values():
            assert key not in run.out
            assert key not in run.err
    assert "FAIL" in runs[2].out
    assert "fix:" in runs[2].out


def preflight_args(datadog: FakeDatadog) -> list[str]:
    args = ["preflight", "--stack", "DatadogSeedStack", "--cdk-out", str(example_assembly()), "--json"]
    args += ["--datadog-url", datadog.url, "--at", QUIET_TIME]
    for name, value in IDS.items():
        args += ["--parameters", f"{name}={value}"]
    return args


def test_progress_goes_to_stderr_and_names_each_call(datadog: FakeDatadog, org: Org) -> None:
    run = preflight(datadog)
    assert "GET /api/v2/validate (" in run.err
    assert "GET /api/v2/validate_keys" in run.err
    assert preflight(datadog, "--quiet").err == ""


def test_a_staged_stack_takes_its_parameters_by_cloudformation_name_as_cdk_deploy_does(datadog: FakeDatadog) -> None:
    """``--stack Prod/DatadogSeedStack`` (construct path, in a Stage's nested assembly) and
    ``--parameters Prod-DatadogSeedStack:Name=value`` (the CloudFormation name cdk deploy matches)."""
    from tests.cli_support import STAGE_STACK, stage_assembly

    args = ["preflight", "--stack", f"Prod/{STAGE_STACK}", "--cdk-out", str(stage_assembly()), "--json"]
    args += ["--datadog-url", datadog.url, "--at", QUIET_TIME, "--timeout", "2", "--retries", "1"]
    for name, value in IDS.items():
        args += ["--parameters", f"Prod-{STAGE_STACK}:{name}={value}"]
    run = run_cli(*args)
    assert run.code == 0, run.out + run.err
    assert run.statuses()["admin key pair valid"] == ["pass"]


def test_a_missing_parameter_is_a_usage_error_naming_it(datadog: FakeDatadog, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AppKey")
    run = preflight(datadog)
    assert run.code == 2
    assert "AppKey" in run.err
    # --json: the reason on stdout too, as a report with no checks
    assert (run.json["ok"], run.json["checks"]) == (False, [])
    assert "no value for parameter(s) AppKey" in run.json["error"]


def test_a_key_on_the_command_line_is_refused(datadog: FakeDatadog) -> None:
    run = preflight(datadog, "--parameters", f"AdminApiKey={KEYS['AdminApiKey']}")
    assert run.code == 2
    assert "NoEcho" in run.err
    assert KEYS["AdminApiKey"] not in run.err
    assert "NoEcho" in run.json["error"]
    assert KEYS["AdminApiKey"] not in run.out


def test_children_of_an_imported_admin_check_what_they_can(datadog: FakeDatadog, org: Org) -> None:
    args = ["--parameters", "DatadogAdminArn=arn:aws:secretsmanager:eu-west-1:111122223333:secret:a-AbCdEf"]
    run = preflight(datadog, *args, "--site", "datadoghq.eu", stack="DatadogImportedAdminStack")
    assert run.code == 0, run.out
    statuses = run.statuses()
    assert statuses["API key valid, id matches"] == ["pass"]
    assert statuses["application key owned by the admin's service account"] == ["skip"]
    assert statuses["not in the admin's rotation window"] == ["skip"]


def test_unknown_stack_is_a_usage_error(datadog: FakeDatadog) -> None:
    run = preflight(datadog, stack="NoSuchStack")
    assert run.code == 2
    assert "DatadogSeedStack" in run.err


def test_admin_key_that_may_not_read_application_keys_fails_the_scope_check(datadog: FakeDatadog, org: Org) -> None:
    org.app_keys[ADMIN_APP_KEY_ID].scopes = [s for s in ADMIN_SCOPES if s != "org_app_keys_read"]
    run = preflight(datadog)
    assert run.code == 1
    assert "403" in failed(run)["admin scopes"]


# What the review of 2026-11-29 found


def _seed_assembly_with(tmp_path: Path, change: Callable[[dict[str, Any]], None]) -> Path:
    """A copy of the example assembly whose seed template went through ``change``."""
    out = tmp_path / "cdk.out"
    shutil.copytree(example_assembly(), out)
    template = copy.deepcopy(template_of(example_assembly(), "DatadogSeedStack"))
    change(template)
    (out / "DatadogSeedStack.template.json").write_text(json.dumps(template))
    return out


def test_a_field_cloudformation_computes_skips_that_secrets_checks_and_fails_nothing(
    datadog: FakeDatadog, org: Org, tmp_path: Path
) -> None:
    """A key from another secret (``{{resolve:...}}``) and a service account imported from another
    stack (a team family's) cannot be checked: skipped, not sent to Datadog, not failed."""
    arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:seed-AbCdEf"
    reference = f"{{{{resolve:secretsmanager:{arn}:SecretString:apiKey::}}}}"

    def computed(template: dict[str, Any]) -> None:
        for resource in template["Resources"].values():
            parts = resource.get("Properties", {}).get("SecretString", {}).get("Fn::Join", ["", []])[1]
            for i, part in enumerate(parts):
                if part == {"Ref": "ApiKey"}:
                    parts[i] = reference
                if part == {"Ref": "ServiceAccountId"} and resource["Properties"]["Type"] == "DatadogApplicationKey":
                    parts[i] = {"Fn::ImportValue": "DatadogSecurityStack:ServiceAccountId"}

    cdk_out = _seed_assembly_with(tmp_path, computed)
    args = ["preflight", "--stack", "DatadogSeedStack", "--cdk-out", str(cdk_out), "--json"]
    args += ["--datadog-url", datadog.url, "--at", QUIET_TIME, "--timeout", "2", "--retries", "1"]
    for name, value in IDS.items():
        args += ["--parameters", f"{name}={value}"]
    run = run_cli(*args)
    assert run.code == 0, run.out
    skipped = {c["check"]: c["detail"] for c in run.json["checks"] if c["status"] == "skip"}
    assert skipped["field apiKey"].startswith("computed by CloudFormation at deploy time ({{resolve:")
    assert skipped["field serviceAccountId"].startswith('computed by CloudFormation at deploy time ({"Fn::Import')
    # Only the admin's API key went to GET /api/v2/validate: the reference was not sent as a key.
    assert org.requests.count("GET /api/v2/validate") == 1


def test_a_key_with_a_line_end_is_a_usage_error_that_does_not_show_it(
    datadog: FakeDatadog, org: Org, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``export ApiKey="$(cat key.txt)"`` of a CRLF file: refused before any call, the key not shown
    (the HTTP client's own error would print it)."""
    for bad in (KEYS["ApiKey"] + "\r", KEYS["ApiKey"] + "\n", " " + KEYS["ApiKey"]):
        monkeypatch.setenv("ApiKey", bad)
        run = preflight(datadog)
        assert run.code == 2
        assert "ApiKey" in run.err
        assert "white space or a control character" in run.err
        assert KEYS["ApiKey"] not in run.out + run.err


def test_an_unexpected_error_is_named_without_its_message(
    datadog: FakeDatadog, org: Org, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The last line of defence of "no key is ever printed": an error nobody foresaw keeps its message."""
    from ddsecrets_cli import preflight as module

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise ValueError(f"Invalid header value {KEYS['AdminApiKey']!r}")

    monkeypatch.setattr(module, "run", broken)
    run = preflight(datadog)
    assert run.code == 2
    assert "unexpected ValueError at test_cli_preflight.py:" in run.err
    assert KEYS["AdminApiKey"] not in run.out + run.err


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("--timeout", "-1"),
        ("--timeout", "0"),
        ("--timeout", "nan"),
        ("--timeout", "inf"),
        ("--timeout", "600.1"),
        ("--retries", "-1"),
        ("--retries", "11"),
        ("--retries", "\u00b2"),  # a digit to str.isdigit, not to int()
    ],
)
def test_bounds_that_are_not_bounds_are_refused(option: str, value: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        run_cli("preflight", "--stack", "DatadogSeedStack", option, value)
    assert exit_.value.code == 2
    assert f"argument {option}: '{value}': a number of" in capsys.readouterr().err


def test_the_bounds_themselves_are_accepted() -> None:
    from ddsecrets_cli.main import build_parser

    args = build_parser().parse_args(["preflight", "--stack", "S", "--timeout", "600", "--retries", "10"])
    assert (args.timeout, args.retries) == (600.0, 10)
