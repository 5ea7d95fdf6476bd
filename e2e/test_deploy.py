"""`make e2e`: the example app deployed, read back, updated and destroyed on a local emulator.

Every expectation comes from the synthesized templates (intrinsics resolved with the deployed ids)
or from the README, never from a list of today's resources, so the run keeps its meaning while the
examples, parameters and roles change. What the emulator does not model is asserted too (last
section), so that the README's list of gaps stays true.
"""

from __future__ import annotations

import json
from typing import Any

from app import CONSUMER_STACKS
from e2e import access, compare, readback
from e2e.intrinsics import imports, resolve
from e2e.parameters import no_echo
from e2e.run import NOT_EMULATED, Deployment, Destroy, Update, templates
from e2e.stackrun import StackRun
from tests.iam_access import KMS_DECRYPT, as_list, outsiders

# The fields of each Datadog secret type (AWS user guide, mes-partner-Datadog*.html).
FIELDS = {
    "DatadogAdminKey": {"adminApiKey", "adminApiKeyId", "adminAppKey", "adminAppKeyId", "serviceAccountId", "site"},
    "DatadogApplicationKey": {"appKey", "appKeyId", "serviceAccountId"},
    "DatadogApiKey": {"apiKey", "apiKeyId"},
}


def datadog_secrets(run: StackRun) -> dict[str, str]:
    """logical id -> Type of every Datadog secret of the stack."""
    return {
        k: v["Properties"]["Type"]
        for k, v in run.of_type("AWS::SecretsManager::Secret").items()
        if v["Properties"].get("Type") in FIELDS
    }


def key_stacks(deployment: Deployment) -> list[StackRun]:
    """The stacks that hold Datadog secrets (key parameters, rotation schedules)."""
    return [run for run in deployment.stacks.values() if run.name not in CONSUMER_STACKS]


def consumers(deployment: Deployment) -> list[tuple[StackRun, StackRun]]:
    """(consumer stack, the keys stack it reads from), as app.py pairs them."""
    pairs = [(deployment.stacks[consumer], deployment.stacks[keys]) for consumer, keys in CONSUMER_STACKS.items()]
    assert pairs, "app.py has no consumer stack"
    return pairs


def read(run: StackRun, logical_id: str) -> dict[str, Any]:
    """A resource as read back right after its stack deployed."""
    deployed = run.read[logical_id]
    assert deployed is not None, f"{run.name}/{logical_id} was not there after deploy"
    return deployed


def every_secret(deployment: Deployment) -> dict[str, tuple[StackRun, str]]:
    """Deployed ARN -> (stack, logical id) of every secret of the run."""
    return {
        run.physical_ids[k]: (run, k)
        for run in deployment.stacks.values()
        for k in run.of_type("AWS::SecretsManager::Secret")
    }


# --- deploy --------------------------------------------------------------------------------


def test_every_stack_of_the_app_is_deployed(deployment: Deployment) -> None:
    assert sorted(deployment.stacks) == sorted(templates())
    for run in deployment.stacks.values():
        assert run.described["StackStatus"] in ("CREATE_COMPLETE", "UPDATE_COMPLETE"), run.name
        assert set(run.physical_ids) == set(run.template["Resources"]), run.name


def test_every_resource_type_is_read_back_or_listed_as_not_modelled(deployment: Deployment) -> None:
    types = {r["Type"] for run in deployment.stacks.values() for r in run.template["Resources"].values()}
    assert types - set(readback.READERS) - set(readback.NOT_MODELLED) == set()


def test_deployed_resources_are_the_synthesized_ones(deployment: Deployment) -> None:
    """Names, descriptions, KMS keys, exact SecretStrings, trust and policies, key and topic
    policies, event patterns and targets: as synthesized, with the real ids and ARNs."""
    found = [d for run in deployment.stacks.values() for d in compare.differences(run)]
    assert found == [], "\n".join(found)


def test_the_comparison_catches_a_difference(deployment: Deployment) -> None:
    """The check above must be able to fail: change one deployed SecretString in the recording."""
    run = next(iter(deployment.stacks.values()))
    logical_id = next(iter(datadog_secrets(run)))
    deployed = run.read[logical_id]
    assert deployed is not None
    original = deployed["SecretString"]
    try:
        deployed["SecretString"] = original.replace('":"', '": "', 1)
        assert [d for d in compare.differences(run) if "SecretString" in d]
    finally:
        deployed["SecretString"] = original


