"""DatadogKeyParameter: NoEcho, the exact key format as AllowedPattern, the Datadog page to copy it from."""

from __future__ import annotations

import re
from typing import Any

import jsii
import pytest
from aws_cdk import CfnParameter, IStableStringProducer, Lazy, Stack
from aws_cdk.assertions import Template

from ddsecrets_constructs import DatadogKeyKind, DatadogKeyParameter, DdSecretsValidationError
from ddsecrets_constructs.key_material import API_KEY, APP_KEY
from tests.support import LEGACY_APP_KEY, LITERAL_API_KEY, LITERAL_APP_KEY, new_stack


@pytest.fixture(scope="module")
def parameters() -> tuple[Stack, dict[str, Any]]:
    _, stack = new_stack()
    for kind in DatadogKeyKind:
        DatadogKeyParameter(stack, kind.name.title().replace("_", ""), kind=kind)
    DatadogKeyParameter(stack, "Described", kind=DatadogKeyKind.API_KEY, description="API key of the Datadog Agent")
    return stack, Template.from_stack(stack).to_json()["Parameters"]


@pytest.mark.parametrize("kind", list(DatadogKeyKind))
def test_parameter_is_noecho_with_the_exact_key_pattern_and_keeps_its_logical_id(
    parameters: tuple[Stack, dict[str, Any]], kind: DatadogKeyKind
) -> None:
    _, found = parameters
    parameter = found[kind.name.title().replace("_", "")]
    assert parameter["Type"] == "String"
    assert parameter["NoEcho"] is True
    assert "Default" not in parameter
    expected = API_KEY if kind in (DatadogKeyKind.API_KEY, DatadogKeyKind.ADMIN_API_KEY) else APP_KEY
    assert parameter["AllowedPattern"] == expected.parameter_pattern
    assert "Copy it from Datadog > Organization Settings" in parameter["Description"]


@pytest.mark.parametrize(
    ("pattern", "accepted", "refused"),
    [
        (
            API_KEY.parameter_pattern,
            [LITERAL_API_KEY],
            [LITERAL_API_KEY + "\n", LITERAL_API_KEY.upper(), LITERAL_APP_KEY],
        ),
        (
            APP_KEY.parameter_pattern,
            [LITERAL_APP_KEY, LEGACY_APP_KEY],
            [LITERAL_APP_KEY + " ", LITERAL_APP_KEY + "\\", LITERAL_API_KEY, "ddapp_" + "a" * 33],
        ),
    ],
)
def test_allowed_pattern_refuses_a_bad_paste(pattern: str, accepted: list[str], refused: list[str]) -> None:
    """CloudFormation applies AllowedPattern to the whole value (as a Java regular expression)."""
    for value in accepted:
        assert re.fullmatch(pattern, value), value
    for value in refused:
        assert not re.fullmatch(pattern, value), value


def test_descriptions_name_the_page_and_the_admin_scopes(parameters: tuple[Stack, dict[str, Any]]) -> None:
    _, found = parameters
    assert "/organization-settings/api-keys" in found["ApiKey"]["Description"]
    assert "/organization-settings/service-accounts" in found["ApplicationKey"]["Description"]
    assert "owned by the admin key's service account" in found["ApplicationKey"]["Description"]
    admin_app = found["AdminApplicationKey"]["Description"]
    for scope in (
        "api_keys_write",
        "api_keys_delete",
        "org_app_keys_read",
        "org_app_keys_write",
        "service_account_write",
    ):
        assert scope in admin_app
    assert found["Described"]["Description"].startswith("API key of the Datadog Agent. A Datadog API key to rotate.")


def test_exposes_kind_and_secret_value(parameters: tuple[Stack, dict[str, Any]]) -> None:
    stack, _ = parameters
    parameter = stack.node.find_child("ApiKey")
    assert isinstance(parameter, DatadogKeyParameter)
    assert parameter.kind is DatadogKeyKind.API_KEY
    assert stack.resolve(parameter.secret_value.unsafe_unwrap()) == {"Ref": "ApiKey"}


@pytest.mark.parametrize(
    ("props", "message"),
    [
        ({"kind": "API_KEY"}, "`kind`: got 'API_KEY'; a DatadogKeyKind, e.g. DatadogKeyKind.API_KEY"),
        ({"kind": None}, "`kind`: got None; a DatadogKeyKind"),
        ({"kind": DatadogKeyKind.API_KEY, "description": 42}, "`description`: got 42; a description string"),
        (
            {"kind": DatadogKeyKind.API_KEY, "description": f"the key is {LITERAL_API_KEY}"},
            "`description`: got 'the key is <a value shaped like a Datadog API key (not shown)>'",
        ),
    ],
)
def test_fails_on_wrong_props_before_the_parameter_exists(props: dict[str, Any], message: str) -> None:
    _, stack = new_stack()
    with pytest.raises(DdSecretsValidationError) as caught:
        DatadogKeyParameter(stack, "Key", **props)
    assert str(caught.value).startswith("TestStack/Key: 1 invalid prop:\n")
    assert message in str(caught.value)
    assert LITERAL_API_KEY not in str(caught.value)
    assert stack.node.try_find_child("Key") is None


def test_the_logical_id_is_the_construct_id_without_other_characters_than_letters_and_digits() -> None:
    """README: directly in a stack, ``Agent-Api-Key`` becomes ``AgentApiKey``."""
    _, stack = new_stack()
    parameter = DatadogKeyParameter(stack, "Agent-Api-Key", kind=DatadogKeyKind.API_KEY)
    assert stack.resolve(parameter.logical_id) == "AgentApiKey"


def test_a_lazy_description_of_plain_text_is_written_and_checked_as_that_text() -> None:
    """A ``Lazy`` that resolves to plain text is a literal Description (it synthesized before 5.8.0)."""
    _, stack = new_stack()
    lazy = Lazy.string(producer=_Text("API key of the agent"))
    DatadogKeyParameter(stack, "AgentKey", kind=DatadogKeyKind.API_KEY, description=lazy)
    written = Template.from_stack(stack).to_json()["Parameters"]["AgentKey"]["Description"]
    assert written.startswith("API key of the agent. ")
    with pytest.raises(DdSecretsValidationError, match="`description`"):  # checked as the text it is
        DatadogKeyParameter(
            stack, "Other", kind=DatadogKeyKind.API_KEY, description=Lazy.string(producer=_Text("x" * 1001))
        )


@jsii.implements(IStableStringProducer)
class _Text:
    def __init__(self, text: str) -> None:
        self._text = text

    def produce(self) -> str:
        return self._text


def test_fails_on_a_deploy_time_description_which_a_parameter_cannot_have() -> None:
    _, stack = new_stack()
    description = CfnParameter(stack, "Purpose").value_as_string
    with pytest.raises(DdSecretsValidationError) as caught:
        DatadogKeyParameter(stack, "AgentKey", kind=DatadogKeyKind.API_KEY, description=description)
    assert str(caught.value) == (
        "TestStack/AgentKey: 1 invalid prop:\n  - `description`: got a deploy-time value (token); a literal "
        "description: CloudFormation takes no intrinsic function in a parameter's Description (the template "
        "would not deploy)"
    )
