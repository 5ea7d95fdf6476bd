"""Key material must be a SecretValue from a source that does not show it; literals are checked for
the Datadog formats; every deploy-time source that skips a check says so; ids are UUIDs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jsii
import pytest
from aws_cdk import Aws, CfnParameter, CfnResource, Environment, Fn, IStableAnyProducer, Lazy, SecretValue, Stack, Token
from aws_cdk import aws_kms as kms
from aws_cdk import aws_ssm as ssm
from aws_cdk.assertions import Annotations, Match, Template

from ddsecrets_constructs import (
    ApiKeySpec,
    DatadogAdminKeySecret,
    DatadogApiKeySecret,
    DatadogKeyKind,
    DatadogKeyParameter,
    DatadogManagedSecrets,
    DdSecretsValidationError,
    key_material,
)
from ddsecrets_constructs.key_material import (
    API_KEY,
    APP_KEY,
    KeyFormat,
    check_key_material,
    check_uuid,
    resolve_ahead,
)
from ddsecrets_constructs.validation import Problems
from tests.support import (
    ACCOUNT,
    ADMIN_ARN,
    API_KEY_ID,
    LEGACY_APP_KEY,
    LITERAL_API_KEY,
    LITERAL_APP_KEY,
    REGION,
    SERVICE_ACCOUNT,
    admin_props,
    api_key_id,
    new_stack,
)


@pytest.fixture(scope="module")
def stack() -> Stack:
    return new_stack()[1]


def check(stack: Stack, value: object, key_format: KeyFormat = API_KEY, *, validate_format: bool = True) -> Problems:
    problems = Problems()
    check_key_material(stack, problems, "api_key", value, key_format, validate_format=validate_format)
    return problems


def nothing_said(problems: Problems) -> bool:
    return (problems._problems, problems._skipped, problems._warnings) == ([], [], [])


# --- parameters -------------------------------------------------------------------------------------


def test_datadog_key_parameter_is_accepted_silently(stack: Stack) -> None:
    api = DatadogKeyParameter(stack, "HelperApiKey", kind=DatadogKeyKind.API_KEY)
    app = DatadogKeyParameter(stack, "HelperAppKey", kind=DatadogKeyKind.APPLICATION_KEY)
    admin = DatadogKeyParameter(stack, "HelperAdminAppKey", kind=DatadogKeyKind.ADMIN_APPLICATION_KEY)
    assert nothing_said(check(stack, api.secret_value))
    assert nothing_said(check(stack, app.secret_value, APP_KEY))
    problems = Problems()
    check_key_material(stack, problems, "admin_app_key", admin.secret_value, APP_KEY, validate_format=True)
    assert nothing_said(problems)


@pytest.mark.parametrize(
    ("kind", "prop"), [(DatadogKeyKind.API_KEY, "admin_api_key"), (DatadogKeyKind.ADMIN_API_KEY, "api_key")]
)
def test_a_key_parameters_kind_is_a_label_any_kind_of_the_format_is_accepted(
    stack: Stack, kind: DatadogKeyKind, prop: str
) -> None:
    """Admin and child keys have the same formats and the same AllowedPattern: the value passed at
    deploy is what is stored. (The admin's key given to a child too is refused: one parameter, one secret.)"""
    parameter = DatadogKeyParameter(stack, f"Label{prop.title().replace('_', '')}", kind=kind)
    problems = Problems()
    check_key_material(stack, problems, prop, parameter.secret_value, API_KEY, validate_format=True)
    assert nothing_said(problems)


def test_noecho_parameter_with_the_exact_pattern_is_accepted_silently(stack: Stack) -> None:
    parameter = CfnParameter(stack, "ExactPattern", no_echo=True, allowed_pattern=API_KEY.parameter_pattern)
    assert nothing_said(check(stack, SecretValue.cfn_parameter(parameter)))


def test_noecho_parameter_without_pattern_lists_the_format_check_as_skipped(stack: Stack) -> None:
    parameter = CfnParameter(stack, "NoPattern", no_echo=True)
    problems = check(stack, SecretValue.cfn_parameter(parameter))
    assert problems._problems == []
    (skipped,) = problems._skipped
    assert skipped.startswith("`api_key` (Datadog API key format; the NoEcho parameter 'NoPattern' has no")
    assert "DatadogKeyParameter" in skipped


def test_fails_on_a_parameter_without_noecho(stack: Stack) -> None:
    parameter = CfnParameter(stack, "Shown")
    (problem,) = check(stack, SecretValue.unsafe_plain_text(parameter.value_as_string))._problems
    assert problem.received == "the CfnParameter 'Shown' without NoEcho"
    assert "shows the value of a parameter without NoEcho in the console" in problem.allowed
    assert "DatadogKeyParameter" in problem.allowed


def test_fails_on_a_key_parameter_of_the_other_kind(stack: Stack) -> None:
    app_key = DatadogKeyParameter(stack, "WrongKind", kind=DatadogKeyKind.APPLICATION_KEY)
    (problem,) = check(stack, app_key.secret_value, API_KEY)._problems
    assert "admits a Datadog application key" in problem.received
    assert "a Datadog API key parameter" in problem.allowed


@pytest.mark.parametrize(
    ("make", "skipped"),
    [
        (
            lambda s: SecretValue.secrets_manager(ADMIN_ARN, json_field="apiKey"),
            "read from Secrets Manager at deploy time",
        ),
        (lambda s: SecretValue.unsafe_plain_text(Fn.import_value("DatadogKey")), "`aws cloudformation list-exports`"),
        (
            lambda s: SecretValue.unsafe_plain_text(ssm.StringParameter.value_for_string_parameter(s, "/dd/key")),
            "plain SSM String parameter",
        ),
        (
            lambda s: SecretValue.unsafe_plain_text(ssm.StringParameter.value_for_string_parameter(s, "/dd/v", 3)),
            "plain SSM String parameter",
        ),
        (
            lambda s: SecretValue.resource_attribute(
                CfnResource(s, "Custom", type="X::Y::Z").get_att("Key").to_string()
            ),
            "it is a deploy-time value",
        ),
    ],
    ids=["secrets-manager", "import-value", "ssm-parameter", "ssm-dynamic-reference", "other-token"],
)
def test_other_deploy_time_sources_list_the_skipped_format_check_and_the_risk(make: object, skipped: str) -> None:
    _, stack = new_stack()
    problems = check(stack, make(stack))  # type: ignore[operator]
    assert problems._problems == []
    (entry,) = problems._skipped
    assert entry.startswith("`api_key` (Datadog API key format; ")
    assert skipped in entry


def test_one_warning_per_construct_lists_every_skipped_check() -> None:
    _, stack = new_stack()
    admin = DatadogAdminKeySecret(
        stack,
        "Admin",
        **admin_props(
            stack,
            admin_api_key=SecretValue.unsafe_plain_text(Fn.import_value("AdminApiKey")),
            admin_app_key=SecretValue.secrets_manager(ADMIN_ARN, json_field="adminAppKey"),
        ),
    )
    (found,) = Annotations.from_stack(stack).find_warning("/TestStack/Admin", Match.any_value())
    message = str(found.entry.data)
    assert "`admin_api_key` (Datadog API key format; it comes from a stack export" in message
    assert "`admin_app_key` (Datadog application key format; it is read from Secrets Manager" in message
    assert "[ack: ddsecrets-constructs:deployTimeValuesNotChecked]" in message
    assert admin.node.path == "TestStack/Admin"


def test_fails_on_ssm_secure_which_cloudformation_does_not_resolve_in_secret_string(stack: Stack) -> None:
    (problem,) = check(stack, SecretValue.ssm_secure("/datadog/api-key"))._problems
    assert "ssm-secure" in problem.allowed


# --- not a SecretValue ------------------------------------------------------------------------------


def test_fails_on_plain_string_without_echoing_it(stack: Stack) -> None:
    (problem,) = check(stack, LITERAL_API_KEY)._problems
    assert problem.prop == "api_key"
    assert problem.received == "a plain string, a literal of 32 characters (not shown)"
    assert "must be a SecretValue" in problem.allowed
    assert LITERAL_API_KEY not in str(problem)


def test_fails_on_other_types_showing_what_was_received(stack: Stack) -> None:
    (problem,) = check(stack, 1234)._problems
    assert str(problem).startswith("`api_key`: got 1234; key material must be a SecretValue")


# --- literals ---------------------------------------------------------------------------------------


def test_literal_in_current_format_is_accepted_with_a_plaintext_warning(stack: Stack) -> None:
    problems = check(stack, SecretValue.unsafe_plain_text(LITERAL_API_KEY))
    assert problems._problems == []
    assert [w[0] for w in problems._warnings] == ["plaintextKeyMaterial"]
    app = check(stack, SecretValue.unsafe_plain_text(LITERAL_APP_KEY), APP_KEY)
    assert app._problems == []


@pytest.mark.parametrize(
    ("literal", "hint"),
    [
        (LITERAL_API_KEY + "\n", "whitespace or a newline around it (a bad paste)"),
        (" " + LITERAL_API_KEY, "whitespace or a newline around it (a bad paste)"),
        (LITERAL_API_KEY[:-1] + "\\", "never contains whitespace, quotes, backslashes"),
        (LITERAL_API_KEY.upper(), "write it in lower case"),
        (LITERAL_API_KEY[:-1], "truncated paste"),
        (LITERAL_APP_KEY, "looks like a Datadog application key: a key of the wrong kind"),
        ("2d6f1c3a-7e4b-4a9d-9c1e-3f5b7a9d1e2f", "this is a UUID, a key id: `api_key` and `api_key_id` look swapped"),
        ("", "truncated paste"),
    ],
)
def test_fails_on_literal_api_key_in_wrong_format_and_says_why(stack: Stack, literal: str, hint: str) -> None:
    (problem,) = check(stack, SecretValue.unsafe_plain_text(literal))._problems
    assert "32 lower-case hexadecimal characters" in problem.allowed
    assert hint in problem.allowed
    assert problem.received == f"a literal of {len(literal)} characters (not shown)"


def test_fails_on_api_key_in_application_key_slot(stack: Stack) -> None:
    (problem,) = check(stack, SecretValue.unsafe_plain_text(LITERAL_API_KEY), APP_KEY)._problems
    assert "'ddapp_' followed by 34 letters or digits" in problem.allowed
    assert "looks like a Datadog API key" in problem.allowed


def test_legacy_application_key_is_accepted_with_a_warning(stack: Stack) -> None:
    problems = check(stack, SecretValue.unsafe_plain_text(LEGACY_APP_KEY), APP_KEY)
    assert problems._problems == []
    assert [w[0] for w in problems._warnings] == ["plaintextKeyMaterial", "legacyKeyFormat"]


def test_format_check_can_be_overridden_and_then_warns(stack: Stack) -> None:
    problems = check(stack, SecretValue.unsafe_plain_text("not-a-key"), validate_format=False)
    assert problems._problems == []
    assert [w[0] for w in problems._warnings] == ["plaintextKeyMaterial", "unrecognisedKeyFormat"]


@pytest.mark.parametrize("literal", [LITERAL_API_KEY + "\n", LITERAL_API_KEY + "\\", 'a"b', "a\tb"])
def test_override_never_admits_what_no_key_contains(stack: Stack, literal: str) -> None:
    (problem,) = check(stack, SecretValue.unsafe_plain_text(literal), validate_format=False)._problems
    assert "validate_key_format=False" not in problem.allowed


def test_a_pasted_newline_is_refused_by_the_construct_even_with_the_override() -> None:
    _, stack = new_stack()
    with pytest.raises(DdSecretsValidationError, match="a bad paste") as caught:
        DatadogAdminKeySecret(
            stack,
            "Admin",
            **admin_props(stack, admin_api_key=SecretValue.unsafe_plain_text(LITERAL_API_KEY + "\n")),
            validate_key_format=False,
        )
    assert LITERAL_API_KEY not in str(caught.value)


# --- ids ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "received", "hint"),
    [
        ("1B4E28BA-2FA1-11D2-883F-0016D3CCA427", "'1B4E28BA-2FA1-11D2-883F-0016D3CCA427'", "write it in lower case"),
        (
            "1b4e28ba2fa111d2883f0016d3cca427",  # without dashes, a UUID is shaped like an API key
            "a value shaped like a Datadog API key (not shown)",
            "`app_key` and `app_key_id` look swapped",
        ),
        ("{1b4e28ba-2fa1-11d2-883f-0016d3cca427}", "'{1b4e28ba-2fa1-11d2-883f-0016d3cca427}'", "a UUID such as"),
        ("1b4e28ba-2fa1-11d2-883f-0016d3cca427 ", "'1b4e28ba-2fa1-11d2-883f-0016d3cca427 '", "a UUID such as"),
        ("", "''", "a UUID such as"),
    ],
)
def test_fails_on_malformed_uuid(value: str, received: str, hint: str) -> None:
    problems = Problems()
    check_uuid(problems, "app_key_id", value)
    (problem,) = problems._problems
    assert (problem.prop, problem.received) == ("app_key_id", received)
    assert hint in problem.allowed