def test_each_secret_holds_exactly_the_fields_of_its_type(deployment: Deployment) -> None:
    seen = set()
    for run in deployment.stacks.values():
        for logical_id, secret_type in datadog_secrets(run).items():
            deployed = run.read[logical_id]
            assert deployed is not None
            assert set(json.loads(deployed["SecretString"])) == FIELDS[secret_type], logical_id
            seen.add(secret_type)
    assert seen == set(FIELDS)


def test_no_echo_parameters_are_masked_in_describe_stacks(deployment: Deployment) -> None:
    for run in key_stacks(deployment):
        shown = {p["ParameterKey"]: p["ParameterValue"] for p in run.described["Parameters"]}
        hidden = no_echo(run.template)
        assert hidden, run.name
        for name, value in run.parameters.items():
            assert shown[name] == ("****" if name in hidden else value), f"{run.name}:{name}"
        text = json.dumps(run.described, default=str)
        assert not [n for n in hidden if run.parameters[n] in text]


def test_rotation_roles_may_rotate_exactly_their_secrets_and_only_read_their_admin(deployment: Deployment) -> None:
    """On the deployed documents, with the real ARNs: each role is trusted by, and may write, exactly
    the secrets whose schedules name it, may read exactly those and their admin, and never writes an
    admin it reads (issue 8, the same computation as tests/test_rotation_role.py)."""
    secrets = {run.physical_ids[k] for run in deployment.stacks.values() for k in datadog_secrets(run)}
    candidates = secrets | outsiders(secrets)
    for run in key_stacks(deployment):
        rotates: dict[str, set[str]] = {}
        admins: dict[str, set[str]] = {}
        for schedule in run.of_type("AWS::SecretsManager::RotationSchedule").values():
            properties = schedule["Properties"]
            role_arn = resolve(properties["ExternalSecretRotationRoleArn"], run.context)
            (role_id,) = [k for k, v in run.read.items() if v and v.get("Arn") == role_arn]
            rotates.setdefault(role_id, set()).add(resolve(properties["SecretId"], run.context))
            metadata = resolve(properties.get("ExternalSecretRotationMetadata", []), run.context)
            admins.setdefault(role_id, set()).update(m["Value"] for m in metadata if m["Key"] == "adminSecretArn")
        assert rotates, f"{run.name}: no rotation schedule"
        for role_id, rotated in rotates.items():
            rights = access.role_access(run, role_id, candidates)
            where = f"{run.name}/{role_id}"
            assert rights.writes == rotated, where
            assert rights.reads == rotated | admins[role_id], where
            assert not rights.writes & admins[role_id], where
            assert rights.trusted >= rotated, where
            extra = rights.trusted - rotated
            assert all("/outsider-XyZ123" in a or "-evil-" in a for a in extra), (where, extra)


def test_children_name_a_deployed_admin_secret(deployment: Deployment) -> None:
    """adminSecretArn resolves to an admin secret that exists, also across stacks (the imported admin)."""
    admins = {
        run.physical_ids[k]
        for run in deployment.stacks.values()
        for k, t in datadog_secrets(run).items()
        if t == "DatadogAdminKey"
    }
    named = [
        m["Value"]
        for run in deployment.stacks.values()
        for s in run.of_type("AWS::SecretsManager::RotationSchedule").values()
        for m in resolve(s["Properties"].get("ExternalSecretRotationMetadata", []), run.context)
        if m["Key"] == "adminSecretArn"
    ]
    assert named
    assert set(named) <= admins
    across = [
        run.name
        for run in deployment.stacks.values()
        if not any(t == "DatadogAdminKey" for t in datadog_secrets(run).values())
        and run.of_type("AWS::SecretsManager::RotationSchedule")
    ]
    assert across, "no example rotates children of an admin from another stack"


