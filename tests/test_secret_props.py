"""Props every secret construct shares: checked before any CDK call; a secret that is not retained warns."""

from __future__ import annotations

import pytest
from aws_cdk import Annotations, CfnParameter, Fn, RemovalPolicy, Stack
from aws_cdk.assertions import Annotations as AssertAnnotations
from aws_cdk.assertions import Match

from ddsecrets_constructs import (
    ApiKeySpec,
    ApplicationKeySpec,
    DatadogAdminKeySecret,
    DatadogApiKeySecret,
    DatadogManagedSecrets,
    DatadogRotationRole,
    DdSecretsValidationError,
)
from ddsecrets_constructs._secret_props import check_encryption_key
from ddsecrets_constructs.validation import Problems
from tests.support import (
    LITERAL_API_KEY,
    admin_props,
    api_key_id,
    app_key_id,
    built,
    new_stack,
    param,
    skipped_checks,
    warnings_of,
)


def test_destroy_warns_saying_what_is_lost() -> None:
    (message,) = [m for m in warnings_of(built("admin_all_options"), "/Admin") if "secretNotRetained" in m]
    assert message.startswith("`removal_policy` is RemovalPolicy.DESTROY. CloudFormation deletes the secret at once")
    assert "without a recovery window" in message
    assert "the only stored copy of the keys rotation created" in message
    assert "[ack: ddsecrets-constructs:secretNotRetained]" in message


def test_snapshot_warns_that_a_secret_has_no_snapshot() -> None:
    _, stack = new_stack()
    DatadogAdminKeySecret(stack, "Admin", **admin_props(stack), removal_policy=RemovalPolicy.SNAPSHOT)
    (warning,) = AssertAnnotations.from_stack(stack).find_warning(
        "/TestStack/Admin", Match.string_like_regexp("secretNotRetained")
    )
    assert "RemovalPolicy.SNAPSHOT, but a Secrets Manager secret has no snapshot" in str(warning.entry.data)


def test_retain_says_nothing() -> None:
    assert not any("secretNotRetained" in m for m in warnings_of(built("admin_default")))


def test_a_family_warns_of_its_removal_policy_and_one_acknowledgment_on_the_family_covers_it() -> None:
    _, stack = new_stack()
    family = DatadogManagedSecrets(stack, "Datadog", **admin_props(stack), removal_policy=RemovalPolicy.DESTROY)
    found = AssertAnnotations.from_stack(stack).find_warning("*", Match.string_like_regexp("secretNotRetained"))
    assert [w.id for w in found] == ["/TestStack/Datadog"]
    _, acked = new_stack()
    family = DatadogManagedSecrets(acked, "Datadog", **admin_props(acked), removal_policy=RemovalPolicy.DESTROY)
    Annotations.of(family).acknowledge_warning("ddsecrets-constructs:secretNotRetained", "A throwaway test stack.")
    assert AssertAnnotations.from_stack(acked).find_warning("*", Match.string_like_regexp("secretNotRetained")) == []


def test_a_familys_removal_policy_is_checked_once_and_said_once_for_all_its_secrets() -> None:
    _, stack = new_stack()
    DatadogManagedSecrets(
        stack,
        "Datadog",
        **admin_props(stack),
        application_keys={"ci": ApplicationKeySpec(app_key=param(stack, "CiKey"), app_key_id=app_key_id(stack))},
        api_keys={"agent": ApiKeySpec(api_key=param(stack, "AgentKey"), api_key_id=api_key_id(stack))},
        removal_policy=RemovalPolicy.DESTROY,
    )
    found = AssertAnnotations.from_stack(stack).find_warning("*", Match.string_like_regexp("secretNotRetained"))
    (warning,) = found  # the admin and both keys: one warning, on the family
    assert warning.id == "/TestStack/Datadog"
    assert str(warning.entry.data).startswith("`removal_policy` is RemovalPolicy.DESTROY.")


@pytest.mark.parametrize("value", ["arn:aws:kms:eu-west-1:111111111111:key/x", 42, b"key"])
def test_an_encryption_key_must_be_a_key_object(value: object) -> None:
    problems = Problems()
    check_encryption_key(problems, value)
    (problem,) = problems._problems
    assert "a KMS key object (kms.IKey)" in problem.allowed


