"""DatadogRotationRole: trust, least-privilege permissions, KMS, and safe deploy order.

Invariants are checked on every configuration the suite synthesizes.
"""

from __future__ import annotations

import json
from collections import Counter
from functools import cache
from graphlib import CycleError, TopologicalSorter
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk.assertions import Match, Template
from constructs import Construct

from ddsecrets_constructs import (
    ApiKeySpec,
    ApplicationKeySpec,
    DatadogAdminKeySecret,
    DatadogApiKeySecret,
    DatadogManagedSecrets,
    DatadogRotationRole,
    DdSecretsValidationError,
)
from ddsecrets_constructs._iam_budget import MANAGED_POLICIES_PER_ROLE, MANAGED_POLICY_LIMIT, TRUST_POLICY_LIMIT
from tests.iam_access import Environment, RotationRoleFacts, TemplateResolver, template_access
from tests.support import (
    ACCOUNT,
    ADMIN_ARN,
    REGION,
    SERVICE_ACCOUNT,
    WORST_CASE_ENV,
    _family,
    admin_props,
    api_key_id,
    app_key_id,
    as_list,
    built,
    configuration_names,
    iter_templates,
    new_stack,
    param,
    policy_size,
    schedule_resource,
    statements,
    stored_key,
    warnings_of,
)

ALL = configuration_names()
WRITE_ACTIONS = {"secretsmanager:PutSecretValue", "secretsmanager:UpdateSecretVersionStage"}


def roles(template: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == "AWS::IAM::Role"}


def rotation_roles(template: dict[str, Any]) -> dict[str, Any]:
    return {
        k: v
        for k, v in roles(template).items()
        if v["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"].get("Service")
        == "secretsmanager.amazonaws.com"
    }


def policies_of_role(template: dict[str, Any], role_id: str) -> dict[str, Any]:
    return {
        k: v
        for k, v in template["Resources"].items()
        if v["Type"] in ("AWS::IAM::ManagedPolicy", "AWS::IAM::Policy")
        and {"Ref": role_id} in v["Properties"].get("Roles", [])
    }


def shared_role_key(
    stack: cdk.Stack, admin: DatadogAdminKeySecret, role: DatadogRotationRole, index: int, **extra: Any
) -> DatadogApiKeySecret:
    """API key ``Key<index>`` of ``admin``, rotated by the shared ``role``."""
    return DatadogApiKeySecret(
        stack,
        f"Key{index}",
        admin=admin,
        api_key=param(stack, f"K{index}"),
        api_key_id=api_key_id(stack),
        rotation_role=role,
        **extra,
    )


@pytest.mark.parametrize("name", ALL)
def test_no_wildcard_actions_no_type_only_conditions_and_star_only_where_unavoidable(name: str) -> None:
    for _, template in [(name, built(name).json)]:
        for resource in template["Resources"].values():
            if resource["Type"] not in ("AWS::IAM::ManagedPolicy", "AWS::IAM::Policy"):
                continue
            for statement in statements(resource):
                actions = as_list(statement["Action"])
                assert not any(a.endswith(":*") or a == "*" for a in actions), actions
                conditions = json.dumps(statement.get("Condition", {}))
                assert "secretsmanager:resource/Type" not in conditions
                if statement["Resource"] == "*":
                    assert actions == ["secretsmanager:GetRandomPassword"], statement


def test_child_in_another_stack_reads_the_admin_arn_across_stacks_without_a_resource_dependency() -> None:
    configuration = built("cross_stack")
    schedule = schedule_resource(configuration, configuration.refs["api_key"])
    (item,) = schedule["Properties"]["ExternalSecretRotationMetadata"]
    assert item["Key"] == "adminSecretArn"
    assert "Fn::ImportValue" in item["Value"]
    # Only its own role's policies (rotation, GetRandomPassword): the admin stack deploys first.
    assert len(schedule["DependsOn"]) == 2
    assert configuration.refs["admin_stack"] in configuration.stack.dependencies


