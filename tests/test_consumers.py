"""docs/consumers.md, synthesized with the real datadog-cdk-constructs-v2 (pinned in requirements-dev.txt).

The Agent on ECS Fargate reads the `apiKey` field when told the field, and the whole JSON when not;
`DatadogLambda` given the secret hands the extension the secret's ARN (the extension would read the
whole JSON), given `api_key_value()` a deploy-time reference to the `apiKey` field.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_lambda as lambda_
from aws_cdk.assertions import Template
from datadog_cdk_constructs_v2 import DatadogECSFargate, DatadogLambda

from ddsecrets_constructs import DatadogAdminKeySecret, DatadogApiKeySecret
from tests.support import admin_props, api_key_id, new_stack, param


def _stack() -> tuple[cdk.Stack, DatadogAdminKeySecret, DatadogApiKeySecret]:
    _, stack = new_stack()
    admin = DatadogAdminKeySecret(stack, "Admin", **admin_props(stack))
    api_key = DatadogApiKeySecret(
        stack, "Agent", admin=admin, api_key=param(stack, "Key"), api_key_id=api_key_id(stack)
    )
    return stack, admin, api_key


def _agent(field: bool) -> tuple[dict[str, Any], DatadogApiKeySecret, DatadogAdminKeySecret]:
    stack, admin, api_key = _stack()
    datadog = (
        DatadogECSFargate(api_key_secret=api_key.secret, api_key_secret_field=api_key.KEY_FIELD)
        if field
        else DatadogECSFargate(api_key_secret=api_key.secret)
    )
    task = datadog.fargate_task_definition(
        stack, "Task", ecs.FargateTaskDefinitionProps(cpu=512, memory_limit_mib=1024)
    )
    task.add_container("App", image=ecs.ContainerImage.from_registry("public.ecr.aws/nginx/nginx:stable"))
    return dict(Template.from_stack(stack).to_json()), api_key, admin


def _agent_secret(template: dict[str, Any]) -> Any:
    (task,) = [r for r in template["Resources"].values() if r["Type"] == "AWS::ECS::TaskDefinition"]
    (agent,) = [c for c in task["Properties"]["ContainerDefinitions"] if c["Name"] == "datadog-agent"]
    (secret,) = agent["Secrets"]
    assert secret["Name"] == "DD_API_KEY"
    return secret["ValueFrom"]


def _ref(template: dict[str, Any], construct: Any) -> dict[str, str]:
    stack = cdk.Stack.of(construct)
    return {"Ref": stack.get_logical_id(construct.node.find_child("Resource").node.default_child)}


@pytest.fixture(scope="module")
def agent_with_field() -> tuple[dict[str, Any], DatadogApiKeySecret, DatadogAdminKeySecret]:
    return _agent(field=True)


def test_ecs_agent_told_the_field_reads_api_key_of_its_secret(agent_with_field: Any) -> None:
    template, api_key, _ = agent_with_field
    assert _agent_secret(template) == {"Fn::Join": ["", [_ref(template, api_key), ":apiKey::"]]}


def test_ecs_agent_execution_role_reads_its_api_key_secret_and_never_the_admin(agent_with_field: Any) -> None:
    template, api_key, admin = agent_with_field
    statements = [
        s
        for r in template["Resources"].values()
        if r["Type"] == "AWS::IAM::Policy"
        for s in r["Properties"]["PolicyDocument"]["Statement"]
        if "secretsmanager:GetSecretValue" in s["Action"]
    ]
    assert [s["Resource"] for s in statements] == [_ref(template, api_key)]
    assert json.dumps(_ref(template, admin)) not in json.dumps(statements)


def test_ecs_agent_not_told_the_field_gets_the_whole_json() -> None:
    """The trap the docs warn about: DD_API_KEY would be the secret's JSON text."""
    template, api_key, _ = _agent(field=False)
    assert _agent_secret(template) == _ref(template, api_key)


def _lambda(**datadog: Any) -> tuple[dict[str, Any], dict[str, Any], DatadogApiKeySecret]:
    stack, _, api_key = _stack()
    handler = lambda_.Function(
        stack,
        "Handler",
        runtime=lambda_.Runtime.PYTHON_3_12,
        handler="index.handler",
        code=lambda_.Code.from_inline("def handler(event, context):\n    return 'ok'\n"),
    )
    values = {key: value(api_key) for key, value in datadog.items()}
    DatadogLambda(
        stack, "Datadog", python_layer_version=117, extension_layer_version=96, source_code_integration=False, **values
    ).add_lambda_functions([handler])
    template = dict(Template.from_stack(stack).to_json())
    (function,) = [r for r in template["Resources"].values() if r["Type"] == "AWS::Lambda::Function"]
    return function["Properties"]["Environment"]["Variables"], template, api_key


def test_datadog_lambda_given_api_key_value_resolves_the_api_key_field_at_deploy_time() -> None:
    variables, template, api_key = _lambda(api_key=lambda key: key.api_key_value().unsafe_unwrap())
    assert "DD_API_KEY_SECRET_ARN" not in variables
    assert variables["DD_API_KEY"] == {
        "Fn::Join": ["", ["{{resolve:secretsmanager:", _ref(template, api_key), ":SecretString:apiKey::}}"]]
    }


def test_datadog_lambda_given_the_secret_passes_its_arn_so_the_extension_would_read_the_whole_json() -> None:
    variables, template, api_key = _lambda(api_key_secret=lambda key: key.secret)
    assert "DD_API_KEY" not in variables
    assert variables["DD_API_KEY_SECRET_ARN"] == _ref(template, api_key)


def test_docs_show_the_wiring_the_readme_app_uses_and_these_tests_check() -> None:
    root = Path(__file__).resolve().parent.parent
    readme = root.joinpath("README.md").read_text()
    (app_block,) = re.findall(r"^```python\n# file: my_app/consumers.py\n(.*?)^```", readme, flags=re.S | re.M)
    docs = root.joinpath("docs", "consumers.md").read_text()
    for wiring in (
        "DatadogECSFargate(api_key_secret=api_key.secret, api_key_secret_field=api_key.KEY_FIELD)",
        "ecs.FargateTaskDefinitionProps(cpu=512, memory_limit_mib=1024)",
        "api_key=api_key.api_key_value().unsafe_unwrap(),",
        "python_layer_version=117,",
        "extension_layer_version=96,",
    ):
        assert wiring in app_block, wiring
        assert " ".join(wiring.split()).replace("( ", "(") in " ".join(docs.split()).replace("( ", "("), wiring


def test_a_task_cpu_among_fargate_task_definition_keywords_sizes_the_agent_and_fails() -> None:
    """docs/consumers.md: the keywords configure the Agent's container, so the task's size goes in
    `FargateTaskDefinitionProps`; `cpu=` as a keyword fails with `ContainerValuesCannotGreater`."""
    stack, _, api_key = _stack()
    datadog = DatadogECSFargate(api_key_secret=api_key.secret, api_key_secret_field=api_key.KEY_FIELD)
    with pytest.raises(RuntimeError, match=r"^ContainerValuesCannotGreater"):
        datadog.fargate_task_definition(stack, "Task", cpu=512, memory_limit_mib=1024)
    docs = " ".join(Path(__file__).resolve().parent.parent.joinpath("docs", "consumers.md").read_text().split())
    assert "a task `cpu=` there fails with `ContainerValuesCannotGreater`" in docs