def test_uuid_accepts_canonical_and_skips_tokens() -> None:
    problems = Problems()
    check_uuid(problems, "app_key_id", "1b4e28ba-2fa1-11d2-883f-0016d3cca427")
    check_uuid(problems, "api_key_id", Token.as_string({"Ref": "Id"}))
    assert problems._problems == []
    assert problems._skipped == ["`api_key_id` (UUID format)"]


def test_fails_on_uuid_of_wrong_type() -> None:
    problems = Problems()
    check_uuid(problems, "app_key_id", None)
    assert [str(p) for p in problems._problems] == [
        "`app_key_id`: got None; a UUID string such as '1b4e28ba-2fa1-11d2-883f-0016d3cca427'"
    ]


# --- a family's keys resolved in one round trip -----------------------------------------------------


def test_resolving_ahead_gives_each_key_what_resolving_it_alone_gives() -> None:
    """A family resolves its keys together (:func:`resolve_ahead`); each check must then see the
    same value as a key resolved alone, also for a value that resolves to nothing."""
    _, alone = new_stack()
    _, ahead = new_stack()
    sources: dict[str, Callable[[Stack], SecretValue]] = {
        "literal": lambda s: SecretValue.unsafe_plain_text(LITERAL_API_KEY),
        "dynamic reference": lambda s: SecretValue.secrets_manager("datadog/seed", json_field="ApiKey"),
        "parameter": lambda s: SecretValue.cfn_parameter(CfnParameter(s, "Key", no_echo=True)),
        "import": lambda s: SecretValue.unsafe_plain_text(Fn.import_value("DatadogKey")),
        "nothing": lambda s: SecretValue(Lazy.any(Empty(), omit_empty_array=True)),
        "ssm-secure": lambda s: SecretValue.ssm_secure("/datadog/key"),
    }
    values = {name: make(ahead) for name, make in sources.items()}
    resolve_ahead(ahead, [*values.values(), "not a SecretValue"])
    for name, make in sources.items():
        value = make(alone)
        expected = alone.resolve(value.unsafe_unwrap())
        assert key_material._RESOLVED[values[name]][ahead.node.path] == expected, name
        assert key_material._resolved(alone, value) == expected, name


