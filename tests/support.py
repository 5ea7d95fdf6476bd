"""Shared test fixtures: named configurations, each synthesized once per test session.

Every template the tests read comes from ``built(name)``, so ``test_cfn_lint`` can lint exactly
the templates the suite synthesizes. Error cases build throwaway stacks with :func:`new_stack`.
"""

from __future__ import annotations

import json
import re
import weakref
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache, cached_property
from typing import Any, Optional

import aws_cdk as cdk
from aws_cdk import Duration, SecretValue
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_events_targets as events_targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as sns_subscriptions
from aws_cdk import aws_sqs as sqs
from aws_cdk.assertions import Template
from constructs import IConstruct

from ddsecrets_constructs import (
    ApiKeySpec,
    ApplicationKeySpec,
    DatadogAdminKeySecret,
    DatadogApiKeySecret,
    DatadogApplicationKeySecret,
    DatadogManagedSecrets,
    DatadogRotationAlerts,
    DatadogRotationRole,
    DatadogSite,
    KeyRotation,
)

ACCOUNT = "111111111111"
REGION = "eu-west-1"
SERVICE_ACCOUNT = "1b4e28ba-2fa1-11d2-883f-0016d3cca427"
OTHER_SERVICE_ACCOUNT = "9c0a1f6e-5b7d-4c3e-8f2a-6d1e0b9a7c55"
ADMIN_API_KEY_ID = "2d6f1c3a-7e4b-4a9d-9c1e-3f5b7a9d1e2f"
ADMIN_APP_KEY_ID = "3e7a2d4b-8f5c-4b0e-8d2f-4a6c8b0e2f3a"
APP_KEY_ID = "4f8b3e5c-9a6d-4c1f-9e3a-5b7d9c1f3a4b"
API_KEY_ID = "5a9c4f6d-0b7e-4d2a-8f4b-6c8e0d2a4b5c"


_ISSUED: weakref.WeakKeyDictionary[IConstruct, Counter[str]] = weakref.WeakKeyDictionary()


# Why a reference between a stack with an env and one without is refused (the library's
# MIXED_ENVIRONMENT_REASON, as the tests expect to read it).
MIXED_REASON = (
    "aws_cdk takes two stacks whose account or region differ, a deploy-time value against a literal one included, "
    "for two environments, and refers to the secret from the other one by an ARN built from its secret_name, "
    "without the 6-character suffix Secrets Manager adds, which matches no secret (a secret without a secret_name "
    "fails at synthesis: CannotUseCrossEnvironment; across regions with cross_region_references, a deploy-time "
    "region fails at synthesis: CrossRegionReferencesRequireExplicitRegion)"
)


def key_id(scope: IConstruct, first: str) -> str:
    """The next id of a kind of key in ``scope``'s app: ``first`` for the app's first key of that
    kind, then ``first`` with its last group counting up. Two secrets of an app cannot hold one
    Datadog key; an app with one key of each kind keeps the ids above."""
    issued = _ISSUED.setdefault(scope.node.root, Counter())
    n = issued[first]
    issued[first] += 1
    return first if n == 0 else f"{first[:24]}{n:012x}"


def app_key_id(scope: IConstruct) -> str:
    """The next application key id of ``scope``'s app (:func:`key_id`)."""
    return key_id(scope, APP_KEY_ID)


def api_key_id(scope: IConstruct) -> str:
    """The next API key id of ``scope``'s app (:func:`key_id`)."""
    return key_id(scope, API_KEY_ID)


# Shaped like Datadog keys, never real ones.
LITERAL_API_KEY = "0123456789abcdef0123456789abcdef"
LITERAL_APP_KEY = "ddapp_" + "A1b2C3d4E5" * 3 + "F6g7"
LEGACY_APP_KEY = "0123456789abcdef" * 2 + "01234567"
ADMIN_ARN = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:datadog-admin-AbC123"


