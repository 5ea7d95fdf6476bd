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


ALIAS_REASON = (
    "a KMS key, not an alias: an alias in an IAM policy's Resource applies to the alias, not to its key (AWS KMS: "
    "'Use aliases to control access to KMS keys'), so the rotation roles' kms statements (and grant_read's for a "
    "consumer in another stack), which name the secret's key by this ARN, would grant nothing and rotation would "
    "fail with AccessDenied; "
)
IMPORTED_ALIAS_REASON = (
    "a KMS key, not an alias: an alias in an IAM policy's Resource applies to the alias, not to its key (AWS KMS: "
    "'Use aliases to control access to KMS keys'), so the keys' rotation roles' kms statements, which name the "
    "admin's key by this ARN, would grant nothing and rotation would fail with AccessDenied; "
)
IMPORTED_INSTEAD = (
    "import the admin with its key by ARN, encryption_key=kms.Key.from_key_arn(self, 'Key', "
    "'arn:aws:kms:<region>:<account>:key/<key id>'), or without encryption_key if the secret uses Secrets "
    "Manager's AWS managed key"
)
INSTEAD = (
    "give the key by its ARN, kms.Key.from_key_arn(self, 'Key', 'arn:aws:kms:<region>:<account>:key/<key id>'), or "
    "leave encryption_key unset for Secrets Manager's AWS managed key"
)


def test_a_kms_alias_as_a_secrets_key_is_refused_and_secrets_managers_own_alias_or_a_topics_alias_is_not() -> None:
    """An alias's ARN names no key in an IAM policy (the rotation roles' kms statements). An imported
    admin's key is named by its keys' roles only: refused where a key uses it, not at the import."""
    from aws_cdk import aws_kms as kms

    from ddsecrets_constructs import DatadogRotationAlerts

    _, stack = new_stack()
    key = kms.Key(stack, "Key")
    owned = key.add_alias("alias/datadog-secrets")
    imported = kms.Alias.from_alias_name(stack, "Imported", "alias/team-secrets")
    by_arn = kms.Key.from_key_arn(stack, "ByArn", f"arn:aws:kms:{stack.region}:{stack.account}:alias/by-arn")
    ebs = kms.Alias.from_alias_name(stack, "Ebs", "alias/aws/ebs")
    admin_arn = f"arn:aws:secretsmanager:{stack.region}:{stack.account}:secret:datadog/admin-AbCdEf"
    for index, (alias, got, allowed) in enumerate(
        (
            (
                owned,
                "the KMS alias at 'TestStack/Key/Alias'",
                f"{ALIAS_REASON}give the key itself (the alias's alias_target_key)",
            ),
            (imported, "the KMS alias 'alias/team-secrets'", f"{ALIAS_REASON}{INSTEAD}"),
            (by_arn, "the KMS alias 'alias/by-arn'", f"{ALIAS_REASON}{INSTEAD}"),
            (
                ebs,
                "the KMS alias 'alias/aws/ebs'",
                "a customer-managed KMS key or none: 'alias/aws/ebs' names the AWS managed key of another AWS "
                f"service, which only that service may use; {INSTEAD}",
            ),
        )
    ):
        for build in (
            lambda alias=alias: DatadogManagedSecrets(stack, "Datadog", **admin_props(stack), encryption_key=alias),
            lambda alias=alias: DatadogAdminKeySecret(stack, "Admin", **admin_props(stack), encryption_key=alias),
        ):
            with pytest.raises(DdSecretsValidationError) as caught:
                build()
            assert f"  - `encryption_key`: got {got}; {allowed}" in str(caught.value).splitlines()
        admin = DatadogAdminKeySecret.from_admin_secret_attributes(
            stack,
            f"ImportedAdmin{index}",
            secret_complete_arn=admin_arn,
            service_account_id=admin_props(stack)["service_account_id"],
            encryption_key=alias,
        )
        DatadogRotationAlerts(stack, f"Alerts{index}", secrets=[admin])  # names no key: accepted, as before
        DatadogManagedSecrets(stack, f"Keyless{index}", admin=admin)  # a family without keys: the same
        with pytest.raises(DdSecretsValidationError) as caught:
            DatadogApiKeySecret(stack, "Api", admin=admin, api_key=param(stack, "Api"), api_key_id=api_key_id(stack))
        imported_allowed = allowed.replace(ALIAS_REASON, IMPORTED_ALIAS_REASON).replace(INSTEAD, IMPORTED_INSTEAD)
        assert f"  - `admin`: got {got} (the imported admin's encryption_key); {imported_allowed}" in (
            str(caught.value).splitlines()
        )
    # Secrets Manager's own AWS managed key works whatever the IAM statements name (its key policy lets
    # the account use it through Secrets Manager), and a topic's key is granted through its key policy,
    # which an alias of this app hands on to its key.
    managed = kms.Alias.from_alias_name(stack, "Managed", "alias/aws/secretsmanager")
    DatadogManagedSecrets(stack, "Datadog", **admin_props(stack), encryption_key=managed)
    DatadogRotationAlerts(stack, "Alerts", secret_name_prefixes=["datadog/team"], encryption_key=owned)
    assert [stack.node.try_find_child(name) is None for name in ("Datadog", "Alerts", "Admin", "Api")] == [
        False,
        False,
        True,
        True,
    ]