@jsii.implements(IStableAnyProducer)
class Empty:
    """An empty list, which ``omit_empty_array`` resolves to nothing."""

    def produce(self) -> list[str]:
        return []


def test_one_key_parameter_goes_into_one_secret_only() -> None:
    """Two secrets holding one Datadog key would each rotate it, deleting a key the other holds."""
    _, stack = new_stack()
    admin = DatadogAdminKeySecret(stack, "Admin", **admin_props(stack))
    shared = DatadogKeyParameter(stack, "Shared", kind=DatadogKeyKind.API_KEY)
    DatadogApiKeySecret(stack, "First", admin=admin, api_key=shared.secret_value, api_key_id=api_key_id(stack))
    with pytest.raises(
        DdSecretsValidationError,
        match=r"(?s)TestStack/Second: .*`api_key`: got the key parameter 'Shared', already the key of "
        r"`api_key` of TestStack/First.*a key parameter of its own for each secret",
    ):
        DatadogApiKeySecret(stack, "Second", admin=admin, api_key=shared.secret_value, api_key_id=api_key_id(stack))
    # In a family too, naming the key as the family will create it.
    with pytest.raises(DdSecretsValidationError, match=r"already the key of `api_key` of TestStack/First"):
        DatadogManagedSecrets(
            stack,
            "Team",
            admin=admin,
            api_keys={"agent": ApiKeySpec(api_key=shared.secret_value, api_key_id=api_key_id(stack))},
        )