@dataclass
class Built:
    """One synthesized configuration: the app, the stack, its template and named constructs."""

    app: cdk.App
    stack: cdk.Stack
    template: Template
    refs: dict[str, Any] = field(default_factory=dict)

    @cached_property
    def json(self) -> dict[str, Any]:
        """The template as a dict (read once: each jsii round-trip costs time)."""
        return dict(self.template.to_json())

    def resources(self, resource_type: str) -> dict[str, dict[str, Any]]:
        return {k: v for k, v in self.json["Resources"].items() if v["Type"] == resource_type}


# Feature flags of new CDK apps that make synthesis stricter without changing templates.
STRICT_FLAGS = {"@aws-cdk/core:checkSecretUsage": True}


def new_stack(
    *, env: bool = True, name: str = "TestStack", api_key_limit: Optional[int] = None, version_reporting: bool = False
) -> tuple[cdk.App, cdk.Stack]:
    """A stack with a fixed environment and no bootstrap rule, so templates are stable.

    ``api_key_limit`` sets ``ddsecrets:datadogApiKeyLimit`` (an organisation whose limit Datadog
    raised), for configurations that measure IAM and CloudFormation sizes with many API keys.
    """
    context: dict[str, Any] = dict(STRICT_FLAGS)
    if api_key_limit is not None:
        context[API_KEY_LIMIT_CONTEXT] = api_key_limit
    # version_reporting: what the CDK CLI turns on by default (an AWS::CDK::Metadata resource per stack).
    app = cdk.App(context=context, analytics_reporting=version_reporting)
    stack = cdk.Stack(
        app,
        name,
        env=cdk.Environment(account=ACCOUNT, region=REGION) if env else None,
        synthesizer=cdk.DefaultStackSynthesizer(generate_bootstrap_version_rule=False),
    )
    return app, stack


def param(stack: cdk.Stack, name: str) -> SecretValue:
    """Key material from a NoEcho parameter: never in the template. A name already used in the
    stack gets a number, so that tests can build several constructs from ``admin_props``."""
    construct_id, number = f"{name}Param", 1
    while stack.node.try_find_child(construct_id) is not None:
        number += 1
        construct_id = f"{name}Param{number}"
    return SecretValue.cfn_parameter(cdk.CfnParameter(stack, construct_id, no_echo=True))


def admin_props(stack: cdk.Stack, **overrides: Any) -> dict[str, Any]:
    """Valid admin props (keys from NoEcho parameters), with ``overrides`` applied."""
    props: dict[str, Any] = dict(
        site=DatadogSite.US1,
        service_account_id=SERVICE_ACCOUNT,
        admin_api_key_id=key_id(stack, ADMIN_API_KEY_ID),
        admin_app_key_id=key_id(stack, ADMIN_APP_KEY_ID),
    )
    props.update(overrides)
    for key_prop, name in (("admin_api_key", "AdminApiKey"), ("admin_app_key", "AdminAppKey")):
        if key_prop not in props:
            props[key_prop] = param(stack, name)
    return props


_BUILDERS: dict[str, Callable[[], Built]] = {}


def configuration(name: str) -> Callable[[Callable[[], Built]], Callable[[], Built]]:
    def register(builder: Callable[[], Built]) -> Callable[[], Built]:
        _BUILDERS[name] = builder
        return builder

    return register


def configuration_names() -> list[str]:
    return sorted(_BUILDERS)


@cache
def built(name: str) -> Built:
    """The configuration ``name``, synthesized once per session."""
    return _BUILDERS[name]()


def _done(app: cdk.App, stack: cdk.Stack, **refs: Any) -> Built:
    return Built(app, stack, Template.from_stack(stack), refs)


@configuration("admin_default")
def _admin_default() -> Built:
    app, stack = new_stack()
    admin = DatadogAdminKeySecret(stack, "Admin", **admin_props(stack))
    return _done(app, stack, admin=admin)


