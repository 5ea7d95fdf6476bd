"""A secret's SecretString is the L2 Secret's own serialisation, whichever way it is given to it.

The library writes the JSON itself when every field is fixed text JSON writes as it is
(``_secret_string.py``), and gives the fields to the L2 ``Secret`` otherwise. Changing the bytes
of a SecretString is a major change (docs/versioning.md): each case below is compared, in the
synthesized template, with an L2 ``Secret`` given the same fields as ``secret_object_value``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import SecretValue
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk.assertions import Template

from ddsecrets_constructs import DatadogAdminKeySecret, DatadogApiKeySecret, DatadogApplicationKeySecret
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


def plain(text: str) -> SecretValue:
    return SecretValue.unsafe_plain_text(text)


@cache
def build() -> Built:
    _, stack = new_stack()
    cases: dict[str, Case] = {}

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

    app_key, key_id = stored_key("AppKey1"), app_key_id(stack)
    secret = DatadogApplicationKeySecret(stack, "AppKey", admin=admin, app_key=app_key, app_key_id=key_id)
    fields = {"appKey": app_key, "appKeyId": plain(key_id), "serviceAccountId": plain(SERVICE_ACCOUNT)}
    cases["AppKey"] = Case(secret, secretsmanager.Secret(stack, "AppKeyReference", secret_object_value=fields), True)
    return Built(cases, Template.from_stack(stack).to_json()["Resources"], stack)


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
    case = build().cases[name]
    cfn = case.secret.secret.node.default_child
    assert isinstance(cfn, secretsmanager.CfnSecret)
    # Written here: a plain string, nothing for CDK to map at each resolution; else the L2's JSON of tokens.
    assert cdk.Token.is_unresolved(cfn.secret_string) is not case.written_here