def test_exports_and_imports_are_the_synthesized_ones(deployment: Deployment) -> None:
    expected = {
        resolve(o["Export"]["Name"], run.context): resolve(o["Value"], run.context)
        for run in deployment.stacks.values()
        for o in run.template.get("Outputs", {}).values()
        if "Export" in o
    }
    assert deployment.exports == expected
    importers = {
        name: sorted(
            run.name for run in deployment.stacks.values() if f'"Fn::ImportValue": "{name}"' in json.dumps(run.template)
        )
        for name in expected
    }
    assert any(importers.values()), "no example imports another stack's export"
    if any(deployment.imports.values()):
        assert deployment.imports == importers
    else:
        # LocalStack 2026.3.0 lists no importer for any export (ListImports answers empty or fails).
        # The imports are proven otherwise: each importing stack deployed (CloudFormation resolves
        # Fn::ImportValue at deploy time or fails), and test_deployed_resources_are_the_synthesized_ones
        # compares the deployed documents after resolving each Fn::ImportValue through these exports.
        assert {s for names in importers.values() for s in names} <= set(deployment.stacks)


def test_alert_rules_match_rotation_failures_of_their_own_stacks_secrets(deployment: Deployment) -> None:
    matches = deployment.probes["event_matches"]
    rules = [(run, k) for run in deployment.stacks.values() for k in run.of_type("AWS::Events::Rule")]
    assert rules, "no example has rotation alerts"
    for run, rule_id in rules:
        result = matches[f"{run.name}/{rule_id}"]
        assert isinstance(result, dict), result
        own = {run.physical_ids[k] for k in datadog_secrets(run)}
        assert {arn for arn, hit in result.items() if hit} == own


# --- a consumer in another stack (issue 11) ---------------------------------------------------


def test_consumer_stacks_hold_no_key_and_no_rotation(deployment: Deployment) -> None:
    for run, _ in consumers(deployment):
        assert run.parameters == {}, run.name
        assert not run.of_type("AWS::SecretsManager::Secret"), run.name
        assert not run.of_type("AWS::SecretsManager::RotationSchedule"), run.name


def test_a_consumer_stack_deploys_after_the_keys_stack_it_imports_from(deployment: Deployment) -> None:
    order = list(deployment.stacks)
    for run, keys in consumers(deployment):
        assert order.index(keys.name) < order.index(run.name)
        exported = {resolve(o["Export"]["Name"], keys.context) for o in keys.template.get("Outputs", {}).values()}
        imported = imports(run.template)
        assert imported, f"{run.name} imports nothing"
        assert imported <= exported, imported - exported


def test_consumer_roles_read_one_secret_of_the_keys_stack_and_decrypt_it_with_its_key(deployment: Deployment) -> None:
    """On the deployed IAM documents (imports resolved by CloudFormation): each consumer role that
    reads a secret reads exactly one, a key (never the admin) of the stack it imports from, writes
    none, and may use kms:Decrypt only with the KMS key that secret is encrypted with (as Secrets
    Manager reports it), only through Secrets Manager in this region and only for that secret."""
    secrets = every_secret(deployment)
    candidates = set(secrets) | outsiders(secrets)
    for run, keys in consumers(deployment):
        readers = 0
        for role_id in run.of_type("AWS::IAM::Role"):
            rights = access.role_access(run, role_id, candidates)
            where = f"{run.name}/{role_id}"
            # Every consumer role, the ones that read nothing included: no write, no KMS use
            # outside Secrets Manager.
            assert rights.writes == frozenset(), where
            assert rights.kms_without_via_service == (), where
            if not rights.reads and not rights.key_uses:
                continue  # e.g. the task role: reads nothing
            readers += 1
            (secret_arn,) = rights.reads
            owner, secret_id = secrets[secret_arn]
            assert owner is keys, where
            assert datadog_secrets(keys)[secret_id] != "DatadogAdminKey", where
            key_arn = read(keys, secret_id)["KmsKeyId"]
            assert key_arn in {read(keys, k)["Arn"] for k in keys.of_type("AWS::KMS::Key")}, where
            assert rights.key_uses == {(key_arn, secret_arn)}, where
            _, policies = access.documents(run, role_id)
            via = {
                v
                for document in policies
                for statement in as_list(document["Statement"])
                if KMS_DECRYPT in as_list(statement["Action"])
                for v in as_list(statement["Condition"]["StringEquals"]["kms:ViaService"])
            }
            assert via == {f"secretsmanager.{run.context.region}.amazonaws.com"}, where
        assert readers == 2, f"{run.name}: the Agent's execution role and the CI role read a secret"