def test_a_refused_secret_gives_its_key_parameter_back() -> None:
    _, stack = new_stack()
    admin = DatadogAdminKeySecret(stack, "Admin", **admin_props(stack))
    key = DatadogKeyParameter(stack, "Key", kind=DatadogKeyKind.API_KEY)
    with pytest.raises(DdSecretsValidationError):
        DatadogApiKeySecret(stack, "Refused", admin=admin, api_key=key.secret_value, api_key_id="not-a-uuid")
    DatadogApiKeySecret(stack, "Corrected", admin=admin, api_key=key.secret_value, api_key_id=api_key_id(stack))


def test_a_secret_that_fails_to_build_for_any_reason_gives_back_its_key_parameter_name_and_key_id() -> None:
    """Not only a refusal: here aws_cdk's own error, after every check passed, for the L1 reference of
    a key (``key.key_ref``, which has a ``key_arn``) given where an ``IKey`` belongs. A secret built
    after it in the same app may take the same construct id, key parameter, secret name and key id,
    and is counted in the API-key budget instead of it (4 keys: 2 for the imported admin, 2 for one
    API-key secret). A construct refused for an id already taken leaves the one holding it alone."""
    _, stack = new_stack(api_key_limit=4)
    admin = DatadogAdminKeySecret.from_admin_secret_attributes(
        stack, "Admin", secret_complete_arn=ADMIN_ARN, service_account_id=SERVICE_ACCOUNT
    )
    key = DatadogKeyParameter(stack, "Key", kind=DatadogKeyKind.API_KEY)
    props: dict[str, Any] = {
        "admin": admin,
        "api_key": key.secret_value,
        "api_key_id": API_KEY_ID,
        "secret_name": "datadog/agent",
    }
    with pytest.raises(Exception) as caught:  # noqa: PT011 - any error but ours
        DatadogApiKeySecret(stack, "Agent", **props, encryption_key=kms.Key(stack, "Kms").key_ref)  # type: ignore[arg-type]
    assert not isinstance(caught.value, DdSecretsValidationError)
    built = DatadogApiKeySecret(stack, "Agent", **props)
    with pytest.raises(Exception, match="There is already a Construct with name 'Agent'"):
        DatadogApiKeySecret(stack, "Agent", **props)
    logical_id = stack.get_logical_id(built.secret.node.default_child)  # type: ignore[arg-type]
    secret = Template.from_stack(stack).to_json()["Resources"][logical_id]
    assert secret["Properties"]["Name"] == "datadog/agent"
    assert {"Ref": "Key"} in secret["Properties"]["SecretString"]["Fn::Join"][1]
    assert API_KEY_ID in "".join(p for p in secret["Properties"]["SecretString"]["Fn::Join"][1] if isinstance(p, str))


