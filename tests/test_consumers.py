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

from ddsecrets_constructs import DatadogAdminKeySecret, DatadogApiKeySecret, DatadogSite
from tests.support import ACCOUNT, REGION, admin_props, api_key_id, as_list, new_stack, param


def _stack() -> tuple[cdk.Stack, DatadogAdminKeySecret, DatadogApiKeySecret]:
    _, stack = new_stack()
    admin = DatadogAdminKeySecret(stack, "Admin", **admin_props(stack, site=DatadogSite.EU1))
    api_key = DatadogApiKeySecret(
        stack, "Agent", admin=admin, api_key=param(stack, "Key"), api_key_id=api_key_id(stack)
    )
    return stack, admin, api_key


def _agent(field: bool, site: bool = True) -> tuple[dict[str, Any], DatadogApiKeySecret, DatadogAdminKeySecret]:
    stack, admin, api_key = _stack()
    told: dict[str, Any] = {"site": api_key.site.value} if site else {}
    datadog = (
        DatadogECSFargate(api_key_secret=api_key.secret, api_key_secret_field=api_key.KEY_FIELD, **told)
        if field
        else DatadogECSFargate(api_key_secret=api_key.secret, **told)
    )
    task = datadog.fargate_task_definition(
        stack, "Task", ecs.FargateTaskDefinitionProps(cpu=512, memory_limit_mib=1024)
    )
    task.add_container("App", image=ecs.ContainerImage.from_registry("public.ecr.aws/nginx/nginx:stable"))
    return dict(Template.from_stack(stack).to_json()), api_key, admin


def _agent_container(template: dict[str, Any]) -> Any:
    (task,) = [r for r in template["Resources"].values() if r["Type"] == "AWS::ECS::TaskDefinition"]
    (agent,) = [c for c in task["Properties"]["ContainerDefinitions"] if c["Name"] == "datadog-agent"]
    return agent


def _agent_secret(template: dict[str, Any]) -> Any:
    (secret,) = _agent_container(template)["Secrets"]
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


def test_the_agent_and_the_lambda_told_the_admins_site_send_there_and_untold_send_to_us1(
    agent_with_field: Any,
) -> None:
    """A key is valid on its own site only (EU1 here): untold, both send to datadoghq.com."""
    template, _, _ = agent_with_field
    told = {e["Name"]: e["Value"] for e in _agent_container(template)["Environment"]}
    assert told["DD_SITE"] == "datadoghq.eu"
    variables, _, _ = _lambda(site=lambda key: key.site.value, api_key=lambda key: key.api_key_value().unsafe_unwrap())
    assert variables["DD_SITE"] == "datadoghq.eu"

    untold, _, _ = _agent(field=True, site=False)
    assert "DD_SITE" not in {e["Name"] for e in _agent_container(untold).get("Environment", [])}
    variables, _, _ = _lambda(api_key=lambda key: key.api_key_value().unsafe_unwrap())
    assert variables["DD_SITE"] == "datadoghq.com"


def test_a_keys_site_is_its_admins_and_an_admin_imported_without_site_cannot_tell_it() -> None:
    from ddsecrets_constructs import DdSecretsValidationError
    from tests.support import ADMIN_ARN, SERVICE_ACCOUNT

    _, stack = new_stack()
    for name, site in (("WithSite", DatadogSite.AP1), ("WithoutSite", None)):
        admin = DatadogAdminKeySecret.from_admin_secret_attributes(
            stack, f"{name}Admin", secret_complete_arn=ADMIN_ARN, service_account_id=SERVICE_ACCOUNT, site=site
        )
        key = DatadogApiKeySecret(stack, name, admin=admin, api_key=param(stack, name), api_key_id=api_key_id(stack))
        if site is not None:
            assert key.site == admin.site == DatadogSite.AP1
            continue
        assert admin.site is None
        with pytest.raises(DdSecretsValidationError) as caught:
            key.site  # noqa: B018
        assert str(caught.value) == (
            "TestStack/WithoutSite: 1 invalid prop:\n  - `admin`: got the admin imported at "
            "'TestStack/WithoutSiteAdmin' without site; an admin whose site is known: import it with "
            "DatadogAdminKeySecret.from_admin_secret_attributes(..., site=DatadogSite.EU1) (its keys' site), or read "
            "the site where the admin is made"
        )
    with pytest.raises(DdSecretsValidationError, match=r"`site`: got 'datadoghq\.eu\.'"):
        DatadogAdminKeySecret.from_admin_secret_attributes(
            stack, "Typo", secret_complete_arn=ADMIN_ARN, service_account_id=SERVICE_ACCOUNT, site="datadoghq.eu."
        )


def test_docs_show_the_wiring_the_readme_app_uses_and_these_tests_check() -> None:
    root = Path(__file__).resolve().parent.parent
    readme = root.joinpath("README.md").read_text()
    (app_block,) = re.findall(r"^```python\n# file: my_app/consumers.py\n(.*?)^```", readme, flags=re.S | re.M)
    docs = root.joinpath("docs", "consumers.md").read_text()
    for wiring in (
        "site = api_key.site.value",
        "DatadogECSFargate(api_key_secret=api_key.secret, api_key_secret_field=api_key.KEY_FIELD, site=site)",
        "site=site,",
        "ecs.FargateTaskDefinitionProps(cpu=512, memory_limit_mib=1024)",
        "api_key=api_key.api_key_value().unsafe_unwrap(),",
        "python_layer_version=117,",
        "extension_layer_version=96,",
    ):
        assert wiring in app_block, wiring
        assert " ".join(wiring.split()).replace("( ", "(") in " ".join(docs.split()).replace("( ", "("), wiring