@pytest.mark.parametrize(
    ("prop", "value", "message"),
    [
        (
            "description",
            "x" * 2049,
            "`description`: got a text of 2049 characters; a description string of at most 2048",
        ),
        (
            "description",
            f"copy of {LITERAL_API_KEY}",
            "`description`: got 'copy of <a value shaped like a Datadog API key",
        ),
        ("secret_name", LITERAL_API_KEY, "`secret_name`: got a value shaped like a Datadog API key (not shown)"),
    ],
)
def test_text_props_are_checked_for_length_and_key_material(prop: str, value: str, message: str) -> None:
    _, stack = new_stack()
    with pytest.raises(DdSecretsValidationError) as caught:
        DatadogAdminKeySecret(stack, "Admin", **admin_props(stack, **{prop: value}))
    assert message in str(caught.value)
    assert LITERAL_API_KEY not in str(caught.value)


def test_a_flag_that_decides_what_is_synthesized_refuses_a_deploy_time_value_saying_why() -> None:
    """`rotate_immediately_on_update` only goes into the template (tests/test_rotation.py); these
    decide what the library synthesizes or checks, which CloudFormation cannot change."""
    _, stack = new_stack()
    flag = CfnParameter(stack, "Flag").value_as_string
    why = "True or False, known at synth time: it decides what is synthesized"
    with pytest.raises(DdSecretsValidationError) as caught:
        DatadogAdminKeySecret(stack, "Admin", **admin_props(stack), validate_key_format=flag)  # type: ignore[arg-type]
    assert f"`validate_key_format`: got a deploy-time value (token); {why}" in str(caught.value)
    with pytest.raises(DdSecretsValidationError) as caught:
        DatadogRotationRole(stack, "Role", allow_get_random_password=Fn.condition_if("C", True, False))  # type: ignore[arg-type]
    assert f"`allow_get_random_password`: got a deploy-time value (token); {why}" in str(caught.value)


@pytest.fixture(scope="module")
def deploy_time_texts() -> tuple[Stack, dict[str, dict[str, list[str]]]]:
    """A secret and a family key whose name and descriptions come from parameters, and a role whose
    description does: what each `deployTimeValuesNotChecked` warning lists, by construct path."""
    _, stack = new_stack()

    def text(name: str) -> str:
        return CfnParameter(stack, name).value_as_string

    admin = DatadogAdminKeySecret(
        stack, "Admin", **admin_props(stack), secret_name=text("AdminName"), description=text("AdminDescription")
    )
    DatadogManagedSecrets(
        stack,
        "Datadog",
        **admin_props(stack),
        api_keys={
            "agent": ApiKeySpec(
                api_key=param(stack, "AgentKey"), api_key_id=api_key_id(stack), description=text("AgentDescription")
            )
        },
    )
    role = DatadogRotationRole(stack, "Role", description=text("RoleDescription"))
    DatadogApiKeySecret(
        stack, "ApiKey", admin=admin, api_key=param(stack, "K"), api_key_id=api_key_id(stack), rotation_role=role
    )
    found = AssertAnnotations.from_stack(stack).find_warning(
        "*", Match.string_like_regexp("deployTimeValuesNotChecked")
    )
    return stack, {w.id: skipped_checks(str(w.entry.data)) for w in found}


def test_a_deploy_time_secret_name_lists_every_check_it_skips(
    deploy_time_texts: tuple[Stack, dict[str, dict[str, list[str]]]],
) -> None:
    skipped = deploy_time_texts[1]["/TestStack/Admin"]
    assert skipped[SECRET_NAME_RULES] == ["secret_name"]
    assert skipped[NAME_CLAIM] == ["secret_name"]


def test_a_deploy_time_description_lists_every_check_it_skips(
    deploy_time_texts: tuple[Stack, dict[str, dict[str, list[str]]]],
) -> None:
    warnings = deploy_time_texts[1]
    assert warnings["/TestStack/Admin"]["no key material, at most 2048 characters"] == ["description"]
    assert warnings["/TestStack/Datadog"]["no key material, at most 2048 characters"] == [
        "api_keys['agent'].description"
    ]
    role = warnings["/TestStack/Role"]
    assert role["no key material, at most 1000 characters"] == ["description"]
    assert role["characters IAM accepts in a description: tabs, line ends and Latin-1"] == ["description"]


SECRET_NAME_RULES = (
    "secret name of 1-512 letters, digits and /_+=.@-, without key material, not ending in '-' and 6 characters"
)
NAME_CLAIM = "name used by no other construct of the app, and not under a family's secret_name_prefix"