def test_a_key_parameter_with_a_default_is_warned_as_plaintext_without_showing_it(stack: Stack) -> None:
    """A NoEcho parameter's Default is in the template in clear: warned like a literal key."""
    parameter = CfnParameter(
        stack, "WithDefault", no_echo=True, allowed_pattern=API_KEY.parameter_pattern, default=LITERAL_API_KEY
    )
    problems = check(stack, SecretValue.cfn_parameter(parameter))
    assert problems._problems == []
    ((warning_id, message),) = problems._warnings
    assert warning_id == "plaintextKeyMaterial"
    assert "the key parameter 'WithDefault', which has a Default: the template and the cloud assembly hold" in message
    assert LITERAL_API_KEY not in message


@pytest.mark.parametrize("own_parameter_of_the_same_id", [False, True])
def test_a_key_parameter_of_another_stack_warns_that_its_export_shows_the_key(
    own_parameter_of_the_same_id: bool,
) -> None:
    """CDK passes another stack's parameter through an export, which CloudFormation shows in clear;
    found by the value's own parameter, also when this stack has one of the same logical id."""
    app, keys = new_stack(name="Keys")
    stack = Stack(app, "TestStack2", env=Environment(account=ACCOUNT, region=REGION))
    admin = DatadogAdminKeySecret(stack, "Admin", **admin_props(stack))
    elsewhere = DatadogKeyParameter(keys, "AgentApiKey", kind=DatadogKeyKind.API_KEY)
    if own_parameter_of_the_same_id:
        own = DatadogKeyParameter(stack, "AgentApiKey", kind=DatadogKeyKind.API_KEY)
    DatadogApiKeySecret(stack, "Agent", admin=admin, api_key=elsewhere.secret_value, api_key_id=api_key_id(stack))
    (warning,) = [
        str(w.entry.data)
        for w in Annotations.from_stack(stack).find_warning("/TestStack2/Agent", Match.any_value())
        if "keyInStackExport" in str(w.entry.data)
    ]
    assert "`api_key` is the key parameter 'AgentApiKey' of the stack 'Keys'" in warning
    assert "list-exports" in warning
    if own_parameter_of_the_same_id:  # this stack's own parameter is still free for its own secret
        DatadogApiKeySecret(stack, "Own", admin=admin, api_key=own.secret_value, api_key_id=api_key_id(stack))