def test_a_key_whose_arn_is_a_deploy_time_value_is_accepted_and_the_alias_check_listed() -> None:
    """A key imported by a parameter's ARN, or an alias whose name is a parameter (it may be
    alias/aws/secretsmanager), cannot be told from a key: accepted, the check listed; a key ARN with
    deploy-time account or region is a key."""
    from aws_cdk import aws_kms as kms

    _, stack = new_stack()
    arn = CfnParameter(stack, "KeyArn").value_as_string
    name = CfnParameter(stack, "AliasName").value_as_string
    owned_key_id = kms.Key(stack, "Owned").key_id
    for index, key in enumerate(
        (
            kms.Key.from_key_arn(stack, "ByToken", arn),
            kms.Key.from_key_arn(stack, "AliasByToken", f"arn:aws:kms:{stack.region}:{stack.account}:alias/{name}"),
            kms.Alias.from_alias_name(stack, "AliasNamedByToken", name),  # text joined with a token
            kms.Key.from_key_arn(stack, "Joined", f"{Fn.import_value('KeysStack:Prefix')}:key/abc"),
            kms.Key.from_key_arn(stack, "KeyIdAsArn", owned_key_id),  # a reference to the key, but not its ARN
        )
    ):
        admin = DatadogAdminKeySecret(stack, f"Admin{index}", **admin_props(stack), encryption_key=key)
        (warning,) = AssertAnnotations.from_stack(stack).find_warning(
            f"/TestStack/Admin{index}", Match.string_like_regexp("deployTimeValuesNotChecked")
        )
        assert any(
            check.startswith("a KMS key, not an alias") and props == ["encryption_key"]
            for check, props in skipped_checks(str(warning.entry.data)).items()
        ), admin
    # Keys, known to be: an ARN with deploy-time account and region, and references to keys of this app.
    _, agnostic = new_stack(env=False)
    key = kms.Key.from_key_arn(agnostic, "Key", f"arn:aws:kms:{agnostic.region}:{agnostic.account}:key/1234abcd")
    DatadogAdminKeySecret(agnostic, "Admin", **admin_props(agnostic), encryption_key=key)
    cfn_key = kms.CfnKey(agnostic, "CfnKey", key_policy={"Version": "2012-10-17", "Statement": []})
    DatadogAdminKeySecret(agnostic, "L1Admin", **admin_props(agnostic), encryption_key=kms.Key.from_cfn_key(cfn_key))
    owned_arn = kms.Key(agnostic, "Owned").key_arn
    by_owned_arn = kms.Key.from_key_arn(agnostic, "ByOwnedArn", owned_arn)
    DatadogAdminKeySecret(agnostic, "OwnedAdmin", **admin_props(agnostic), encryption_key=by_owned_arn)
    found = AssertAnnotations.from_stack(agnostic).find_warning(
        "*", Match.string_like_regexp("a KMS key, not an alias")
    )
    assert found == []


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