@configuration("standalone")
def _standalone() -> Built:
    """Admin, application key and API key, each with its own default role, no KMS key."""
    app, stack = new_stack()
    admin = DatadogAdminKeySecret(stack, "Admin", **admin_props(stack))
    app_key = DatadogApplicationKeySecret(
        stack, "AppKey", admin=admin, app_key=param(stack, "AppKey"), app_key_id=app_key_id(stack)
    )
    api_key = DatadogApiKeySecret(
        stack, "ApiKey", admin=admin, api_key=param(stack, "ApiKey"), api_key_id=api_key_id(stack)
    )
    return _done(app, stack, admin=admin, app_key=app_key, api_key=api_key)


@configuration("seed")
def _seed() -> Built:
    """The seed article's setup: one shared role, one admin, one app key, one API key, a KMS key."""
    app, stack = new_stack()
    key = kms.Key(stack, "Key", enable_key_rotation=True)
    admin_role = DatadogRotationRole(stack, "AdminRotationRole")
    role = DatadogRotationRole(stack, "RotationRole")
    admin = DatadogAdminKeySecret(stack, "Admin", **admin_props(stack), rotation_role=admin_role, encryption_key=key)
    app_key = DatadogApplicationKeySecret(
        stack,
        "AppKey",
        admin=admin,
        app_key=param(stack, "AppKey"),
        app_key_id=app_key_id(stack),
        service_account_id=SERVICE_ACCOUNT,
        rotation_role=role,
        encryption_key=key,
    )
    api_key = DatadogApiKeySecret(
        stack,
        "ApiKey",
        admin=admin,
        api_key=param(stack, "ApiKey"),
        api_key_id=api_key_id(stack),
        rotation_role=role,
        encryption_key=key,
    )
    consumer = iam.Role(stack, "Consumer", assumed_by=iam.ServicePrincipal("ecs-tasks.amazonaws.com"))
    api_key.grant_read(consumer)
    return _done(
        app,
        stack,
        key=key,
        role=role,
        admin_role=admin_role,
        admin=admin,
        app_key=app_key,
        api_key=api_key,
        consumer=consumer,
    )


def stored_key(name: str) -> SecretValue:
    """Key material from a dynamic reference to a secret made elsewhere (no parameter, so a stack
    can hold more keys than CloudFormation's 200 parameters)."""
    return SecretValue.secrets_manager("datadog/seed-keys", json_field=name)


def _family(
    stack: cdk.Stack, api_keys: int, app_keys: int, *, key_source: Callable[..., SecretValue] = param, **extra: Any
) -> DatadogManagedSecrets:
    def key(name: str) -> SecretValue:
        return key_source(stack, name) if key_source is param else key_source(name)

    return DatadogManagedSecrets(
        stack,
        "Datadog",
        **admin_props(stack),
        application_keys={
            f"app{i:03d}": ApplicationKeySpec(app_key=key(f"AppKey{i:03d}"), app_key_id=app_key_id(stack))
            for i in range(app_keys)
        },
        api_keys={
            f"api{i:03d}": ApiKeySpec(api_key=key(f"ApiKey{i:03d}"), api_key_id=api_key_id(stack))
            for i in range(api_keys)
        },
        **extra,
    )


@configuration("family")
def _family_default() -> Built:
    app, stack = new_stack()
    key = kms.Key(stack, "Key", enable_key_rotation=True)
    family = _family(stack, api_keys=2, app_keys=2, encryption_key=key)
    return _done(app, stack, family=family, key=key)


@configuration("family_1")
def _family_one() -> Built:
    app, stack = new_stack()
    return _done(app, stack, family=_family(stack, api_keys=1, app_keys=0))


@configuration("family_60")
def _family_sixty() -> Built:
    app, stack = new_stack(api_key_limit=RAISED_API_KEY_LIMIT)
    key = kms.Key(stack, "Key", enable_key_rotation=True)
    return _done(app, stack, family=_family(stack, api_keys=30, app_keys=30, encryption_key=key))