# Key material hidden in an intrinsic function: CloudFormation writes it, joined, into the secret.
HALF = len(LITERAL_API_KEY) // 2
LITERAL_KEY_PARTS: dict[str, Callable[[Stack], str]] = {
    "Join": lambda s: Token.as_string({"Fn::Join": ["", [LITERAL_API_KEY[:HALF], LITERAL_API_KEY[HALF:]]]}),
    "JoinApplicationKey": lambda s: Token.as_string({"Fn::Join": ["", [LITERAL_APP_KEY[:10], LITERAL_APP_KEY[10:]]]}),
    "SubVariable": lambda s: Fn.sub(LITERAL_API_KEY[:HALF] + "${Rest}", {"Rest": LITERAL_API_KEY[HALF:]}),
    "Base64": lambda s: Fn.base64(LITERAL_API_KEY),
    "SelectByParameter": lambda s: Fn.select(
        CfnParameter(s, "Index", type="Number").value_as_number, [LITERAL_API_KEY, "x"]
    ),
}
# Deploy-time values alone, or whose literal parts are names: no key in the template.
NO_LITERAL_KEY: dict[str, Callable[[Stack], str]] = {
    "Parameter": lambda s: CfnParameter(s, "Plain", no_echo=True).value_as_string,
    "Import": lambda s: Fn.import_value("datadog-agent-key"),
    "HalvesAroundTheAccount": lambda s: Fn.join("", [LITERAL_API_KEY[:HALF], Aws.ACCOUNT_ID, LITERAL_API_KEY[HALF:]]),
    "DynamicReferenceToAHexName": lambda s: SecretValue.secrets_manager(
        Fn.join("", ["datadog/", Aws.ACCOUNT_ID, f"/{LITERAL_API_KEY}"]), json_field="apiKey"
    ).unsafe_unwrap(),
}


@pytest.fixture(scope="module")
def literal_key_parts() -> dict[str, list[str]]:
    """One API key secret per entry of both tables, in one stack: its warnings, by entry."""
    _, stack = new_stack()
    admin = DatadogAdminKeySecret.from_admin_secret_attributes(
        stack, "Admin", secret_complete_arn=ADMIN_ARN, service_account_id=SERVICE_ACCOUNT
    )
    for name, make in {**LITERAL_KEY_PARTS, **NO_LITERAL_KEY}.items():
        value = SecretValue.unsafe_plain_text(make(stack))
        DatadogApiKeySecret(stack, name, admin=admin, api_key=value, api_key_id=api_key_id(stack))
    found = Annotations.from_stack(stack).find_warning("*", Match.any_value())
    return {
        name: [str(w.entry.data) for w in found if w.id == f"/TestStack/{name}"]
        for name in LITERAL_KEY_PARTS | NO_LITERAL_KEY
    }


@pytest.mark.parametrize("name", LITERAL_KEY_PARTS)
def test_a_key_in_the_literal_parts_of_an_intrinsic_is_warned_as_plaintext_without_showing_it(
    literal_key_parts: dict[str, list[str]], name: str
) -> None:
    (plaintext,) = [m for m in literal_key_parts[name] if "plaintextKeyMaterial" in m]
    assert plaintext.startswith("`api_key` is a deploy-time value whose literal parts hold a Datadog")
    assert "the key is written into the template and the cloud assembly" in plaintext
    assert not any(key in m for m in literal_key_parts[name] for key in (LITERAL_API_KEY, LITERAL_APP_KEY[10:]))


@pytest.mark.parametrize("name", NO_LITERAL_KEY)
def test_a_deploy_time_key_without_key_shaped_literal_parts_is_not_warned_as_plaintext(
    literal_key_parts: dict[str, list[str]], name: str
) -> None:
    assert not any("plaintextKeyMaterial" in m for m in literal_key_parts[name])
    assert any("deployTimeValuesNotChecked" in m for m in literal_key_parts[name])