def test_consumer_task_takes_the_api_key_field_of_the_secret_its_execution_role_may_read(
    deployment: Deployment,
) -> None:
    """The emulator serves no ECS API (test_emulator_gaps_are_as_documented): the task's secret
    reference is the template's, resolved with the exports the keys stack really deployed, and must
    name the one secret that the deployed execution role may read."""
    secrets = every_secret(deployment)
    candidates = set(secrets) | outsiders(secrets)
    tasks = 0
    for run, keys in consumers(deployment):
        for task in run.of_type("AWS::ECS::TaskDefinition").values():
            tasks += 1
            execution_role = task["Properties"]["ExecutionRoleArn"]["Fn::GetAtt"][0]
            (readable,) = access.role_access(run, execution_role, candidates).reads
            assert datadog_secrets(keys)[secrets[readable][1]] == "DatadogApiKey"
            references = [
                resolve(secret["ValueFrom"], run.context)
                for container in task["Properties"]["ContainerDefinitions"]
                for secret in container.get("Secrets", [])
            ]
            assert references == [f"{readable}:apiKey::"]
    assert tasks, "no consumer stack has a task definition"


def test_consumers_leave_the_keys_stacks_key_policy_as_it_was(deployment: Deployment) -> None:
    """The grants are in the consumers' own policies: the keys stack's KMS key policy, read after
    every stack was deployed, is the one deployed with the keys stack and names no consumer role."""
    after = deployment.probes["key_policies"]
    for run, keys in consumers(deployment):
        roles = {read(run, r)["Arn"] for r in run.of_type("AWS::IAM::Role")}
        assert roles
        assert keys.of_type("AWS::KMS::Key"), f"{keys.name} has no KMS key: nothing compared"
        for key_id in keys.of_type("AWS::KMS::Key"):
            now = after[f"{keys.name}/{key_id}"]
            assert json.loads(now) == json.loads(read(keys, key_id)["KeyPolicy"])
            assert not [arn for arn in roles if arn in now], key_id
            assert run.name not in now


# --- update --------------------------------------------------------------------------------


def test_reseeding_one_key_updates_only_its_secret(updated: Update) -> None:
    assert len(updated.expected) == 1
    assert updated.reseeded == updated.expected
    (changed,) = updated.expected
    for logical_id, before in updated.secrets_before.items():
        if logical_id != changed:
            assert updated.secrets_after[logical_id] == before, logical_id


def test_a_deploy_with_nothing_changed_changes_no_resource(updated: Update) -> None:
    assert updated.unchanged_deploy_events == []


# --- destroy -------------------------------------------------------------------------------


def test_destroy_removes_every_stack(destroyed: Destroy) -> None:
    assert destroyed.stacks_left == []


def test_destroy_keeps_exactly_what_the_templates_retain(destroyed: Destroy) -> None:
    kept_or_not = {key: exists for key, (exists, retained) in destroyed.resources.items() if exists != retained}
    assert kept_or_not == {}


def test_destroy_keeps_every_secret_and_the_keys_that_encrypt_them(destroyed: Destroy, deployment: Deployment) -> None:
    for run in deployment.stacks.values():
        for logical_id, secret in run.of_type("AWS::SecretsManager::Secret").items():
            assert destroyed.resources[(run.name, logical_id, "AWS::SecretsManager::Secret")][0], logical_id
            key = secret["Properties"].get("KmsKeyId", {}).get("Fn::GetAtt", [None])[0]
            if key is not None:
                assert destroyed.resources[(run.name, key, "AWS::KMS::Key")][0], key


def test_a_consumer_stack_is_destroyed_first_and_leaves_the_keys_stack_untouched(destroyed: Destroy) -> None:
    assert CONSUMER_STACKS, "app.py has no consumer stack"
    for consumer, keys in CONSUMER_STACKS.items():
        assert destroyed.order.index(consumer) < destroyed.order.index(keys)
    # No destroy changed a stack still deployed (a keys stack keeps its secrets and exports).
    assert {name: events for name, events in destroyed.events_elsewhere.items() if events} == {}


def test_destroy_removes_the_rotation_roles(destroyed: Destroy) -> None:
    roles = {key: exists for key, (exists, _) in destroyed.resources.items() if key[2] == "AWS::IAM::Role"}
    assert roles
    assert not any(roles.values())


