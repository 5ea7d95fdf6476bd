"""DatadogManagedSecrets: one admin with its own role, named children sharing a keys role."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from aws_cdk import CfnParameter, Duration, SecretValue
from aws_cdk import aws_kms as kms
from aws_cdk.assertions import Annotations, Match, Template

from ddsecrets_constructs import (
    ApiKeySpec,
    ApplicationKeySpec,
    DatadogApiKeySecret,
    DatadogManagedSecrets,
    DdSecretsValidationError,
    KeyRotation,
)
from ddsecrets_constructs import _key_ids as key_ids_module
from ddsecrets_constructs import admin_key as admin_key_module
from ddsecrets_constructs import api_key as api_key_module
from ddsecrets_constructs import application_key as application_key_module
from ddsecrets_constructs.validation import Problems
from tests.support import (
    LITERAL_API_KEY,
    OTHER_SERVICE_ACCOUNT,
    admin_props,
    api_key_id,
    app_key_id,
    built,
    new_stack,
    param,
    policy_size,
    resource_of,
    schedule_resource,
    secret_resource,
    skipped_checks,
    statements,
    stored_key,
)

MANAGED_POLICY_LIMIT = 6144
INLINE_POLICY_LIMIT_PER_ROLE = 10240
TRUST_POLICY_LIMIT = 2048  # default quota


@pytest.fixture(scope="module")
def family() -> Any:
    return built("family")


def test_secrets_are_named_under_the_family_prefix(family: Any) -> None:
    datadog = family.refs["family"]
    assert datadog.secret_name_prefix == "TestStack/Datadog"
    names = {secret["Properties"]["Name"] for secret in family.resources("AWS::SecretsManager::Secret").values()}
    assert names == {
        "TestStack/Datadog/admin",
        "TestStack/Datadog/application-keys/app000",
        "TestStack/Datadog/application-keys/app001",
        "TestStack/Datadog/api-keys/api000",
        "TestStack/Datadog/api-keys/api001",
    }


def test_admin_has_its_own_role_and_the_keys_share_one_that_lists_each_key(family: Any) -> None:
    datadog = family.refs["family"]
    stack = family.stack
    keys_role = stack.get_logical_id(datadog.rotation_role.role.node.default_child)
    admin_role = stack.get_logical_id(datadog.admin.rotation_role.role.node.default_child)
    assert datadog.admin.rotation_role.node.path == "TestStack/Datadog/Admin/RotationRole"
    schedules = {
        s["Properties"]["SecretId"]["Ref"]: s["Properties"]["ExternalSecretRotationRoleArn"]["Fn::GetAtt"][0]
        for s in family.resources("AWS::SecretsManager::RotationSchedule").values()
    }
    admin_secret = stack.get_logical_id(datadog.admin.secret.node.default_child)
    assert schedules.pop(admin_secret) == admin_role
    assert set(schedules.values()) == {keys_role}
    policy = resource_of(family, datadog.rotation_role.policy.node.default_child)
    rotate = next(s for s in statements(policy) if s["Sid"] == "RotateDatadogSecrets")
    assert rotate["Resource"] == [{"Ref": secret} for secret in schedules]  # exact ARNs, in key order
    assert family.resources("AWS::IAM::Policy") == {}


def test_every_secret_uses_the_family_key(family: Any) -> None:
    key_arn = {"Fn::GetAtt": [family.stack.get_logical_id(family.refs["key"].node.default_child), "Arn"]}
    secrets = family.resources("AWS::SecretsManager::Secret").values()
    assert [s["Properties"]["KmsKeyId"] for s in secrets] == [key_arn] * 5


def test_children_name_the_admin_and_wait_for_its_schedule(family: Any) -> None:
    datadog = family.refs["family"]
    stack = family.stack
    admin_ref = {"Ref": stack.get_logical_id(datadog.admin.secret.node.default_child)}
    admin_schedule = schedule_resource(family, datadog.admin)
    assert "ExternalSecretRotationMetadata" not in admin_schedule["Properties"]
    assert admin_schedule["Properties"]["RotateImmediatelyOnUpdate"] is False
    for child in [*datadog.application_keys.values(), *datadog.api_keys.values()]:
        schedule = schedule_resource(family, child)
        assert schedule["Properties"]["ExternalSecretRotationMetadata"] == [
            {"Key": "adminSecretArn", "Value": admin_ref}
        ]
        assert schedule["Properties"]["RotateImmediatelyOnUpdate"] is True
        assert stack.get_logical_id(datadog.admin.rotation_schedule) in schedule["DependsOn"]


def test_accessors_and_construct_ids(family: Any) -> None:
    datadog = family.refs["family"]
    assert datadog.api_key("api000").node.path == "TestStack/Datadog/ApiKeys/api000"
    assert datadog.application_key("app001").node.path == "TestStack/Datadog/ApplicationKeys/app001"
    assert datadog.admin.node.path == "TestStack/Datadog/Admin"
    assert datadog.owns_admin is True
    assert datadog.rotation_role.node.path == "TestStack/Datadog/RotationRole"
    assert sorted(datadog.api_keys) == ["api000", "api001"]
    with pytest.raises(KeyError, match=r"no API key named 'nope'; known: \['api000', 'api001'\]"):
        datadog.api_key("nope")
    with pytest.raises(KeyError, match="no application key named"):
        datadog.application_key("api000")
    # A key pasted where its name belongs is not echoed.
    with pytest.raises(KeyError) as error:
        datadog.api_key(LITERAL_API_KEY)
    assert LITERAL_API_KEY not in str(error.value)
    assert "no API key named a value shaped like a Datadog API key (not shown)" in str(error.value)


def test_sixty_keys_cost_two_resources_each_and_a_policy_per_few_dozen() -> None:
    sixty, one = built("family_60"), built("family_1")
    counts_60 = Counter(r["Type"] for r in sixty.json["Resources"].values())
    counts_1 = Counter(r["Type"] for r in one.json["Resources"].values())
    counts_1["AWS::KMS::Key"] += 1  # the 60-key family also has its KMS key
    difference = counts_60 - counts_1
    extra_policies = difference.pop("AWS::IAM::ManagedPolicy")
    assert difference == Counter({"AWS::SecretsManager::Secret": 59, "AWS::SecretsManager::RotationSchedule": 59})
    assert counts_60["AWS::IAM::Role"] == 2
    assert 1 <= extra_policies <= 3


def test_policy_size_measure_counts_resolved_arns() -> None:
    """The size checks must be able to fail: all 60 exact ARNs in one statement would not fit."""
    template = built("family_60").json
    secret_ids = [k for k, v in template["Resources"].items() if v["Type"] == "AWS::SecretsManager::Secret"]
    document = {
        "Statement": [
            {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": [{"Ref": i} for i in secret_ids]}
        ]
    }
    assert policy_size(document, template) > MANAGED_POLICY_LIMIT


def test_all_options_reach_the_template() -> None:
    configuration = built("family_all_options")
    datadog = configuration.refs["family"]
    ci, agent = datadog.application_key("ci"), datadog.api_key("agent")
    assert secret_resource(configuration, ci)["Properties"]["Name"] == "datadog/sre/application-keys/ci"
    assert secret_resource(configuration, ci)["Properties"]["Description"] == "CI application key"
    assert schedule_resource(configuration, ci)["Properties"]["RotationRules"] == {
        "ScheduleExpression": "cron(0 8 ? * MON *)",
        "Duration": "3h",
    }
    assert schedule_resource(configuration, agent)["Properties"]["RotationRules"] == {
        "ScheduleExpression": "cron(0 10 1,15 * ? *)",
        "Duration": "4h",
    }
    assert schedule_resource(configuration, datadog.admin)["Properties"]["RotationRules"] == {
        "ScheduleExpression": "cron(0 1 L * ? *)",
        "Duration": "1h",
    }
    names = [secret_resource(configuration, s)["Properties"]["Name"] for s in (datadog.admin, ci, agent)]
    assert names == ["datadog/sre/admin", "datadog/sre/application-keys/ci", "datadog/sre/api-keys/agent"]
    admin_fields = secret_resource(configuration, datadog.admin)["Properties"]["SecretString"]["Fn::Join"][1][-1]
    assert '"site":"datadoghq.eu"' in admin_fields


def test_fails_once_listing_every_problem_of_the_family_and_its_children() -> None:
    _, stack = new_stack()
    with pytest.raises(DdSecretsValidationError) as caught:
        DatadogManagedSecrets(
            stack,
            "Datadog",
            **admin_props(stack, site="app.datadoghq.com"),
            application_keys={
                "ci": ApplicationKeySpec(
                    app_key=param(stack, "Ci"), app_key_id=app_key_id(stack), service_account_id=OTHER_SERVICE_ACCOUNT
                ),
                "bad/name": ApplicationKeySpec(app_key=param(stack, "Bad"), app_key_id=app_key_id(stack)),
            },
            api_keys={
                "agent": ApiKeySpec(api_key=SecretValue.unsafe_plain_text("short"), api_key_id="x"),
                "cron": ApiKeySpec(
                    api_key=param(stack, "Cron"),
                    api_key_id=api_key_id(stack),
                    rotation=KeyRotation.cron(hour="2", day="15", window=Duration.hours(1)),
                ),
            },
            key_rotation=KeyRotation.every(Duration.days(30)),
        )
    error = caught.value
    assert error.construct_path == "TestStack/Datadog"
    assert [p.prop for p in error.problems] == [
        "site",
        "key_rotation",
        "application_keys['ci'].service_account_id",
        "application_keys key",
        "api_keys['agent'].api_key",
        "api_keys['agent'].api_key_id",
        "api_keys['cron'].rotation",
    ]
    assert "got 'bad/name'" in str(error)


@pytest.mark.parametrize("name", ["", "a/b", "svc-abc123", "x" * 65, "-lead"])
def test_fails_on_child_names_that_cannot_be_ids_or_secret_names(name: str) -> None:
    _, stack = new_stack()
    with pytest.raises(DdSecretsValidationError, match=r"`api_keys key`: got"):
        DatadogManagedSecrets(
            stack,
            "Datadog",
            **admin_props(stack),
            api_keys={name: ApiKeySpec(api_key=param(stack, "K"), api_key_id=api_key_id(stack))},
        )


@pytest.mark.parametrize("prefix", ["datadog/", "datadog sre", "a" * 401, ""])
def test_fails_on_bad_secret_name_prefix(prefix: str) -> None:
    _, stack = new_stack()
    with pytest.raises(DdSecretsValidationError, match="`secret_name_prefix`"):
        DatadogManagedSecrets(stack, "Datadog", **admin_props(stack), secret_name_prefix=prefix)


def test_fails_on_spec_of_wrong_type() -> None:
    _, stack = new_stack()
    with pytest.raises(DdSecretsValidationError, match=r"`api_keys\['agent'\]`: got \{'api_key': 'x'\}; an ApiKeySpec"):
        DatadogManagedSecrets(stack, "Datadog", **admin_props(stack), api_keys={"agent": {"api_key": "x"}})  # type: ignore[dict-item]


def test_family_of_one_key_is_two_secrets_two_schedules_two_roles_four_policies() -> None:
    configuration = built("family_1")
    assert Counter(r["Type"] for r in configuration.json["Resources"].values()) == Counter(
        {
            "AWS::SecretsManager::Secret": 2,
            "AWS::SecretsManager::RotationSchedule": 2,
            "AWS::IAM::Role": 2,
            "AWS::IAM::ManagedPolicy": 4,  # per role: its rotation policy and GetRandomPassword's
        }
    )
    assert (
        resource_of(configuration, configuration.refs["family"].admin.secret.node.default_child)["Properties"]["Type"]
        == "DatadogAdminKey"
    )


# --- one validation pass: the family checks its secrets' props, they do not check them again ------


def test_a_family_warns_once_on_itself_naming_each_secrets_prop_as_it_was_given(family: Any) -> None:
    found = Annotations.from_stack(family.stack).find_warning("*", Match.any_value())
    # Nothing on the secrets themselves: one warning of each kind, on the family.
    assert [w.id for w in found] == ["/TestStack/Datadog"]
    message = str(found[0].entry.data)
    assert "[ack: ddsecrets-constructs:deployTimeValuesNotChecked]" in message
    named = [prop for props in skipped_checks(message).values() for prop in props]
    assert named == [
        "admin_api_key",
        "admin_app_key",
        "application_keys['app000'].app_key",
        "application_keys['app001'].app_key",
        "api_keys['api000'].api_key",
        "api_keys['api001'].api_key",
    ]


def test_keys_skipping_the_same_check_are_named_together_once() -> None:
    """A hundred keys from Secrets Manager: one entry naming them all, not a hundred entries."""
    _, stack = new_stack()
    DatadogManagedSecrets(
        stack,
        "Datadog",
        **admin_props(stack),
        application_keys={
            f"app{i:03d}": ApplicationKeySpec(app_key=stored_key(f"App{i}"), app_key_id=app_key_id(stack))
            for i in range(100)
        },
    )
    (warning,) = Annotations.from_stack(stack).find_warning("*", Match.string_like_regexp("deployTimeValuesNotChecked"))
    assert warning.id == "/TestStack/Datadog"
    skipped = skipped_checks(str(warning.entry.data))
    assert skipped["Datadog application key format; it is read from Secrets Manager at deploy time"] == [
        f"application_keys['app{i:03d}'].app_key" for i in range(100)
    ]


def test_what_checking_the_familys_schedules_skips_is_said_once_on_the_family() -> None:
    """Deploy-time schedules: `key_rotation` is checked once and said once, whatever the number of
    keys on it; a key with its own schedule says it of its own; the admin of `admin_rotation`."""
    _, stack = new_stack()

    def schedule(name: str) -> KeyRotation:
        return KeyRotation.expression(CfnParameter(stack, name).value_as_string)

    DatadogManagedSecrets(
        stack,
        "Datadog",
        **admin_props(stack),
        admin_rotation=schedule("AdminSchedule"),
        key_rotation=schedule("KeySchedule"),
        application_keys={"ci": ApplicationKeySpec(app_key=param(stack, "CiKey"), app_key_id=app_key_id(stack))},
        api_keys={
            "agent": ApiKeySpec(api_key=param(stack, "AgentKey"), api_key_id=api_key_id(stack)),
            "own": ApiKeySpec(
                api_key=param(stack, "OwnKey"),
                api_key_id=api_key_id(stack),
                rotation=KeyRotation.every(Duration.days(30)),
            ),
        },
    )
    (warning,) = Annotations.from_stack(stack).find_warning("*", Match.string_like_regexp("deployTimeValuesNotChecked"))
    assert warning.id == "/TestStack/Datadog"
    schedules = {
        check: [prop for prop in props if prop.endswith("rotation")]
        for check, props in skipped_checks(str(warning.entry.data)).items()
    }
    assert {check: props for check, props in schedules.items() if props} == {
        "schedule expression rules and window distance from the admin's": ["admin_rotation", "key_rotation"],
        "window distance from the admin secret's rotation": ["key_rotation", "api_keys['own'].rotation"],
    }


def test_key_rotation_is_not_mentioned_when_no_key_rotates_on_it() -> None:
    """Its windows cannot be checked against a deploy-time admin schedule, but no key uses it."""
    _, stack = new_stack()
    DatadogManagedSecrets(
        stack,
        "Datadog",
        **admin_props(stack),
        admin_rotation=KeyRotation.expression(CfnParameter(stack, "AdminSchedule").value_as_string),
        api_keys={
            "own": ApiKeySpec(
                api_key=param(stack, "OwnKey"),
                api_key_id=api_key_id(stack),
                rotation=KeyRotation.every(Duration.days(30)),
            )
        },
    )
    (warning,) = Annotations.from_stack(stack).find_warning("*", Match.string_like_regexp("deployTimeValuesNotChecked"))
    named = [prop for props in skipped_checks(str(warning.entry.data)).values() for prop in props]
    assert "api_keys['own'].rotation" in named
    assert "key_rotation" not in named


def test_a_family_checks_each_prop_of_its_secrets_once(monkeypatch: pytest.MonkeyPatch) -> None:
    checked: Counter[str] = Counter()

    def counting(check: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            # (scope, problems, prop, ...) or (problems, prop, ...): count the prop as the error names it
            problems, prop = (args[1], args[2]) if isinstance(args[1], Problems) else (args[0], args[1])
            checked[problems.name(prop)] += 1
            return check(*args, **kwargs)

        return wrapper

    for module in (admin_key_module, api_key_module, application_key_module, key_ids_module):
        for check in ("check_key_material", "check_uuid"):
            if hasattr(module, check):
                monkeypatch.setattr(module, check, counting(getattr(module, check)))
    _, stack = new_stack()
    DatadogManagedSecrets(
        stack,
        "Datadog",
        **admin_props(stack),
        application_keys={"ci": ApplicationKeySpec(app_key=param(stack, "CiKey"), app_key_id=app_key_id(stack))},
        api_keys={
            name: ApiKeySpec(api_key=param(stack, f"{name}Key"), api_key_id=api_key_id(stack))
            for name in ("agent", "lambda")
        },
    )
    assert checked == {
        "service_account_id": 1,
        "admin_api_key": 1,
        "admin_api_key_id": 1,
        "admin_app_key": 1,
        "admin_app_key_id": 1,
        "application_keys['ci'].app_key": 1,
        "application_keys['ci'].app_key_id": 1,
        "api_keys['agent'].api_key": 1,
        "api_keys['agent'].api_key_id": 1,
        "api_keys['lambda'].api_key": 1,
        "api_keys['lambda'].api_key_id": 1,
    }


def test_a_key_built_outside_a_family_still_checks_its_props(family: Any) -> None:
    _, stack = new_stack()
    with pytest.raises(DdSecretsValidationError, match=r"`api_key_id`: got 'not-a-uuid'"):
        DatadogApiKeySecret(
            stack, "ApiKey", admin=family.refs["family"].admin, api_key=param(stack, "ApiKey"), api_key_id="not-a-uuid"
        )


def test_a_family_that_fails_to_build_gives_back_its_prefix_names_key_parameters_and_key_ids() -> None:
    """aws_cdk's own error, after the family's checks passed (an L1 key reference where an ``IKey``
    belongs): it is kept half-built and synthesis refuses it, naming it; taken out of the tree, a
    family built after it in the same app may take the same id, prefix, keys and ids."""
    _, stack = new_stack()
    props: dict[str, Any] = {
        **admin_props(stack),
        "secret_name_prefix": "datadog",
        "api_keys": {"agent": ApiKeySpec(api_key=param(stack, "Agent"), api_key_id=api_key_id(stack))},
    }
    with pytest.raises(Exception) as caught:  # noqa: PT011 - any error but ours
        DatadogManagedSecrets(stack, "Datadog", **props, encryption_key=kms.Key(stack, "Kms").key_ref)  # type: ignore[arg-type]
    assert not isinstance(caught.value, DdSecretsValidationError)
    with pytest.raises(Exception, match=r"this construct failed while it was built"):
        Template.from_stack(stack)
    stack.node.try_remove_child("Datadog")
    DatadogManagedSecrets(stack, "Datadog", **props)
    names = {
        resource["Properties"]["Name"]
        for resource in Template.from_stack(stack).find_resources("AWS::SecretsManager::Secret").values()
    }
    assert names == {"datadog/admin", "datadog/api-keys/agent"}