RAISED_API_KEY_LIMIT = 1000
"""A Datadog API-key limit high enough for the configurations that measure IAM and CloudFormation sizes."""
API_KEY_LIMIT_CONTEXT = "ddsecrets:datadogApiKeyLimit"

LARGEST_FAMILY = 240
"""The most keys one stack holds in a family with a customer-managed key (CloudFormation's 500
resources; keys from dynamic references, as parameters would stop at 200)."""


@configuration("family_largest")
def _family_largest() -> Built:
    app, stack = new_stack(api_key_limit=RAISED_API_KEY_LIMIT)
    key = kms.Key(stack, "Key", enable_key_rotation=True)
    half = LARGEST_FAMILY // 2
    family = _family(stack, api_keys=half, app_keys=half, encryption_key=key, key_source=stored_key)
    return _done(app, stack, family=family, key=key)


@configuration("shared_keys_role")
def _shared_keys_role() -> Built:
    """An admin with its default role; an application and an API key sharing one role; a KMS key."""
    app, stack = new_stack()
    key = kms.Key(stack, "Key", enable_key_rotation=True)
    admin = DatadogAdminKeySecret(stack, "Admin", **admin_props(stack), encryption_key=key)
    role = DatadogRotationRole(stack, "KeysRole")
    app_key = DatadogApplicationKeySecret(
        stack, "AppKey", admin=admin, app_key=param(stack, "AppKey"), app_key_id=app_key_id(stack), rotation_role=role
    )
    api_key = DatadogApiKeySecret(
        stack,
        "ApiKey",
        admin=admin,
        api_key=param(stack, "ApiKey"),
        api_key_id=api_key_id(stack),
        rotation_role=role,
        encryption_key=key,
    )
    return _done(app, stack, key=key, admin=admin, role=role, app_key=app_key, api_key=api_key)


@configuration("family_all_options")
def _family_all_options() -> Built:
    app, stack = new_stack()
    key = kms.Key(stack, "Key", enable_key_rotation=True)
    family = DatadogManagedSecrets(
        stack,
        "Team",
        **admin_props(stack, site=DatadogSite.EU1),
        application_keys={
            "ci": ApplicationKeySpec(
                app_key=param(stack, "CiAppKey"),
                app_key_id=app_key_id(stack),
                service_account_id=SERVICE_ACCOUNT,
                rotation=KeyRotation.cron(hour="8", week_day="MON", window=Duration.hours(3)),
                description="CI application key",
            )
        },
        api_keys={"agent": ApiKeySpec(api_key=param(stack, "AgentApiKey"), api_key_id=api_key_id(stack))},
        admin_rotation=KeyRotation.cron(hour="1", day="L", window=Duration.hours(1)),
        key_rotation=KeyRotation.cron(hour="10", day="1,15", window=Duration.hours(4)),
        encryption_key=key,
        removal_policy=cdk.RemovalPolicy.RETAIN,
        secret_name_prefix="datadog/sre",
    )
    return _done(app, stack, family=family, key=key)


@configuration("imported_admin")
def _imported_admin() -> Built:
    app, stack = new_stack()
    admin_key = kms.Key.from_key_arn(
        stack, "AdminKey", f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    )
    admin = DatadogAdminKeySecret.from_admin_secret_attributes(
        stack, "Admin", secret_complete_arn=ADMIN_ARN, service_account_id=SERVICE_ACCOUNT, encryption_key=admin_key
    )
    app_key = DatadogApplicationKeySecret(
        stack, "AppKey", admin=admin, app_key=param(stack, "AppKey"), app_key_id=app_key_id(stack)
    )
    api_key = DatadogApiKeySecret(
        stack, "ApiKey", admin=admin, api_key=param(stack, "ApiKey"), api_key_id=api_key_id(stack)
    )
    return _done(app, stack, admin=admin, app_key=app_key, api_key=api_key)