def _references(value: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(value, dict):
        if "Ref" in value and not value["Ref"].startswith("AWS::"):
            found.add(value["Ref"])
        if "Fn::GetAtt" in value:
            found.add(value["Fn::GetAtt"][0])
        for v in value.values():
            found |= _references(v)
    elif isinstance(value, list):
        for v in value:
            found |= _references(v)
    return found


@pytest.mark.parametrize(("name", "template"), list(iter_templates()))
def test_templates_have_no_dependency_cycle(name: str, template: dict[str, Any]) -> None:
    resources = template["Resources"]
    graph = {
        k: (_references(v.get("Properties", {})) | set(v.get("DependsOn", []))) & resources.keys()
        for k, v in resources.items()
    }
    try:
        tuple(TopologicalSorter(graph).static_order())
    except CycleError as cycle:  # pragma: no cover - the assertion message is the point
        pytest.fail(f"{name}: dependency cycle {cycle.args[1]}")


# --- Least privilege against a hostile neighbour (issue 8) ----------------------------------------

ENV = Environment(ACCOUNT, REGION)
FAMILY_KEY_GROUPS = ("/application-keys/*", "/api-keys/*")


def _imports(configuration: Any) -> dict[str, str]:
    """Values of the other stacks' exports, for a child whose admin is in another stack."""
    found: dict[str, str] = {}
    for stack in configuration.app.node.children:
        if isinstance(stack, cdk.Stack) and stack is not configuration.stack:
            template = Template.from_stack(stack).to_json()
            resolver = TemplateResolver(template, ENV)
            for output in template.get("Outputs", {}).values():
                if "Export" in output:
                    found[output["Export"]["Name"]] = resolver.resolve(output["Value"])
    return found


@cache
def access(name: str) -> dict[str, RotationRoleFacts]:
    configuration = built(name)
    return template_access(configuration.json, ENV, _imports(configuration))


def trust_patterns(template: dict[str, Any], role_id: str) -> list[Any]:
    (statement,) = template["Resources"][role_id]["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    return as_list(statement["Condition"]["ArnLike"]["aws:SourceArn"])


@pytest.mark.parametrize("name", ALL)
def test_each_role_may_write_exactly_what_it_rotates_and_only_read_its_admin(name: str) -> None:
    facts = access(name)
    assert facts, f"{name}: no rotation role"
    for role_id, role in facts.items():
        assert role.rotates, f"{role_id} rotates nothing"
        assert role.access.writes == role.rotates, role_id
        assert role.access.reads == role.rotates | role.reads_admins, role_id
        assert not role.access.writes & role.reads_admins, f"{role_id} may write the admin secret it reads"


@pytest.mark.parametrize("name", ALL)
def test_each_role_is_trusted_by_exactly_what_it_rotates_or_its_familys_key_prefixes(name: str) -> None:
    template = built(name).json
    for role_id, role in access(name).items():
        trusted = role.access.trusted
        assert trusted >= role.rotates, role_id
        assert not any(arn.endswith(":secret:outsider-XyZ123") for arn in trusted), f"{role_id} trusts secret:*"
        patterns = trust_patterns(template, role_id)
        if trusted == role.rotates:
            continue
        # Only a family too large for exact ARNs falls back to its own key prefixes.
        resolved = [TemplateResolver(template, ENV).resolve(p) for p in patterns]
        assert all(p.endswith(FAMILY_KEY_GROUPS) for p in resolved), resolved
        exact = {"Statement": [{"Condition": {"ArnLike": {"aws:SourceArn": sorted(role.rotates)}}}]}
        assert policy_size(exact, template) > TRUST_POLICY_LIMIT - 200, f"{role_id} could have listed exact ARNs"
        extra = trusted - role.rotates
        assert all("/outsider-XyZ123" in arn or "-evil-" in arn for arn in extra), extra
        assert not extra & role.reads_admins


@pytest.mark.parametrize("name", ALL)
def test_each_role_may_use_keys_only_through_secrets_manager_for_its_own_secrets(name: str) -> None:
    for role_id, role in access(name).items():
        assert role.access.kms_without_via_service == (), role_id
        mine = role.rotates | role.reads_admins
        for key, secret in role.access.key_uses:
            assert secret in mine, f"{role_id} may decrypt {secret} with {key}"
        for secret in mine:
            if secret in role.encrypted_with:
                assert (role.encrypted_with[secret], secret) in role.access.key_uses, f"{role_id}: {secret}"


def test_the_access_computation_sees_an_over_broad_role() -> None:
    """Control: the checks above must fail on the kind of role the issue found (secret:* trust,
    prefix writes), and the outsiders must be among the candidates."""
    template = json.loads(json.dumps(built("family_1").json))
    role_id = next(iter(rotation_roles(template)))
    statement = template["Resources"][role_id]["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]
    statement["Condition"]["ArnLike"]["aws:SourceArn"] = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:*"
    for policy in policies_of_role(template, role_id).values():
        for policy_statement in statements(policy):
            if policy_statement.get("Sid") == "RotateDatadogSecrets":
                policy_statement["Resource"] = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:TestStack/Datadog/*"
    role = template_access(template, ENV)[role_id]
    assert any(arn.endswith(":secret:outsider-XyZ123") for arn in role.access.trusted)
    assert role.access.writes > role.rotates
    assert role.access.writes & role.reads_admins  # the prefix covers TestStack/Datadog/admin


def test_family_trust_lists_exact_arns_while_they_fit_then_only_its_key_prefixes() -> None:
    small, large = built("family_1"), built("family_60")
    small_role = small.refs["family"].rotation_role
    patterns = trust_patterns(small.json, small.stack.get_logical_id(small_role.role.node.default_child))
    assert patterns == [
        {"Ref": small.stack.get_logical_id(small.refs["family"].api_key("api000").secret.node.default_child)}
    ]
    large_role = large.refs["family"].rotation_role
    patterns = trust_patterns(large.json, large.stack.get_logical_id(large_role.role.node.default_child))
    resolved = [TemplateResolver(large.json, ENV).resolve(p) for p in patterns]
    base = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:TestStack/Datadog"
    assert resolved == [f"{base}/application-keys/*", f"{base}/api-keys/*"]


@pytest.mark.parametrize("name", ALL)
def test_iam_documents_fit_the_default_quotas_with_arns_resolved(name: str) -> None:
    template = built(name).json
    env = WORST_CASE_ENV if name == "tokens" else ("aws", REGION)
    attached: Counter[str] = Counter()
    for resource in template["Resources"].values():
        if resource["Type"] == "AWS::IAM::ManagedPolicy":
            assert policy_size(resource["Properties"]["PolicyDocument"], template, env) <= MANAGED_POLICY_LIMIT
            for role in resource["Properties"]["Roles"]:
                attached[role["Ref"]] += 1
        if resource["Type"] == "AWS::IAM::Role":
            trust = resource["Properties"]["AssumeRolePolicyDocument"]
            assert policy_size(trust, template, env) <= TRUST_POLICY_LIMIT
    assert attached
    assert max(attached.values()) <= MANAGED_POLICIES_PER_ROLE


def test_largest_family_splits_its_keys_role_over_managed_policies_within_the_quota() -> None:
    configuration = built("family_largest")
    template = configuration.json
    assert len(template["Resources"]) <= 500
    role = configuration.refs["family"].rotation_role
    policies = policies_of_role(template, configuration.stack.get_logical_id(role.role.node.default_child))
    assert 2 < len(policies) <= MANAGED_POLICIES_PER_ROLE
    assert len(role.policies) == len(policies) - 1  # and the GetRandomPassword policy


@pytest.mark.parametrize("name", ALL)
def test_every_schedule_waits_for_the_policies_holding_its_statements(name: str) -> None:
    template = built(name).json
    resources = template["Resources"]
    for schedule_id, schedule in resources.items():
        if schedule["Type"] != "AWS::SecretsManager::RotationSchedule":
            continue
        properties = schedule["Properties"]
        depends_on = set(schedule.get("DependsOn", []))
        role_id = properties["ExternalSecretRotationRoleArn"]["Fn::GetAtt"][0]
        needed = {properties["SecretId"]["Ref"]} | {
            json.dumps(i["Value"]) for i in properties.get("ExternalSecretRotationMetadata", [])
        }
        holding = {
            policy_id
            for policy_id, policy in policies_of_role(template, role_id).items()
            if any(needle in json.dumps(s.get("Resource")) for s in statements(policy) for needle in needed)
            or "GetRandomPassword" in json.dumps(statements(policy))
        }
        assert holding, f"{schedule_id}: no policy of its role holds its statements"
        assert holding <= depends_on, f"{schedule_id} does not wait for {holding - depends_on}"
        for item in properties.get("ExternalSecretRotationMetadata", []):
            admin_schedules = [
                k
                for k, v in resources.items()
                if v["Type"] == "AWS::SecretsManager::RotationSchedule" and v["Properties"]["SecretId"] == item["Value"]
            ]
            assert set(admin_schedules) <= depends_on


def test_get_random_password_is_granted_by_default_alone_in_an_unchangeable_policy() -> None:
    configuration = built("seed")
    template = configuration.json
    for role in (configuration.refs["role"], configuration.refs["admin_role"]):
        role_id = configuration.stack.get_logical_id(role.role.node.default_child)
        grp = {k: v for k, v in policies_of_role(template, role_id).items() if "GetRandomPassword" in json.dumps(v)}
        (policy,) = grp.values()
        assert statements(policy) == [
            {
                "Sid": "GetRandomPassword",
                "Effect": "Allow",
                "Action": "secretsmanager:GetRandomPassword",
                "Resource": "*",
            }
        ]
        assert not hasattr(role.node.find_child("GetRandomPassword"), "add_statements")
    _app, stack = new_stack()
    DatadogAdminKeySecret(
        stack,
        "Admin",
        **admin_props(stack),
        rotation_role=DatadogRotationRole(stack, "Role", allow_get_random_password=False),
    )
    assert "GetRandomPassword" not in json.dumps(Template.from_stack(stack).to_json())


def test_children_of_an_imported_admin_read_it_and_decrypt_it_for_its_arn_only() -> None:
    configuration = built("imported_admin")
    for role in access("imported_admin").values():
        assert role.reads_admins == {ADMIN_ARN}
        assert ADMIN_ARN in role.access.reads
        key_uses = {(k, s) for k, s in role.access.key_uses if s == ADMIN_ARN}
        assert key_uses == {(configuration.refs["admin"].encryption_key.key_arn, ADMIN_ARN)}


# --- Refusals -------------------------------------------------------------------------------------


def test_fails_when_one_role_would_rotate_an_admin_and_a_child() -> None:
    _, stack = new_stack()
    role = DatadogRotationRole(stack, "Shared")
    admin = DatadogAdminKeySecret(stack, "Admin", **admin_props(stack), rotation_role=role)
    with pytest.raises(
        DdSecretsValidationError,
        match=r"(?s)TestStack/ApiKey: .*`rotation_role`: got the "
        r"DatadogRotationRole at 'TestStack/Shared', which already rotates admin secrets.*"
        r"must never be able to write the admin secret it reads",
    ):
        DatadogApiKeySecret(
            stack, "ApiKey", admin=admin, api_key=param(stack, "K"), api_key_id=api_key_id(stack), rotation_role=role
        )
    _, stack = new_stack()
    role = DatadogRotationRole(stack, "Shared")
    admin = DatadogAdminKeySecret(stack, "Admin", **admin_props(stack))
    DatadogApiKeySecret(
        stack, "ApiKey", admin=admin, api_key=param(stack, "K"), api_key_id=api_key_id(stack), rotation_role=role
    )
    with pytest.raises(DdSecretsValidationError, match="which already rotates API and application keys"):
        DatadogAdminKeySecret(stack, "Admin2", **admin_props(stack), rotation_role=role)


@pytest.mark.parametrize("description", ["Rotation role \u2013 team A", "Rotation role \u2713", "a\x00b"])
def test_a_role_description_iam_refuses_is_refused(description: str) -> None:
    _, stack = new_stack()
    with pytest.raises(
        DdSecretsValidationError, match=r"(?s)TestStack/Role: .*`description`: .*a description IAM accepts"
    ):
        DatadogRotationRole(stack, "Role", description=description)
    DatadogRotationRole(stack, "Latin1", description="Rotation role, équipe A\tcafé")  # Latin-1 and a tab


def test_a_keys_role_trusting_name_prefixes_warns_naming_them_and_the_way_out() -> None:
    (warning,) = [w for w in warnings_of(built("family_60")) if "keysRoleTrustsPrefixes" in w]
    assert "[ack: ddsecrets-constructs:keysRoleTrustsPrefixes]" in warning
    assert "this family's 60 keys" in warning
    assert "TestStack/Datadog/application-keys/* or TestStack/Datadog/api-keys/*" in warning
    assert "it can read the admin secret" in warning
    assert "admin=family.admin" in warning
    assert not [w for w in warnings_of(built("family")) if "keysRoleTrustsPrefixes" in w]


def test_families_sharing_one_admin_each_trust_their_own_keys_exactly() -> None:
    """The way out the warning names: 30 keys over two families of one admin, no prefix trusted."""
    _, stack = new_stack()
    first = _family(stack, api_keys=0, app_keys=15)
    second = DatadogManagedSecrets(
        stack,
        "More",
        admin=first.admin,
        application_keys={
            f"app{i:03d}": ApplicationKeySpec(app_key=param(stack, f"More{i}"), app_key_id=app_key_id(stack))
            for i in range(15)
        },
    )
    template = dict(Template.from_stack(stack).to_json())
    for family in (first, second):
        assert family.rotation_role is not None
        role = family.rotation_role.role.node.default_child
        assert isinstance(role, cdk.CfnElement)
        trusted = trust_patterns(template, stack.get_logical_id(role))
        assert len(trusted) == 15
        assert all(set(t) == {"Ref"} for t in trusted)
    warnings = cdk.assertions.Annotations.from_stack(stack).find_warning("*", Match.any_value())
    assert not [w for w in warnings if "keysRoleTrustsPrefixes" in str(w.entry.data)]


def test_a_familys_keys_role_given_to_another_key_trusts_it_exactly_or_refuses_it() -> None:
    """Past 2,048 characters a family's keys role trusts its keys by their name prefixes, which never
    cover another construct's secret: a key given that role must fit as an exact ARN, else it would
    be written by a role that does not trust it (rotation failing after a green deploy)."""

    def key_on_the_familys_role(stack: cdk.Stack, family: DatadogManagedSecrets, name: str) -> DatadogApiKeySecret:
        return DatadogApiKeySecret(
            stack,
            name,
            admin=family.admin,
            api_key=param(stack, name),
            api_key_id=api_key_id(stack),
            rotation_role=family.rotation_role,
            secret_name=f"other/{name}",
        )

    _, stack = new_stack()
    small = _family(stack, api_keys=0, app_keys=1)
    assert small.rotation_role is not None
    own = key_on_the_familys_role(stack, small, "Own")
    template = dict(Template.from_stack(stack).to_json())
    role, secret = small.rotation_role.role.node.default_child, own.secret.node.default_child
    assert isinstance(role, cdk.CfnElement)
    assert isinstance(secret, cdk.CfnElement)
    assert {"Ref": stack.get_logical_id(secret)} in trust_patterns(template, stack.get_logical_id(role))

    _, stack = new_stack()
    large = _family(stack, api_keys=0, app_keys=25)
    with pytest.raises(
        DdSecretsValidationError,
        match=r"(?s)TestStack/Other: .*`rotation_role`: got the DatadogRotationRole at "
        r"'TestStack/Datadog/RotationRole', already trusted by 25 secrets "
        r"\(a family's keys role, trusting its keys by their name prefixes\).*"
        r"still fits IAM's 2048 characters with one more exact secret ARN",
    ):
        key_on_the_familys_role(stack, large, "Other")


def test_fails_when_a_shared_role_would_be_trusted_by_more_secrets_than_its_trust_policy_holds() -> None:
    _, stack = new_stack()
    role = DatadogRotationRole(stack, "Shared")
    admin = DatadogAdminKeySecret(stack, "Admin", **admin_props(stack))

    def key(index: int) -> DatadogApiKeySecret:
        return shared_role_key(stack, admin, role, index, secret_name="k" * 400 + str(index))

    for index in range(3):  # three ARNs of about 480 characters fit in 2,048
        key(index)
    expected = r"(?s)TestStack/Key3: .*already trusted by 3 secrets; a role whose trust policy still fits IAM's 2048"
    with pytest.raises(DdSecretsValidationError, match=expected):
        key(3)


def test_a_secret_granted_after_the_roles_policies_were_read_gets_a_policy_of_its_own() -> None:
    """CDK reads a role's statements once and keeps them: a secret granted after they were read
    (here by ``stack.resolve`` before the last key) goes into a new managed policy, not nowhere."""
    app, stack = new_stack()
    role = DatadogRotationRole(stack, "Shared", allow_get_random_password=False)
    admin = DatadogAdminKeySecret(stack, "Admin", **admin_props(stack), encryption_key=kms.Key(stack, "Key"))

    def key(index: int) -> DatadogApiKeySecret:
        return shared_role_key(stack, admin, role, index, encryption_key=admin.encryption_key)

    early = [key(1), key(2)]
    stack.resolve(role.policy.document)
    late = key(3)
    template = app.synth().get_stack_by_name(stack.stack_name).template
    ref = stack.resolve

    def logical_id(policy: iam.ManagedPolicy) -> str:
        resource = policy.node.default_child
        assert isinstance(resource, iam.CfnManagedPolicy)
        return stack.get_logical_id(resource)

    def granted(policy: iam.ManagedPolicy) -> dict[str, list[Any]]:
        document = template["Resources"][logical_id(policy)]["Properties"]
        by_sid = {s["Sid"]: s for s in document["PolicyDocument"]["Statement"]}
        return {
            "rotate": by_sid["RotateDatadogSecrets"]["Resource"],
            "kms": by_sid["UseKeysToRotate"]["Condition"]["StringEquals"]["kms:EncryptionContext:SecretARN"],
            "admin": as_list(by_sid["ReadDatadogAdminSecrets"]["Resource"])
            if "ReadDatadogAdminSecrets" in by_sid
            else [],
        }

    assert [p.node.id for p in role.policies] == ["Policy", "Policy2"]
    first, second = role.policies
    early_arns = [ref(k.rotation_schedule.secret_id) for k in early]
    assert granted(first) == {
        "rotate": early_arns,
        "kms": early_arns,
        "admin": [ref(admin.rotation_schedule.secret_id)],
    }
    late_arn = ref(late.rotation_schedule.secret_id)
    assert granted(second) == {"rotate": [late_arn], "kms": [late_arn], "admin": []}  # read by the first
    depends_on = template["Resources"][stack.get_logical_id(late.rotation_schedule)]["DependsOn"]
    assert logical_id(second) in depends_on


def test_fails_when_a_secret_granted_after_its_roles_policies_were_read_would_need_an_eleventh_policy() -> None:
    _, stack = new_stack()
    role = DatadogRotationRole(stack, "Shared")  # GetRandomPassword's policy is the tenth
    admin = DatadogAdminKeySecret(stack, "Admin", **admin_props(stack))

    for index in range(1, MANAGED_POLICIES_PER_ROLE):  # each read policy closed: one policy per key
        shared_role_key(stack, admin, role, index)
        stack.resolve(role.policies[-1].document)
    assert len(role.policies) == MANAGED_POLICIES_PER_ROLE - 1
    with pytest.raises(
        DdSecretsValidationError,
        match=r"(?s)TestStack/Key10: .*the DatadogRotationRole at 'TestStack/Shared', whose 9 managed policies "
        r"are full",
    ):
        shared_role_key(stack, admin, role, MANAGED_POLICIES_PER_ROLE)


def test_fails_when_a_family_has_more_keys_than_its_role_can_list() -> None:
    _, stack = new_stack()
    with pytest.raises(
        DdSecretsValidationError,
        match=r"`application_keys/api_keys`: got 300 keys named under "
        r"'TestStack/Datadog'; a family whose keys role fits 9 managed policies .* split the keys",
    ):
        _family(stack, api_keys=300, app_keys=0, key_source=stored_key, encryption_key=kms.Key(stack, "Key"))


def test_unused_role_fails_synthesis_rather_than_trust_every_secret() -> None:
    app, stack = new_stack()
    DatadogRotationRole(stack, "Unused")
    with pytest.raises(Exception, match="TestStack/Unused: this DatadogRotationRole rotates no secret"):
        app.synth()


@pytest.mark.parametrize(
    ("first", "second"),
    [("datadog", "datadog/api-keys/team"), ("datadog/sre", "datadog"), ("datadog", "datadog")],
)
def test_fails_when_family_prefixes_overlap_naming_both_constructs(first: str, second: str) -> None:
    _, stack = new_stack()
    DatadogManagedSecrets(stack, "First", **admin_props(stack), secret_name_prefix=first)
    with pytest.raises(
        DdSecretsValidationError,
        match=rf"(?s)TestStack/Second: .*`secret_name_prefix`: got '{second}'; "
        rf"a name that no other construct of the app uses: 'TestStack/First' already uses the secret "
        rf"name prefix '{first}'",
    ):
        DatadogManagedSecrets(stack, "Second", **admin_props(stack), secret_name_prefix=second)


def test_fails_when_a_secret_name_is_taken_or_lies_under_a_family_prefix() -> None:
    _, stack = new_stack()
    family = DatadogManagedSecrets(stack, "Family", **admin_props(stack), secret_name_prefix="datadog")
    with pytest.raises(DdSecretsValidationError, match="'TestStack/Family' already uses the secret name prefix"):
        DatadogApiKeySecret(
            stack,
            "Intruder",
            admin=family.admin,
            api_key=param(stack, "K"),
            api_key_id=api_key_id(stack),
            secret_name="datadog/api-keys/intruder",
        )
    DatadogAdminKeySecret(stack, "Admin", **admin_props(stack), secret_name="datadog-admin")
    with pytest.raises(
        DdSecretsValidationError, match="'TestStack/Admin' already uses the secret name 'datadog-admin'"
    ):
        DatadogAdminKeySecret(stack, "Admin2", **admin_props(stack), secret_name="datadog-admin")


def test_fails_when_a_family_prefix_would_contain_a_secret_named_before_it() -> None:
    _, stack = new_stack()
    admin = DatadogAdminKeySecret(stack, "Admin", **admin_props(stack))
    DatadogApiKeySecret(
        stack, "Early", admin=admin, api_key=param(stack, "K"), api_key_id=api_key_id(stack), secret_name="dd/x/y/early"
    )
    with pytest.raises(DdSecretsValidationError, match="'TestStack/Early' already uses the secret name 'dd/x/y/early'"):
        DatadogManagedSecrets(stack, "Family", **admin_props(stack), secret_name_prefix="dd/x")
    with pytest.raises(DdSecretsValidationError, match="'TestStack/Early' already uses the secret name 'dd/x/y/early'"):
        DatadogManagedSecrets(stack, "Other", **admin_props(stack), secret_name_prefix="dd")
    DatadogManagedSecrets(stack, "Sibling", **admin_props(stack), secret_name_prefix="dd/x/y/early-team")


def test_same_names_in_another_region_are_fine() -> None:
    app, stack = new_stack()
    other = cdk.Stack(app, "Other", env=cdk.Environment(account=ACCOUNT, region="us-east-1"))
    DatadogManagedSecrets(stack, "Family", **admin_props(stack), secret_name_prefix="datadog")
    DatadogManagedSecrets(other, "Family", **admin_props(other), secret_name_prefix="datadog")


def test_default_prefix_is_unique_per_construct_path_and_unchanged_directly_in_a_stack() -> None:
    _, stack = new_stack()
    direct = DatadogManagedSecrets(stack, "Datadog", **admin_props(stack))
    first = DatadogManagedSecrets(Construct(stack, "TeamA"), "Datadog", **admin_props(stack))
    second = DatadogManagedSecrets(Construct(stack, "TeamB"), "Datadog", **admin_props(stack))
    assert direct.secret_name_prefix == "TestStack/Datadog"
    assert (first.secret_name_prefix, second.secret_name_prefix) == (
        "TestStack/TeamA/Datadog",
        "TestStack/TeamB/Datadog",
    )


def test_fails_on_a_deploy_time_prefix() -> None:
    _, stack = new_stack()
    prefix = cdk.CfnParameter(stack, "Prefix").value_as_string
    with pytest.raises(
        DdSecretsValidationError, match=r"`secret_name_prefix`: got a deploy-time value; a literal prefix"
    ):
        DatadogManagedSecrets(stack, "Datadog", **admin_props(stack), secret_name_prefix=prefix)


@pytest.mark.parametrize("name", ["datadog-*", "data?dog-AbC123", "datadog admin-AbC123", "datadog\tx-AbC123"])
def test_fails_on_an_imported_admin_arn_with_wildcards_or_white_space(name: str) -> None:
    _, stack = new_stack()
    arn = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:{name}"
    with pytest.raises(DdSecretsValidationError, match=r"'\*' and '\?' would be wildcards"):
        DatadogAdminKeySecret.from_admin_secret_attributes(
            stack, "Admin", secret_complete_arn=arn, service_account_id=SERVICE_ACCOUNT
        )


def reader_warnings(stack: cdk.Stack) -> dict[str, str]:
    found = cdk.assertions.Annotations.from_stack(stack).find_warning("*", Match.any_value())
    return {w.id: str(w.entry.data) for w in found if "adminSecretReader" in str(w.entry.data)}


def secret_arn(stack: cdk.Stack, name: str) -> str:
    return stack.format_arn(
        service="secretsmanager", resource="secret", resource_name=name, arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME
    )


# Reader role -> (the statement's keys, whether it reads the admin named "datadog/admin").
PATTERN_READERS: dict[str, tuple[dict[str, Any], bool]] = {
    "GetStar": ({"actions": ["secretsmanager:Get*"], "resources": ["*"]}, True),
    "LowerCaseAction": ({"actions": ["SecretsManager:getsecretvalue"], "resources": ["*"]}, True),
    "AnySecret": ({"actions": ["secretsmanager:GetSecretValue"], "resources": ["secret:*"]}, True),
    "DatadogNames": ({"actions": ["secretsmanager:GetSecretValue"], "resources": ["secret:datadog/*"]}, True),
    "AdminSuffix": ({"actions": ["secretsmanager:GetSecretValue"], "resources": ["secret:datadog/admin-??????"]}, True),
    "OneLiveArn": ({"actions": ["secretsmanager:GetSecretValue"], "resources": ["secret:datadog/admin-Ab12Cd"]}, True),
    "ServiceWide": ({"actions": ["secretsmanager:GetSecretValue"], "resources": ["arn:aws:secretsmanager:*"]}, True),
    "NotPut": ({"not_actions": ["secretsmanager:PutSecretValue"], "resources": ["*"]}, True),
    "AllButOther": ({"actions": ["secretsmanager:GetSecretValue"], "not_resources": ["secret:other/*"]}, True),
    # Patterns that cannot reach the admin's ARN: no warning.
    "OtherNames": ({"actions": ["secretsmanager:GetSecretValue"], "resources": ["secret:other/*"]}, False),
    "LongerName": ({"actions": ["secretsmanager:GetSecretValue"], "resources": ["secret:datadog/admin2-*"]}, False),
    "OtherAccount": ({"actions": ["secretsmanager:GetSecretValue"], "resources": ["other-account"]}, False),
    "DescribeOnly": ({"actions": ["secretsmanager:Describe*"], "resources": ["*"]}, False),
    "NotGet": ({"not_actions": ["secretsmanager:Get*"], "resources": ["*"]}, False),
    "AllButAdmin": ({"actions": ["secretsmanager:GetSecretValue"], "not_resources": ["secret:datadog/*"]}, False),
    "BucketObjects": ({"actions": ["*"], "resources": ["bucket"]}, False),
}


@cache
def pattern_readers() -> dict[str, str]:
    """One stack: an admin named ``datadog/admin`` and a role for each statement of PATTERN_READERS."""
    _, stack = new_stack()
    DatadogAdminKeySecret(stack, "Admin", **admin_props(stack), secret_name="datadog/admin")
    bucket = cdk.aws_s3.Bucket(stack, "Bucket", enforce_ssl=True)

    def arn(resource: str) -> str:
        if resource == "bucket":
            return bucket.arn_for_objects("*")
        if resource == "other-account":
            return f"arn:aws:secretsmanager:{REGION}:999999999999:secret:datadog/*"
        return secret_arn(stack, resource.removeprefix("secret:")) if resource.startswith("secret:") else resource

    for role, (keys, _) in PATTERN_READERS.items():
        statement: dict[str, Any] = {k: [arn(r) for r in v] if "resources" in k else v for k, v in keys.items()}
        iam.Role(stack, role, assumed_by=iam.AccountRootPrincipal()).add_to_policy(iam.PolicyStatement(**statement))
    return reader_warnings(stack)


@pytest.mark.parametrize(("role", "reads"), [(role, reads) for role, (_, reads) in PATTERN_READERS.items()])
def test_a_pattern_that_can_match_the_admin_secret_warns_and_one_that_cannot_does_not(role: str, reads: bool) -> None:
    """IAM's matching: wildcards in actions (case-insensitive) and ARNs, NotAction, NotResource; the
    partition, region and account in a ``format_arn`` are deploy-time ``Ref``s and match anything."""
    warnings = pattern_readers()
    path = f"/TestStack/{role}/DefaultPolicy/Resource"
    assert (path in warnings) is reads
    if reads and role not in ("GetStar", "LowerCaseAction", "NotPut"):
        assert "the admin secret at 'TestStack/Admin'" in warnings[path]


def test_readers_written_with_fn_sub_inline_user_and_group_policies_or_a_generated_name_warn() -> None:
    """ "Any identity policy", "as IAM matches them": an ``Fn::Sub`` ARN with pseudo parameters (the
    stack name included), an admin's ``Ref`` written as ``Fn::Sub``, IAM policy variables, the
    inline policies of users and groups (and the inline policy resources), and a pattern over the
    logical id CloudFormation starts a generated name with."""
    _, stack = new_stack()
    DatadogAdminKeySecret(stack, "Named", **admin_props(stack), secret_name="datadog/admin")
    generated = DatadogAdminKeySecret(stack, "Generated", **admin_props(stack))
    read = {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue"}

    def document(resource: Any) -> dict[str, Any]:
        return {"Version": "2012-10-17", "Statement": [{**read, "Resource": resource}]}

    sub = cdk.Fn.sub("arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:datadog/*")
    other = cdk.Fn.sub("arn:aws:secretsmanager:eu-west-1:111111111111:secret:${Name}", {"Name": "other/*"})
    unknown = cdk.Fn.sub("arn:aws:secretsmanager:*:*:secret:${Prefix}*", {"Prefix": cdk.Aws.STACK_NAME})
    logical_id = stack.resolve(generated.secret.node.default_child.logical_id)  # type: ignore[union-attr]
    admin_ref = cdk.Fn.sub("${" + logical_id + "}")
    policies = {
        "SubPattern": (sub, True),
        "SubOtherNames": (other, False),
        "SubUnknownVariable": (unknown, False),
        "SubStackName": (cdk.Fn.sub("arn:aws:secretsmanager:*:*:secret:${AWS::StackName}/*"), True),
        "JoinStackName": (secret_arn(stack, f"{cdk.Aws.STACK_NAME}/*"), True),
        "SubAdminRef": (admin_ref, True),
        "PolicyVariable": (secret_arn(stack, "${aws:PrincipalTag/prefix}/*"), True),
        "SubPolicyVariable": (cdk.Fn.sub("arn:aws:secretsmanager:*:*:secret:${!aws:PrincipalTag/prefix}/*"), True),
        "GeneratedName": (secret_arn(stack, f"{logical_id[:5]}*"), True),
        "OtherGeneratedName": (secret_arn(stack, "Elsewhere*"), False),
    }
    user = iam.CfnUser(stack, "User", policies=[{"policyName": "p", "policyDocument": document("*")}])
    group = iam.CfnGroup(stack, "Group", policies=[{"policyName": "p", "policyDocument": document("*")}])
    iam.CfnUserPolicy(stack, "UserPolicy", user_name=user.ref, policy_name="p", policy_document=document("*"))
    iam.CfnGroupPolicy(stack, "GroupPolicy", group_name=group.ref, policy_name="p", policy_document=document("*"))
    role = iam.Role(stack, "Plain", assumed_by=iam.AccountRootPrincipal())
    iam.CfnRolePolicy(stack, "RolePolicy", role_name=role.role_name, policy_name="p", policy_document=document("*"))
    for name, (resource, _) in policies.items():
        iam.CfnManagedPolicy(stack, name, policy_document=document(resource))
    # In a NotResource a variable may not be taken as a wildcard: that would exclude the admin.
    not_resources = {
        "AllButVariable": secret_arn(stack, "${aws:username}*"),
        "AllButStackName": cdk.Fn.sub("arn:aws:secretsmanager:*:*:secret:${AWS::StackName}*"),
        "AllButPolicyVariable": cdk.Fn.sub("arn:aws:secretsmanager:*:*:secret:${!aws:PrincipalTag/team}*"),
    }
    for name, excluded in not_resources.items():
        statement = {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "NotResource": excluded}
        iam.CfnManagedPolicy(stack, name, policy_document={"Version": "2012-10-17", "Statement": [statement]})
    warnings = reader_warnings(stack)
    for name in not_resources:
        assert f"/TestStack/{name}" in warnings, name
    for name in ("User", "Group", "UserPolicy", "GroupPolicy", "RolePolicy"):
        assert f"/TestStack/{name}" in warnings, name
    for name, (_, reads) in policies.items():
        assert (f"/TestStack/{name}" in warnings) is reads, name
    assert "the admin secret at 'TestStack/Named'" in warnings["/TestStack/SubPattern"]
    assert "the admin secret at 'TestStack/Generated'" in warnings["/TestStack/GeneratedName"]


@pytest.mark.parametrize("name", ["seed", "family_alerts", "shared_keys_role", "cross_stack"])
def test_the_librarys_own_readers_of_admin_secrets_do_not_warn(name: str) -> None:
    assert reader_warnings(built(name).stack) == {}


def test_every_policy_that_can_read_an_admin_secret_warns_that_its_principal_can_mint_keys() -> None:
    _, stack = new_stack()
    admin = DatadogAdminKeySecret(stack, "Admin", **admin_props(stack))
    DatadogApiKeySecret(
        stack, "ApiKey", admin=admin, api_key=param(stack, "K"), api_key_id=api_key_id(stack)
    ).grant_read(iam.Role(stack, "ChildReader", assumed_by=iam.AccountRootPrincipal()))
    admin.grant_read(iam.Role(stack, "ViaGrantRead", assumed_by=iam.AccountRootPrincipal()))
    admin.secret.grant_read(iam.Role(stack, "ViaTheSecret", assumed_by=iam.AccountRootPrincipal()))
    iam.Role(stack, "ViaStar", assumed_by=iam.AccountRootPrincipal()).add_to_policy(
        iam.PolicyStatement(actions=["secretsmanager:GetSecretValue"], resources=["*"])
    )
    warnings = reader_warnings(stack)
    assert set(warnings) == {
        f"/TestStack/{role}/DefaultPolicy/Resource" for role in ("ViaGrantRead", "ViaTheSecret", "ViaStar")
    }
    assert "the admin secret at 'TestStack/Admin'" in warnings["/TestStack/ViaTheSecret/DefaultPolicy/Resource"]
    assert "every secret, admin secrets included" in warnings["/TestStack/ViaStar/DefaultPolicy/Resource"]
    assert all("key minter" in w for w in warnings.values())


def test_an_admin_whose_logical_id_is_overridden_is_matched_by_its_new_logical_id() -> None:
    """CloudFormation starts a generated name with the logical id the template has, read when the
    policies are checked (at synthesis), not when the admin was built."""
    _, stack = new_stack()
    admin = DatadogAdminKeySecret(stack, "Admin", **admin_props(stack))
    cfn_secret = admin.secret.node.default_child
    assert isinstance(cfn_secret, cdk.CfnResource)
    old = stack.resolve(cfn_secret.logical_id)
    cfn_secret.override_logical_id("RenamedAdmin")
    read = {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue"}
    for name, resource in {"NewName": "RenamedAdmin-*", "OldName": f"{old}-*"}.items():
        statement = {**read, "Resource": secret_arn(stack, resource)}
        iam.CfnManagedPolicy(stack, name, policy_document={"Version": "2012-10-17", "Statement": [statement]})
    admin.grant_read(iam.Role(stack, "ViaGrantRead", assumed_by=iam.AccountRootPrincipal()))
    warnings = reader_warnings(stack)
    assert set(warnings) == {"/TestStack/NewName", "/TestStack/ViaGrantRead/DefaultPolicy/Resource"}
    assert "the admin secret at 'TestStack/Admin'" in warnings["/TestStack/NewName"]


def test_a_family_that_failed_once_its_admin_was_built_leaves_the_reader_check_as_if_never_made(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A family that fails after building its admin (aws_cdk's error on a key, simulated here) and is
    taken out of the tree is forgotten by the check: the Aspect, when it was on that admin, is added again
    by the next admin of the stack, and a pattern over the name of the admin that left warns nothing."""

    def fails(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("aws_cdk refused a key")

    def failed_family(stack: cdk.Stack) -> None:
        with monkeypatch.context() as patched:
            patched.setattr(DatadogApiKeySecret, "_create_child", fails)
            with pytest.raises(RuntimeError, match="aws_cdk refused a key"):
                DatadogManagedSecrets(
                    stack,
                    "Datadog",
                    **admin_props(stack),
                    api_keys={"agent": ApiKeySpec(api_key=param(stack, "Agent"), api_key_id=api_key_id(stack))},
                )
        stack.node.try_remove_child("Datadog")  # half-built: kept, failing synthesis, until taken out

    _, first = new_stack()  # the family's admin was the stack's first: the Aspect was on it
    failed_family(first)
    DatadogAdminKeySecret(first, "Admin", **admin_props(first)).grant_read(
        iam.Role(first, "Reader", assumed_by=iam.AccountRootPrincipal())
    )
    warnings = reader_warnings(first)
    assert list(warnings) == ["/TestStack/Reader/DefaultPolicy/Resource"]
    assert "the admin secret at 'TestStack/Admin'" in warnings["/TestStack/Reader/DefaultPolicy/Resource"]
    _, second = new_stack()  # an admin of the stack before it: the Aspect stays on that one
    DatadogAdminKeySecret(second, "Admin", **admin_props(second))
    failed_family(second)
    iam.Role(second, "Reader", assumed_by=iam.AccountRootPrincipal()).add_to_policy(
        iam.PolicyStatement(
            actions=["secretsmanager:GetSecretValue"], resources=[secret_arn(second, "TestStack/Datadog/admin-*")]
        )
    )
    assert reader_warnings(second) == {}


def test_a_keys_role_shared_by_the_keys_of_two_admins_warns_on_the_keys_of_the_second() -> None:
    """Each key's rotation may read every admin the role reads for any of its keys (the grants are
    per role): one admin's keys only stay silent."""
    from aws_cdk.assertions import Annotations

    from ddsecrets_constructs._child_secret import KEYS_ROLE_READS_TWO_ADMINS

    _, stack = new_stack()
    first = DatadogAdminKeySecret(stack, "First", **admin_props(stack))
    second = DatadogAdminKeySecret.from_admin_secret_attributes(
        stack, "Second", secret_complete_arn=ADMIN_ARN, service_account_id=SERVICE_ACCOUNT
    )
    role = DatadogRotationRole(stack, "Keys")
    for name, admin in (("A", first), ("B", first), ("C", second), ("D", second)):
        DatadogApiKeySecret(
            stack, name, admin=admin, api_key=param(stack, name), api_key_id=api_key_id(stack), rotation_role=role
        )
    warned = {
        entry.id: str(entry.entry.data)
        for entry in Annotations.from_stack(stack).find_warning(
            "*", Match.string_like_regexp(KEYS_ROLE_READS_TWO_ADMINS)
        )
    }
    assert list(warned) == ["/TestStack/C", "/TestStack/D"]
    assert warned["/TestStack/C"].startswith(
        "`rotation_role` already rotates keys of the admin secret at 'TestStack/First': shared with the keys of this "
        "admin, every rotation it runs may read both admin secrets"
    )
    read = [
        statement["Resource"]
        for policy in Template.from_stack(stack).find_resources("AWS::IAM::ManagedPolicy").values()
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        if statement.get("Sid") == "ReadDatadogAdminSecrets"
    ]
    (admins,) = read  # what it warns of: one statement of the role reads both admins
    assert len(admins) == 2
    # One admin imported twice (the same ARN) is one admin: a role of their keys stays silent.
    _, stack = new_stack()
    role = DatadogRotationRole(stack, "Keys")
    for name in ("E", "F"):
        imported = DatadogAdminKeySecret.from_admin_secret_attributes(
            stack, f"Admin{name}", secret_complete_arn=ADMIN_ARN, service_account_id=SERVICE_ACCOUNT
        )
        DatadogApiKeySecret(
            stack, name, admin=imported, api_key=param(stack, name), api_key_id=api_key_id(stack), rotation_role=role
        )
    assert not Annotations.from_stack(stack).find_warning("*", Match.string_like_regexp(KEYS_ROLE_READS_TWO_ADMINS))