# --- what the emulator serves and models (the README's list; update both together) -----------


def test_emulator_gaps_are_as_documented(deployment: Deployment) -> None:
    probes: dict[str, Any] = deployment.probes
    # DescribeSecret returns none of the managed-external-secret fields: Type and rotation are
    # checked on the template (synth tests), not here.
    assert not {"Type", "RotationEnabled", "RotationRules", "ExternalSecretRotationRoleArn"} & set(
        probes["describe_secret_fields"]
    )
    assert probes["allowed_pattern_enforced"] is False
    not_applied = [
        (resource_type, key, run.name, logical_id)
        for resource_type, key in readback.NOT_APPLIED
        for run in deployment.stacks.values()
        for logical_id in run.of_type(resource_type)
        if key in run.expected(logical_id)
    ]
    assert not_applied, "no example uses a property the emulator does not apply: drop it from NOT_APPLIED"
    for resource_type, key, stack, logical_id in not_applied:
        deployed = deployment.stacks[stack].read[logical_id]
        assert deployed is not None
        assert deployed[key] is None, f"the emulator now applies {resource_type}.{key}: compare it in compare.py"
    # ECS: CloudFormation accepts a task definition (physical id "unknown") and no ECS API answers.
    ecs = [physical for ids in probes["task_definitions"].values() for physical in ids]
    assert ecs
    assert set(ecs) == {"unknown"}
    assert NOT_EMULATED in probes["ecs:DescribeTaskDefinition"], probes["ecs:DescribeTaskDefinition"]
    # CodeBuild, the same: the CI project deploys with physical id "unknown" and no CodeBuild API
    # answers, so its name, role and build spec are checked on the template (tests/test_examples.py).
    projects = [physical for ids in probes["codebuild_projects"].values() for physical in ids]
    assert projects
    assert set(projects) == {"unknown"}
    assert NOT_EMULATED in probes["codebuild:BatchGetProjects"], probes["codebuild:BatchGetProjects"]


def test_emulator_does_not_write_a_reseeded_value(updated: Update) -> None:
    """CloudFormation reports the re-seeded secret UPDATE_COMPLETE, yet the emulator keeps the old
    value and version: the new SecretString is checked on the template, not here."""
    (changed,) = updated.expected
    assert updated.secrets_after[changed] == updated.secrets_before[changed]


def test_ddsecrets_cli_calls_served_by_the_emulator(deployment: Deployment) -> None:
    served = deployment.probes["served"]
    assert {k for k, v in served.items() if v == "served"} == {
        "cloudformation:GetTemplate",
        "cloudformation:DescribeStacks",
        "secretsmanager:DescribeSecret",
        "secretsmanager:ListSecretVersionIds",
    }
    for call in ("cloudformation:SetStackPolicy", "cloudformation:GetStackPolicy", "cloudtrail:LookupEvents"):
        assert NOT_EMULATED in served[call], served[call]


def test_ddsecrets_subcommands_against_the_deployed_stack(deployment: Deployment) -> None:
    """guard passes on the stack just deployed from the same cdk.out (its calls are served); status
    and protect fail because the emulator serves neither rotation fields nor CloudTrail LookupEvents,
    nor SetStackPolicy: they must say so and exit non-zero, never pass silently."""
    runs = deployment.probes["cli"]
    code, output = runs["guard"]
    assert code == 0, output
    for command in ("status", "protect"):
        code, output = runs[command]
        assert code != 0, (command, output)


def test_readme_rotation_checks_against_the_emulator(deployment: Deployment) -> None:
    """Section 4 of "Deploying for real": the Secrets Manager reads work; CloudTrail and
    rotate-secret (no managed rotation here) do not."""
    checks = deployment.probes["readme_checks"]
    assert checks
    for command, (code, output) in checks.items():
        if command.startswith(("aws secretsmanager describe-secret", "aws secretsmanager list-secret-version-ids")):
            assert code == 0, (command, output)
        elif command.startswith("aws cloudtrail lookup-events"):
            assert code != 0, (command, output)
            assert NOT_EMULATED in output, (command, output)
        elif command.startswith("aws secretsmanager rotate-secret"):
            assert code != 0, (command, output)
            assert "No Lambda rotation function" in output, (command, output)
        else:
            raise AssertionError(f"a new README check command: say here what the emulator does with it: {command}")