ROTATION_VARIANTS: dict[str, KeyRotation] = {
    "Every12Hours": KeyRotation.every(Duration.hours(12), window=Duration.hours(1)),
    "Every7Days": KeyRotation.every(Duration.days(7), window=Duration.hours(1)),
    "Every1Day": KeyRotation.every(Duration.days(1), window=Duration.hours(1)),
    "CronWeekly": KeyRotation.cron(hour="9", week_day="TUE"),
    "CronFirstMonday": KeyRotation.cron(hour="12", week_day="2#1", window=Duration.hours(6)),
    "Expression": KeyRotation.expression("cron(0 20 ? * SAT *)", window=Duration.hours(4)),
}
"""Each becomes an API key in the "rotations" configuration; none meets the admin's window."""


@configuration("rotations")
def _rotations() -> Built:
    app, stack = new_stack()
    admin = DatadogAdminKeySecret(stack, "Admin", **admin_props(stack))
    role = DatadogRotationRole(stack, "RotationRole", allow_get_random_password=True)
    keys = api_keys_rotating(stack, admin, ROTATION_VARIANTS, rotation_role=role)
    return _done(app, stack, admin=admin, role=role, **keys)


def api_keys_rotating(
    stack: cdk.Stack, admin: DatadogAdminKeySecret, rotations: dict[str, KeyRotation], **props: Any
) -> dict[str, DatadogApiKeySecret]:
    """One API key secret per entry, named by it, key from a parameter, on the entry's rotation."""
    return {
        name: DatadogApiKeySecret(
            stack,
            name,
            admin=admin,
            api_key=param(stack, f"{name}Key"),
            api_key_id=api_key_id(stack),
            rotation=rotation,
            **props,
        )
        for name, rotation in rotations.items()
    }


@configuration("tokens")
def _tokens() -> Built:
    """Deploy-time values everywhere a token is allowed, in an environment-agnostic stack."""
    app, stack = new_stack(env=False)

    def text(name: str) -> str:
        return cdk.CfnParameter(stack, name).value_as_string

    admin = DatadogAdminKeySecret(
        stack,
        "Admin",
        site=text("Site"),
        service_account_id=text("ServiceAccountId"),
        admin_api_key=param(stack, "AdminApiKey"),
        admin_api_key_id=text("AdminApiKeyId"),
        admin_app_key=param(stack, "AdminAppKey"),
        admin_app_key_id=text("AdminAppKeyId"),
        rotation=KeyRotation.expression(text("AdminSchedule")),
    )
    app_key = DatadogApplicationKeySecret(
        stack,
        "AppKey",
        admin=admin,
        app_key=param(stack, "AppKey"),
        app_key_id=text("AppKeyId"),
        service_account_id=text("AppServiceAccountId"),
    )
    imported = DatadogAdminKeySecret.from_admin_secret_attributes(
        stack, "ImportedAdmin", secret_complete_arn=text("AdminArn"), service_account_id=SERVICE_ACCOUNT
    )
    api_key = DatadogApiKeySecret(
        stack, "ApiKey", admin=imported, api_key=param(stack, "ApiKey"), api_key_id=api_key_id(stack)
    )
    return _done(app, stack, admin=admin, app_key=app_key, imported=imported, api_key=api_key)


@configuration("literal_keys")
def _literal_keys() -> Built:
    """Plaintext keys (tests only): accepted with warnings, legacy format warned."""
    app, stack = new_stack()
    admin = DatadogAdminKeySecret(
        stack,
        "Admin",
        **admin_props(
            stack,
            admin_api_key=SecretValue.unsafe_plain_text(LITERAL_API_KEY),
            admin_app_key=SecretValue.unsafe_plain_text(LITERAL_APP_KEY),
            site=DatadogSite.custom("us7.datadoghq.com"),
        ),
    )
    legacy = DatadogApplicationKeySecret(
        stack,
        "Legacy",
        admin=admin,
        app_key=SecretValue.unsafe_plain_text(LEGACY_APP_KEY),
        app_key_id=app_key_id(stack),
    )
    return _done(app, stack, admin=admin, legacy=legacy)


