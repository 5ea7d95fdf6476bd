"""A secret's SecretString is the L2 Secret's own serialisation, whichever way it is given to it.

The library writes the JSON itself when every field is fixed text JSON writes as it is
(``_secret_string.py``), and gives the fields to the L2 ``Secret`` otherwise. Changing the bytes
of a SecretString is a major change (docs/versioning.md): each case below is compared, in the
synthesized template, with an L2 ``Secret`` given the same fields as ``secret_object_value``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any, Optional
from unittest import mock

import aws_cdk as cdk
import jsii
import pytest
from aws_cdk import SecretValue
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk.assertions import Template

from ddsecrets_constructs import (
    DatadogAdminKeySecret,
    DatadogApiKeySecret,
    DatadogApplicationKeySecret,
    _secret_base,
    _secret_string,
)
from tests.support import (
    LITERAL_API_KEY,
    SERVICE_ACCOUNT,
    admin_props,
    api_key_id,
    app_key_id,
    new_stack,
    param,
    stored_key,
)


@dataclass
class Case:
    secret: Any  # the library's secret construct
    reference: secretsmanager.Secret  # an L2 Secret given the same fields
    written_here: bool  # whether the library wrote the JSON itself


@dataclass
class Built:
    cases: dict[str, Case]
    resources: dict[str, Any]
    stack: cdk.Stack
    given_as: dict[str, str]  # construct path -> the L2 prop the library gave the value as


def plain(text: str) -> SecretValue:
    return SecretValue.unsafe_plain_text(text)


@cache
def build() -> Built:
    _, stack = new_stack()
    cases: dict[str, Case] = {}
    given_as: dict[str, str] = {}

    def recorded(fields: Mapping[str, Any], literal_of: Callable[[SecretValue], Optional[str]]) -> dict[str, Any]:
        props = _secret_string.secret_value_props(fields, literal_of)
        scope = literal_of.args[0]  # type: ignore[attr-defined]  # functools.partial(fixed_text, secret)
        given_as[scope.node.path] = next(iter(props))
        return props

    with mock.patch.object(_secret_base, "secret_value_props", recorded):
        build_cases(stack, cases)
    return Built(cases, Template.from_stack(stack).to_json()["Resources"], stack, given_as)


def build_cases(stack: cdk.Stack, cases: dict[str, Case]) -> None:

    def admin_key(name: str, *, written_here: bool, **keys: SecretValue) -> DatadogAdminKeySecret:
        props = admin_props(stack, **keys)
        secret = DatadogAdminKeySecret(stack, name, **props)
        fields = {
            "adminApiKey": props["admin_api_key"],
            "adminApiKeyId": plain(props["admin_api_key_id"]),
            "adminAppKey": props["admin_app_key"],
            "adminAppKeyId": plain(props["admin_app_key_id"]),
            "serviceAccountId": plain(SERVICE_ACCOUNT),
            "site": plain("datadoghq.com"),
        }
        reference = secretsmanager.Secret(stack, f"{name}Reference", secret_object_value=fields)
        cases[name] = Case(secret, reference, written_here)
        return secret

    admin = admin_key("ParameterAdmin", written_here=False)
    admin_key(
        "StoredAdmin",
        written_here=True,
        admin_api_key=stored_key("AdminApiKey"),
        admin_app_key=stored_key("AdminAppKey"),
    )

    def api_key(name: str, key: SecretValue, key_id: str, *, written_here: bool) -> None:
        secret = DatadogApiKeySecret(stack, name, admin=admin, api_key=key, api_key_id=key_id)
        reference = secretsmanager.Secret(
            stack, f"{name}Reference", secret_object_value={"apiKey": key, "apiKeyId": plain(key_id)}
        )
        cases[name] = Case(secret, reference, written_here)

    api_key("Stored", stored_key("ApiKey1"), api_key_id(stack), written_here=True)
    api_key("Literal", plain(LITERAL_API_KEY), api_key_id(stack), written_here=True)
    api_key("Parameter", param(stack, "Key"), api_key_id(stack), written_here=False)
    deploy_time_id = cdk.CfnParameter(stack, "KeyIdParam").value_as_string
    api_key("DeployTimeId", stored_key("ApiKey2"), deploy_time_id, written_here=False)
    # Text JSON escapes (a quote, a backslash) or writes differently (non-ASCII): given to the L2.
    api_key("Quote", stored_key('Api"Key'), api_key_id(stack), written_here=False)
    api_key("Backslash", stored_key("Api\\Key"), api_key_id(stack), written_here=False)
    api_key("NonAscii", stored_key("Clé"), api_key_id(stack), written_here=False)
    stage = SecretValue.secrets_manager("datadog/seed-keys", json_field="ApiKey3", version_stage="AWSPREVIOUS")
    api_key("VersionStage", stage, api_key_id(stack), written_here=True)
    ssm = SecretValue.cfn_dynamic_reference(cdk.CfnDynamicReference(cdk.CfnDynamicReferenceService.SSM, "dd-key"))
    api_key("Ssm", ssm, api_key_id(stack), written_here=True)
    joined_id = cdk.Fn.join("", ["5a9c4f6d-0b7e-4d2a-8f4b-", "6c8e0d2a4b5c"])  # a token, known at synth
    api_key("JoinedId", stored_key("ApiKey4"), joined_id, written_here=False)

    app_key, key_id = stored_key("AppKey1"), app_key_id(stack)
    secret = DatadogApplicationKeySecret(stack, "AppKey", admin=admin, app_key=app_key, app_key_id=key_id)
    fields = {"appKey": app_key, "appKeyId": plain(key_id), "serviceAccountId": plain(SERVICE_ACCOUNT)}
    cases["AppKey"] = Case(secret, secretsmanager.Secret(stack, "AppKeyReference", secret_object_value=fields), True)


def secret_string(built_: Built, secret: secretsmanager.Secret) -> Any:
    cfn = secret.node.default_child
    assert isinstance(cfn, secretsmanager.CfnSecret)
    return built_.resources[built_.stack.get_logical_id(cfn)]["Properties"]["SecretString"]


CASES = [
    "Stored",
    "Literal",
    "Parameter",
    "DeployTimeId",
    "Quote",
    "Backslash",
    "NonAscii",
    "VersionStage",
    "Ssm",
    "JoinedId",
    "AppKey",
    "StoredAdmin",
    "ParameterAdmin",
]


@pytest.mark.parametrize("name", CASES)
def test_secret_string_is_what_the_l2_secret_writes_for_the_same_fields(name: str) -> None:
    built_ = build()
    case = built_.cases[name]
    assert secret_string(built_, case.secret.secret) == secret_string(built_, case.reference)


@pytest.mark.parametrize("name", CASES)
def test_json_is_written_here_only_when_every_field_is_fixed_text_json_writes_as_it_is(name: str) -> None:
    built_ = build()
    case = built_.cases[name]
    expected = "secret_string_value" if case.written_here else "secret_object_value"
    assert built_.given_as[case.secret.node.path] == expected


def test_a_key_is_written_as_it_was_when_the_library_checked_it() -> None:
    """The text written is the text checked: a key whose token would resolve to another dynamic
    reference by synthesis (an uncached Lazy changing in between) keeps the one it was checked as."""
    app, stack = new_stack()
    admin = DatadogAdminKeySecret(stack, "Admin", **admin_props(stack))
    names = iter(["datadog/checked", "datadog/changed"])
    producer = Producer(lambda: next(names, "datadog/changed"))
    key = SecretValue.secrets_manager(cdk.Lazy.uncached_string(producer), json_field="apiKey")
    secret = DatadogApiKeySecret(stack, "Key", admin=admin, api_key=key, api_key_id=api_key_id(stack))
    assert stack.resolve(key.unsafe_unwrap()) == "{{resolve:secretsmanager:datadog/changed:SecretString:apiKey::}}"
    cfn = secret.secret.node.default_child
    assert isinstance(cfn, secretsmanager.CfnSecret)
    written = app.synth().get_stack_by_name(stack.stack_name).template["Resources"][stack.get_logical_id(cfn)]
    assert written["Properties"]["SecretString"].startswith(
        '{"apiKey":"{{resolve:secretsmanager:datadog/checked:SecretString:apiKey::}}"'
    )


@jsii.implements(cdk.IStringProducer)
class Producer:
    def __init__(self, produce: Callable[[], str]) -> None:
        self._produce = produce

    def produce(self, context: cdk.IResolveContext) -> Optional[str]:
        return self._produce()