def _agent_in_another_stack(seen_without_key: bool) -> cdk.App:
    """The README's Agent in its own stack, the keys encrypted with a customer-managed key."""
    from aws_cdk import aws_kms as kms
    from aws_cdk import aws_secretsmanager as secretsmanager

    app, keys = new_stack(name="Keys")
    key = kms.Key(keys, "Key", enable_key_rotation=True)
    admin = DatadogAdminKeySecret(keys, "Admin", **admin_props(keys, site=DatadogSite.EU1), encryption_key=key)
    api_key = DatadogApiKeySecret(
        keys, "Agent", admin=admin, api_key=param(keys, "Key"), api_key_id=api_key_id(keys), encryption_key=key
    )
    consumers = cdk.Stack(app, "Consumers", env=cdk.Environment(account=ACCOUNT, region=REGION))
    site = api_key.site.value
    self = consumers
    if seen_without_key:  # the docs' lines, as written there
        seen = secretsmanager.Secret.from_secret_complete_arn(self, "AgentApiKey", api_key.secret.secret_arn)  # no key
        agent = DatadogECSFargate(api_key_secret=seen, api_key_secret_field=api_key.KEY_FIELD, site=site)
        task = agent.fargate_task_definition(
            self, "Task", ecs.FargateTaskDefinitionProps(cpu=512, memory_limit_mib=1024)
        )
        api_key.grant_read(task.obtain_execution_role())  # GetSecretValue and kms:Decrypt, in the role's own policy
    else:
        agent = DatadogECSFargate(api_key_secret=api_key.secret, api_key_secret_field=api_key.KEY_FIELD, site=site)
        agent.fargate_task_definition(self, "Task", ecs.FargateTaskDefinitionProps(cpu=512, memory_limit_mib=1024))
    return app


def test_the_agent_in_another_stack_than_keys_with_a_customer_managed_key_reads_them_as_the_docs_show() -> None:
    """Given the secret itself, DatadogECSFargate's grant (CDK's) names the task's role in the key
    policy while the task reads the secret's ARN from the keys stack: a dependency cycle."""
    with pytest.raises(RuntimeError, match="DependencyCycle"):
        _agent_in_another_stack(seen_without_key=False).synth()
    assembly = _agent_in_another_stack(seen_without_key=True).synth()
    consumers = assembly.get_stack_by_name("Consumers").template
    agent = _agent_container(consumers)
    (secret,) = agent["Secrets"]
    assert "Fn::ImportValue" in json.dumps(secret["ValueFrom"])
    assert secret["ValueFrom"]["Fn::Join"][1][-1] == ":apiKey::"
    policies = [r for r in consumers["Resources"].values() if r["Type"] == "AWS::IAM::Policy"]
    actions = {
        a for p in policies for s in p["Properties"]["PolicyDocument"]["Statement"] for a in as_list(s["Action"])
    }
    assert {"secretsmanager:GetSecretValue", "kms:Decrypt"} <= actions
    keys = assembly.get_stack_by_name("Keys").template
    key_policy = json.dumps(
        [r["Properties"]["KeyPolicy"] for r in keys["Resources"].values() if r["Type"] == "AWS::KMS::Key"]
    )
    assert "Consumers" not in key_policy
    docs = " ".join(Path(__file__).resolve().parent.parent.joinpath("docs", "consumers.md").read_text().split())
    source = " ".join(Path(__file__).read_text().split())
    for line in (
        'seen = secretsmanager.Secret.from_secret_complete_arn(self, "AgentApiKey", api_key.secret.secret_arn)'
        " # no key",
        "agent = DatadogECSFargate(api_key_secret=seen, api_key_secret_field=api_key.KEY_FIELD, site=site)",
        "api_key.grant_read(task.obtain_execution_role()) # GetSecretValue and kms:Decrypt, in the role's own policy",
    ):
        assert line in docs, line
        assert line in source, line


def test_a_task_cpu_among_fargate_task_definition_keywords_sizes_the_agent_and_fails() -> None:
    """docs/consumers.md: the keywords configure the Agent's container, so the task's size goes in
    `FargateTaskDefinitionProps`; `cpu=` as a keyword fails with `ContainerValuesCannotGreater`."""
    stack, _, api_key = _stack()
    datadog = DatadogECSFargate(api_key_secret=api_key.secret, api_key_secret_field=api_key.KEY_FIELD)
    with pytest.raises(RuntimeError, match=r"^ContainerValuesCannotGreater"):
        datadog.fargate_task_definition(stack, "Task", cpu=512, memory_limit_mib=1024)
    docs = " ".join(Path(__file__).resolve().parent.parent.joinpath("docs", "consumers.md").read_text().split())
    assert "a task `cpu=` there fails with `ContainerValuesCannotGreater`" in docs