WORST_CASE_ENV = ("aws-us-gov", "ap-southeast-7")
"""Partition and region of the longest resolved ARNs, for a stack whose environment is unknown."""


def resolve_for_size(value: Any, template: dict[str, Any], env: tuple[str, str] = ("aws", REGION)) -> Any:
    """Replace intrinsics by the strings IAM would count after deploy: ARNs in ``env`` (partition,
    region; the test stacks' own by default), generated names and attributes at their longest."""
    partition, region = env
    if isinstance(value, dict):
        if "Ref" in value:
            ref = value["Ref"]
            if ref == "AWS::Partition":
                return partition
            if ref.startswith("AWS::"):
                return region if ref == "AWS::Region" else ACCOUNT
            resource = template["Resources"].get(ref, {})
            if resource.get("Type") == "AWS::SecretsManager::Secret":
                name = resource["Properties"].get("Name", ref + "-" + "x" * 12)
                return f"arn:{partition}:secretsmanager:{region}:{ACCOUNT}:secret:{name}-AbCdEf"
            return "x" * 64
        if "Fn::GetAtt" in value:
            return f"arn:{partition}:service:{region}:{ACCOUNT}:resource/{value['Fn::GetAtt'][0]}{'x' * 40}"
        if "Fn::Join" in value:
            separator, parts = value["Fn::Join"]
            return separator.join(str(resolve_for_size(p, template, env)) for p in parts)
        return {k: resolve_for_size(v, template, env) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve_for_size(v, template, env) for v in value]
    return value


def policy_size(document: dict[str, Any], template: dict[str, Any], env: tuple[str, str] = ("aws", REGION)) -> int:
    """Characters of a policy document as IAM counts them: ARNs resolved, whitespace excluded."""
    text = json.dumps(resolve_for_size(document, template, env), separators=(",", ":"))
    return len(re.sub(r"\s", "", text))


def statements(policy_resource: dict[str, Any]) -> list[dict[str, Any]]:
    return policy_resource["Properties"]["PolicyDocument"]["Statement"]  # type: ignore[no-any-return]


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def only(items: dict[str, Any]) -> tuple[str, Any]:
    assert len(items) == 1, f"expected exactly one, got {list(items)}"
    return next(iter(items.items()))


def iter_templates() -> Iterator[tuple[str, dict[str, Any]]]:
    for name in configuration_names():
        yield name, built(name).json


def warnings_of(built_: Built, path_suffix: Optional[str] = None) -> list[str]:
    """Warning messages annotated in the stack (optionally on constructs whose path ends so)."""
    messages = []
    for message in cdk.assertions.Annotations.from_stack(built_.stack).find_warning(
        "*", cdk.assertions.Match.any_value()
    ):
        if path_suffix is None or message.id.endswith(path_suffix):
            messages.append(str(message.entry.data))
    return messages


_SKIPPED_ENTRY = re.compile(r"((?:`[^`]+`(?:, )?)+) \(((?:[^()]|\([^()]*\))*)\)")


def skipped_checks(message: str) -> dict[str, list[str]]:
    """The props of a ``deployTimeValuesNotChecked`` warning, by the check skipped for them."""
    body = message.split("only known at deploy time: ", 1)[1].rsplit(". Make sure", 1)[0]
    return {check: re.findall(r"`([^`]+)`", props) for props, check in _SKIPPED_ENTRY.findall(body)}


def secret_value_fields(secret_resource: dict[str, Any]) -> dict[str, str]:
    """The SecretString as a dict, with each ``Ref`` shown as ``<Ref Name>``."""
    secret_string = secret_resource["Properties"]["SecretString"]
    if isinstance(secret_string, dict):
        separator, parts = secret_string["Fn::Join"]
        secret_string = separator.join(p if isinstance(p, str) else f"<Ref {p['Ref']}>" for p in parts)
    return json.loads(secret_string)  # type: ignore[no-any-return]


def resource_of(built_: Built, construct: Any) -> dict[str, Any]:
    """The template resource of a CfnResource construct."""
    return built_.json["Resources"][built_.stack.get_logical_id(construct)]  # type: ignore[no-any-return]


def secret_resource(built_: Built, secret_construct: Any) -> dict[str, Any]:
    return resource_of(built_, secret_construct.secret.node.default_child)


def schedule_resource(built_: Built, secret_construct: Any) -> dict[str, Any]:
    return resource_of(built_, secret_construct.rotation_schedule)


@configuration("admin_all_options")
def _admin_all_options() -> Built:
    app, stack = new_stack()
    key = kms.Key(stack, "Key", enable_key_rotation=True)
    admin = DatadogAdminKeySecret(
        stack,
        "Admin",
        **admin_props(stack, site=DatadogSite.AP1),
        rotation=KeyRotation.cron(hour="20", week_day="SUN", window=Duration.hours(3)),
        rotation_role=DatadogRotationRole(stack, "Role", description="Datadog rotation"),
        encryption_key=key,
        removal_policy=cdk.RemovalPolicy.DESTROY,
        secret_name="datadog/admin",
        description="Admin keys of the SRE service account",
        rotate_immediately_on_update=True,
    )
    return _done(app, stack, admin=admin, key=key)


@configuration("cross_stack")
def _cross_stack() -> Built:
    """An admin in one stack, its API key in another: the child stack's template."""
    app, admin_stack = new_stack(name="AdminStack")
    admin = DatadogAdminKeySecret(admin_stack, "Admin", **admin_props(admin_stack))
    stack = cdk.Stack(
        app,
        "KeysStack",
        env=cdk.Environment(account=ACCOUNT, region=REGION),
        synthesizer=cdk.DefaultStackSynthesizer(generate_bootstrap_version_rule=False),
    )
    api_key = DatadogApiKeySecret(
        stack, "ApiKey", admin=admin, api_key=param(stack, "ApiKey"), api_key_id=api_key_id(stack)
    )
    return _done(app, stack, admin=admin, api_key=api_key, admin_stack=admin_stack)


@configuration("family_alerts")
def _family_alerts() -> Built:
    """A family with a KMS key, its rotation alerts, and an ECS consumer of two keys."""
    app, stack = new_stack()
    key = kms.Key(stack, "Key", enable_key_rotation=True)
    family = _family(stack, api_keys=1, app_keys=1, encryption_key=key)
    alerts = family.add_rotation_alerts()
    task = ecs.FargateTaskDefinition(stack, "Task")
    task.add_container(
        "app",
        image=ecs.ContainerImage.from_registry("public.ecr.aws/datadog/agent:7"),
        secrets={
            "DD_API_KEY": family.api_key("api000").ecs_secret(),
            "DD_APP_KEY": family.application_key("app000").ecs_secret(),
        },
    )
    return _done(app, stack, family=family, key=key, alerts=alerts, task=task)


@configuration("alerts_exact")
def _alerts_exact() -> Built:
    """Alerts on named secrets (one imported), success events included, routed to a given queue."""
    app, stack = new_stack()
    admin = DatadogAdminKeySecret.from_admin_secret_attributes(
        stack, "Admin", secret_complete_arn=ADMIN_ARN, service_account_id=SERVICE_ACCOUNT
    )
    api_key = DatadogApiKeySecret(
        stack, "ApiKey", admin=admin, api_key=param(stack, "ApiKey"), api_key_id=api_key_id(stack)
    )
    queue = sqs.Queue(stack, "Queue", enforce_ssl=True)
    alerts = DatadogRotationAlerts(
        stack, "Alerts", secrets=[admin, api_key], include_succeeded=True, targets=[events_targets.SqsQueue(queue)]
    )
    return _done(app, stack, admin=admin, api_key=api_key, alerts=alerts, queue=queue)


LONGEST_NAME = "datadog/" + "n" * 490 + "/api-key-"
"""Secret names at the longest Secrets Manager allows (512 characters), differing in their end."""


@configuration("alerts_longest")
def _alerts_longest() -> Built:
    """Alerts on ten secrets with the longest names allowed, and ten with generated names."""
    app, stack = new_stack()
    admin = DatadogAdminKeySecret.from_admin_secret_attributes(
        stack, "Admin", secret_complete_arn=ADMIN_ARN, service_account_id=SERVICE_ACCOUNT
    )
    named = [
        DatadogApiKeySecret(
            stack,
            f"Named{i}",
            admin=admin,
            api_key=param(stack, f"Named{i}"),
            api_key_id=api_key_id(stack),
            secret_name=f"{LONGEST_NAME[: 512 - 3]}{i:03d}",
        )
        for i in range(10)
    ]
    generated = [
        DatadogApiKeySecret(
            stack,
            f"GeneratedNameKey{i}",
            admin=admin,
            api_key=param(stack, f"Generated{i}"),
            api_key_id=api_key_id(stack),
        )
        for i in range(10)
    ]
    named_alerts = DatadogRotationAlerts(stack, "NamedAlerts", secrets=named, include_label_updated=True)
    generated_alerts = DatadogRotationAlerts(stack, "GeneratedAlerts", secrets=[admin, *generated])
    return _done(
        app, stack, named=named, generated=generated, named_alerts=named_alerts, generated_alerts=generated_alerts
    )


@configuration("alerts_options")
def _alerts_options() -> Built:
    """A family's alerts with every option: success events, the AWS Config check, the family's key."""
    app, stack = new_stack()
    key = kms.Key(stack, "Key", enable_key_rotation=True)
    family = _family(stack, api_keys=1, app_keys=1, encryption_key=key)
    alerts = family.add_rotation_alerts(include_label_updated=True, rotation_check=True, use_family_key=True)
    alerts.topic.add_subscription(sns_subscriptions.EmailSubscription("sre@example.com"))  # typed: mypy checks it
    return _done(app, stack, family=family, key=key, alerts=alerts)


@configuration("alerts_existing_topic")
def _alerts_existing_topic() -> Built:
    """Alerts to a topic of the app (with its own key), and to an imported topic."""
    app, stack = new_stack()
    admin = DatadogAdminKeySecret(stack, "Admin", **admin_props(stack))
    topic_key = kms.Key(stack, "TopicKey", enable_key_rotation=True)
    topic = sns.Topic(stack, "OpsTopic", master_key=topic_key, enforce_ssl=True)
    alerts = DatadogRotationAlerts(stack, "Alerts", secrets=[admin], topic=topic, rotation_check=True)
    imported = sns.Topic.from_topic_arn(stack, "Imported", f"arn:aws:sns:{REGION}:{ACCOUNT}:ops")
    imported_alerts = DatadogRotationAlerts(stack, "ImportedTopicAlerts", secrets=[admin], topic=imported)
    # A topic of the app encrypted with a key made elsewhere: its key policy cannot be changed here.
    foreign_key = kms.Key.from_key_arn(
        stack, "ForeignKey", f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    )
    foreign_key_topic = sns.Topic(stack, "ForeignKeyTopic", master_key=foreign_key, enforce_ssl=True)
    foreign_key_alerts = DatadogRotationAlerts(stack, "ForeignKeyAlerts", secrets=[admin], topic=foreign_key_topic)
    return _done(
        app,
        stack,
        admin=admin,
        topic=topic,
        topic_key=topic_key,
        alerts=alerts,
        imported_alerts=imported_alerts,
        foreign_key_topic=foreign_key_topic,
        foreign_key_alerts=foreign_key_alerts,
    )
