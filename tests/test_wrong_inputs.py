"""Every wrong input is one DdSecretsValidationError naming the construct path, the prop, the value
received (as written, never an object repr) and what is allowed.

The props come from the signatures, so a prop added later is swept too: for each one, a string, a
dict, an int, None and an object of a wrong class are tried, except those its annotation admits
(their content is checked by the tests of each module).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Any, Union, get_args, get_origin, get_type_hints

import aws_cdk as cdk
import pytest
from aws_cdk import Duration, Stack

from ddsecrets_constructs import (
    ApiKeySpec,
    ApplicationKeySpec,
    DatadogAdminKeySecret,
    DatadogApiKeySecret,
    DatadogApplicationKeySecret,
    DatadogKeyKind,
    DatadogKeyParameter,
    DatadogManagedSecrets,
    DatadogRotationAlerts,
    DatadogRotationRole,
    DatadogSite,
    DdSecretsValidationError,
    ImportedDatadogAdminKeySecret,
    KeyRotation,
)
from tests.support import (
    ACCOUNT,
    ADMIN_ARN,
    MIXED_REASON,
    REGION,
    SERVICE_ACCOUNT,
    admin_props,
    api_key_id,
    app_key_id,
    new_stack,
    param,
)

# (what the message must show, the value)
WRONG = [("'rate(30 days)'", "rate(30 days)"), ("{'a': 1}", {"a": 1}), ("42", 42), ("None", None)]
WRONG_CLASS = ("Duration.hours(3)", Duration.hours(3))
WRONG_CLASS_FOR_DURATION = ("KeyRotation.cron()", KeyRotation.cron())


@dataclass
class Target:
    """One public construct, factory or value object, and how to build it around one wrong value."""

    name: str
    function: Callable[..., Any]
    build: Callable[[Stack, str, dict[str, Any]], Any]
    """Builds it in ``stack`` under id ``construct_id`` with the given overrides of its valid props."""
    prop: Callable[[str], str] = lambda name: name
    """The prop name the error must use for an argument."""
    argument_named: bool = False
    """KeyRotation arguments: the error names the prop it was given to, and the argument."""
    not_ours: str = ""


def _admin(stack: Stack) -> DatadogAdminKeySecret:
    found = stack.node.try_find_child("Admin")
    if isinstance(found, DatadogAdminKeySecret):
        return found
    return DatadogAdminKeySecret(stack, "Admin", **admin_props(stack))


def _app(stack: Stack, cid: str, o: dict[str, Any]) -> Any:
    props: dict[str, Any] = {
        "admin": _admin(stack),
        "app_key": param(stack, "Key"),
        "app_key_id": app_key_id(stack),
    } | o
    return DatadogApplicationKeySecret(stack, cid, **props)


def _api(stack: Stack, cid: str, o: dict[str, Any]) -> Any:
    props: dict[str, Any] = {
        "admin": _admin(stack),
        "api_key": param(stack, "Key"),
        "api_key_id": api_key_id(stack),
    } | o
    return DatadogApiKeySecret(stack, cid, **props)


def _family(stack: Stack, cid: str, o: dict[str, Any], app: Any = None, api: Any = None) -> Any:
    app = app or ApplicationKeySpec(app_key=param(stack, "AppKey"), app_key_id=app_key_id(stack))
    api = api or ApiKeySpec(api_key=param(stack, "ApiKey"), api_key_id=api_key_id(stack))
    props = admin_props(stack) | {"application_keys": {"ci": app}, "api_keys": {"agent": api}} | o
    return DatadogManagedSecrets(stack, cid, **props)


def _app_spec(stack: Stack, cid: str, o: dict[str, Any]) -> Any:
    spec: dict[str, Any] = {"app_key": param(stack, "SpecKey"), "app_key_id": app_key_id(stack)} | o
    return _family(stack, cid, {}, app=ApplicationKeySpec(**spec))


def _api_spec(stack: Stack, cid: str, o: dict[str, Any]) -> Any:
    spec: dict[str, Any] = {"api_key": param(stack, "SpecKey"), "api_key_id": api_key_id(stack)} | o
    return _family(stack, cid, {}, api=ApiKeySpec(**spec))


def _imported(stack: Stack, cid: str, o: dict[str, Any]) -> Any:
    props = {"secret_complete_arn": ADMIN_ARN, "service_account_id": SERVICE_ACCOUNT} | o
    return DatadogAdminKeySecret.from_admin_secret_attributes(stack, cid, **props)


def _rotation(
    factory: Callable[..., KeyRotation], valid: dict[str, Any]
) -> Callable[[Stack, str, dict[str, Any]], Any]:
    def build(stack: Stack, cid: str, o: dict[str, Any]) -> Any:
        return _api(stack, cid, {"rotation": factory(**(valid | o))})

    return build


TARGETS = [
    Target(
        "DatadogAdminKeySecret",
        DatadogAdminKeySecret.__init__,
        lambda s, c, o: DatadogAdminKeySecret(s, c, **(admin_props(s) | o)),
    ),
    Target("DatadogApplicationKeySecret", DatadogApplicationKeySecret.__init__, _app),
    Target("DatadogApiKeySecret", DatadogApiKeySecret.__init__, _api),
    Target("DatadogManagedSecrets", DatadogManagedSecrets.__init__, _family),
    Target("ApplicationKeySpec", ApplicationKeySpec, _app_spec, prop=lambda n: f"application_keys['ci'].{n}"),
    Target("ApiKeySpec", ApiKeySpec, _api_spec, prop=lambda n: f"api_keys['agent'].{n}"),
    Target("from_admin_secret_attributes", DatadogAdminKeySecret.from_admin_secret_attributes, _imported),
    Target(
        "ImportedDatadogAdminKeySecret",
        ImportedDatadogAdminKeySecret.__init__,
        lambda s, c, o: ImportedDatadogAdminKeySecret(
            s, c, **({"secret_complete_arn": ADMIN_ARN, "service_account_id": SERVICE_ACCOUNT} | o)
        ),
    ),
    Target(
        "KeyRotation.cron",
        KeyRotation.cron,
        _rotation(KeyRotation.cron, {"hour": "9", "week_day": "TUE", "window": Duration.hours(2)}),
        prop=lambda n: "rotation",
        argument_named=True,
    ),
    Target(
        "KeyRotation.every",
        KeyRotation.every,
        _rotation(KeyRotation.every, {"interval": Duration.days(7), "window": Duration.hours(1)}),
        prop=lambda n: "rotation",
        argument_named=True,
    ),
    Target(
        "KeyRotation.expression",
        KeyRotation.expression,
        _rotation(KeyRotation.expression, {"expression": "cron(0 20 ? * SAT *)"}),
        prop=lambda n: "rotation",
        argument_named=True,
    ),
    Target(
        "DatadogSite.custom",
        DatadogSite.custom,
        lambda s, c, o: DatadogAdminKeySecret(
            s, c, **admin_props(s, site=DatadogSite.custom(**({"site": "us7.datadoghq.com"} | o)))
        ),
        prop=lambda n: "site",
        argument_named=True,
    ),
    Target(
        "DatadogKeyParameter",
        DatadogKeyParameter.__init__,
        lambda s, c, o: DatadogKeyParameter(s, c, **({"kind": DatadogKeyKind.API_KEY} | o)),
    ),
    Target(
        "DatadogRotationRole",
        DatadogRotationRole.__init__,
        lambda s, c, o: DatadogRotationRole(s, c, **o),
    ),
    Target(
        "DatadogRotationAlerts",
        DatadogRotationAlerts.__init__,
        lambda s, c, o: DatadogRotationAlerts(s, c, **({"secret_name_prefixes": ["datadog"]} | o)),
    ),
]
SKIPPED = {"self", "cls", "scope", "construct_id"}


def _admits(annotation: Any, value: object) -> bool:
    """Whether a value of this type is valid for the annotation (content aside)."""
    if annotation is Any:
        return True
    origin = get_origin(annotation)
    if origin is Union:
        return any(_admits(a, value) for a in get_args(annotation))
    if annotation is type(None):
        return value is None
    if annotation is bool:
        return isinstance(value, bool)
    try:
        return isinstance(value, origin or annotation)
    except TypeError:  # a Protocol / jsii interface: none of the wrong values implements one
        return False


def _props(target: Target) -> list[tuple[str, Any]]:
    if isinstance(target.function, type):  # a dataclass: its fields
        hints = get_type_hints(target.function)
        return [(f.name, hints[f.name]) for f in fields(target.function)]
    hints = get_type_hints(target.function)
    return [(n, hints[n]) for n in inspect.signature(target.function).parameters if n not in SKIPPED]


CASES = [
    pytest.param(
        target,
        name,
        shown,
        value,
        id=f"{target.name}-{name}-{shown[:12]}",
        marks=[pytest.mark.xfail(reason=target.not_ours, strict=False)] if target.not_ours else [],
    )
    for target in TARGETS
    for name, annotation in _props(target)
    for shown, value in [
        *WRONG,
        WRONG_CLASS_FOR_DURATION if "Duration" in str(annotation) else WRONG_CLASS,
    ]
    if not _admits(annotation, value)
]


@pytest.fixture
def stack() -> Stack:
    """A stack per case: the valid props create parameters with fixed names."""
    return new_stack()[1]


_counter = iter(range(1_000_000))


@pytest.mark.parametrize("target", TARGETS, ids=[t.name for t in TARGETS])
def test_valid_props_build(stack: Stack, target: Target) -> None:
    """The control: each target builds with the valid props the sweep starts from."""
    target.build(stack, f"Valid{next(_counter)}", {})


@pytest.mark.parametrize(("target", "name", "shown", "value"), CASES)
def test_every_wrong_input_is_one_error_naming_path_prop_value_and_what_is_allowed(
    stack: Stack, target: Target, name: str, shown: str, value: object
) -> None:
    construct_id = f"Case{next(_counter)}"
    with pytest.raises(DdSecretsValidationError) as caught:
        target.build(stack, construct_id, {name: value})
    message = str(caught.value)
    assert message.startswith(f"TestStack/{construct_id}: "), message
    prop = target.prop(name)
    (problem,) = [p for p in caught.value.problems if p.prop == prop]
    if isinstance(value, str) and "SecretValue" in str(dict(_props(target))[name]):
        assert problem.received == f"a plain string, a literal of {len(value)} characters (not shown)", message
    elif target.argument_named:
        assert shown in problem.received, message  # e.g. KeyRotation.cron(hour=42)
        if target.name == "DatadogSite.custom":
            assert problem.received == f"DatadogSite.custom({shown})", message
        else:
            assert f"`{name}`" in problem.allowed, message  # the argument, e.g. "`hour` must be ..."
    else:
        assert problem.received == shown, message
    assert problem.allowed, message
    assert " at 0x" not in message


def test_the_sweep_covers_every_public_construct_and_value_object() -> None:
    import ddsecrets_constructs

    swept = {t.name.split(".")[0] for t in TARGETS} | {"DatadogAdminKeySecret"}
    public = {
        name
        for name in ddsecrets_constructs.__all__
        if inspect.isclass(getattr(ddsecrets_constructs, name)) and not name.startswith("I")
    }
    assert public - swept == {"DatadogKeyKind", "DdSecretsValidationError"}  # an enum and the error itself
    assert len(CASES) > 250


# --- constructs outside a stack, and an admin of another app --------------------------------------

IN_A_STACK = (
    "a Stack, or a construct inside one, e.g. cdk.Stack(app, 'Datadog'): what this construct makes or "
    "refers to belongs to a stack's template"
)
CONSTRUCTS: dict[str, Callable[..., Any]] = {
    "DatadogAdminKeySecret": DatadogAdminKeySecret,
    "DatadogApplicationKeySecret": DatadogApplicationKeySecret,
    "DatadogApiKeySecret": DatadogApiKeySecret,
    "DatadogManagedSecrets": DatadogManagedSecrets,
    "from_admin_secret_attributes": DatadogAdminKeySecret.from_admin_secret_attributes,
    "ImportedDatadogAdminKeySecret": ImportedDatadogAdminKeySecret,
    "DatadogKeyParameter": DatadogKeyParameter,
    "DatadogRotationRole": DatadogRotationRole,
    "DatadogRotationAlerts": DatadogRotationAlerts,
}


@pytest.mark.parametrize("name", CONSTRUCTS)
@pytest.mark.parametrize("outside", ["App", "Stage"])
def test_a_construct_outside_a_stack_is_refused_naming_its_path_and_what_to_give(name: str, outside: str) -> None:
    app = cdk.App()
    scope = app if outside == "App" else cdk.Stage(app, "Prod")
    create = CONSTRUCTS[name]
    required = {  # checked after the scope: any value will do
        p.name: None
        for p in inspect.signature(create.__init__ if inspect.isclass(create) else create).parameters.values()
        if p.kind is p.KEYWORD_ONLY and p.default is inspect.Parameter.empty
    }
    with pytest.raises(DdSecretsValidationError) as caught:
        create(scope, "Datadog", **required)
    received = "the App (the root of the construct tree)" if outside == "App" else "a Stage ('Prod')"
    path = "Datadog" if outside == "App" else "Prod/Datadog"
    assert str(caught.value) == f"{path}: 1 invalid prop:\n  - `scope`: got {received}; {IN_A_STACK}"
    assert scope.node.try_find_child("Datadog") is None


def test_an_admin_of_another_app_is_refused_as_admin() -> None:
    _, stack = new_stack()
    _, elsewhere = new_stack()
    admin = DatadogAdminKeySecret(elsewhere, "Admin", **admin_props(elsewhere))
    expected = (
        "`admin`: got the DatadogAdminKeySecret at 'TestStack/Admin', of another App; an admin secret of this "
        "app: the constructs of one App cannot refer to those of another; build the admin in this app, or "
        "import it with DatadogAdminKeySecret.from_admin_secret_attributes(...)"
    )
    with pytest.raises(DdSecretsValidationError) as caught:
        DatadogApiKeySecret(stack, "ApiKey", admin=admin, api_key=param(stack, "Key"), api_key_id=api_key_id(stack))
    assert str(caught.value) == f"TestStack/ApiKey: 1 invalid prop:\n  - {expected}"
    with pytest.raises(DdSecretsValidationError) as caught:
        DatadogManagedSecrets(
            stack,
            "Datadog",
            admin=admin,
            application_keys={"ci": ApplicationKeySpec(app_key=param(stack, "Ci"), app_key_id=app_key_id(stack))},
        )
    assert str(caught.value) == f"TestStack/Datadog: 1 invalid prop:\n  - {expected}"


def _stages() -> tuple[cdk.App, cdk.Stack, cdk.Stack, cdk.Stack]:
    """A stack directly in the App and one in each of two Stages, all in one account and region."""
    app, top = new_stack()
    env = cdk.Environment(account=ACCOUNT, region=REGION)
    prod, dr = (cdk.Stack(cdk.Stage(app, name, env=env), "Datadog") for name in ("Prod", "Dr"))
    return app, top, prod, dr


STAGE_REASON = (
    "a construct cannot refer to one in another Stage of the same account, each Stage being a cloud assembly "
    "deployed on its own (aws_cdk fails at synthesis: NoCrossStageDependency)"
)


def test_an_admin_role_key_topic_or_secret_of_another_stage_is_refused_naming_both_stages() -> None:
    """aws_cdk fails at synthesis for these (NoCrossStageDependency): refused at construction, as
    for another App; the App's own stacks count as a Stage of their own."""
    from aws_cdk import aws_kms as kms
    from aws_cdk import aws_sns as sns

    _, top, prod, dr = _stages()
    admin = DatadogAdminKeySecret(prod, "Admin", **admin_props(prod))
    with pytest.raises(DdSecretsValidationError) as caught:
        DatadogApiKeySecret(dr, "ApiKey", admin=admin, api_key=param(dr, "Key"), api_key_id=api_key_id(dr))
    assert str(caught.value) == (
        "Dr/Datadog/ApiKey: 1 invalid prop:\n  - `admin`: got the DatadogAdminKeySecret at 'Prod/Datadog/Admin', "
        f"in Stage 'Prod' (this construct: Stage 'Dr'); an admin secret of the same Stage: {STAGE_REASON}; build the "
        "admin in the same Stage, or import it with DatadogAdminKeySecret.from_admin_secret_attributes(...)"
    )
    with pytest.raises(DdSecretsValidationError) as caught:
        DatadogManagedSecrets(
            top,
            "Datadog",
            admin=admin,
            application_keys={"ci": ApplicationKeySpec(app_key=param(top, "Ci"), app_key_id=app_key_id(top))},
        )
    assert "got the DatadogAdminKeySecret at 'Prod/Datadog/Admin', in Stage 'Prod' (this construct: the App)" in (
        str(caught.value)
    )
    top_admin = DatadogAdminKeySecret(top, "Admin", **admin_props(top))
    with pytest.raises(DdSecretsValidationError) as caught:
        DatadogApiKeySecret(dr, "ApiKey", admin=top_admin, api_key=param(dr, "Key"), api_key_id=api_key_id(dr))
    assert "got the DatadogAdminKeySecret at 'TestStack/Admin', in the App (this construct: Stage 'Dr')" in (
        str(caught.value)
    )

    imported = DatadogAdminKeySecret.from_admin_secret_attributes(
        dr, "Imported", secret_complete_arn=ADMIN_ARN, service_account_id=SERVICE_ACCOUNT
    )
    key = kms.Key(prod, "Kms")
    with pytest.raises(DdSecretsValidationError) as caught:
        DatadogManagedSecrets(dr, "Datadog", **admin_props(dr), encryption_key=key)
    assert (
        "`encryption_key`: got the KMS key at 'Prod/Datadog/Kms', in Stage 'Prod' (this construct: Stage 'Dr'); one "
        f"of the same Stage ({STAGE_REASON}), or the key imported here with kms.Key.from_key_arn(...)"
    ) in str(caught.value)

    with pytest.raises(DdSecretsValidationError) as caught:
        DatadogRotationAlerts(dr, "Alerts", secrets=[admin], topic=sns.Topic(prod, "Topic"))
    message = str(caught.value)
    assert "`secrets[0]`: got the DatadogAdminKeySecret at 'Prod/Datadog/Admin', in Stage 'Prod'" in message
    assert "`topic`: got the SNS topic at 'Prod/Datadog/Topic', in Stage 'Prod' (this construct: Stage 'Dr')" in message
    with pytest.raises(DdSecretsValidationError) as caught:
        DatadogRotationAlerts(dr, "Alerts", secrets=[imported], topic=sns.Topic(dr, "KeyedTopic", master_key=key))
    assert str(caught.value) == (
        "Dr/Datadog/Alerts: 1 invalid prop:\n  - `topic`: got the KMS key (the topic's master_key) at "
        f"'Prod/Datadog/Kms', in Stage 'Prod' (this construct: Stage 'Dr'); one of the same Stage ({STAGE_REASON}), "
        "or a topic whose master_key is imported with kms.Key.from_key_arn(...)"
    )
    for scope in (top, dr):  # nothing refused was left behind
        assert [scope.node.try_find_child(name) for name in ("ApiKey", "Datadog", "Alerts")] == [None] * 3


def test_a_key_parameter_of_another_stage_or_app_is_refused() -> None:
    """(One of another stack of the same Stage only warns keyInStackExport: tests/test_key_material.py.)"""
    _, top, prod, dr = _stages()
    _, other_app = new_stack()
    for source, where in (
        (prod, "in Stage 'Prod' (this construct: Stage 'Dr'); a key parameter of the secret's own stack: "),
        (other_app, "of another App; a key parameter of the secret's own stack: the constructs of one App"),
    ):
        parameter = DatadogKeyParameter(source, "AdminApiKey", kind=DatadogKeyKind.ADMIN_API_KEY)
        with pytest.raises(DdSecretsValidationError) as caught:
            DatadogAdminKeySecret(dr, "Admin", **admin_props(dr, admin_api_key=parameter.secret_value))
        assert str(caught.value).startswith(
            "Dr/Datadog/Admin: 1 invalid prop:\n  - `admin_api_key`: got the key parameter 'AdminApiKey' of the "
            f"stack {source.node.path!r}, {where}"
        )
    assert dr.node.try_find_child("Admin") is None
    parameter = DatadogKeyParameter(top, "TopAdminApiKey", kind=DatadogKeyKind.ADMIN_API_KEY)
    DatadogAdminKeySecret(top, "Admin", **admin_props(top, admin_api_key=parameter.secret_value))  # its own: fine


def test_a_consumer_of_another_stage_is_refused_and_an_imported_role_is_not() -> None:
    from aws_cdk import aws_ecs as ecs
    from aws_cdk import aws_iam as iam
    from aws_cdk import aws_lambda as lambda_

    _, _, prod, dr = _stages()
    admin = DatadogAdminKeySecret(prod, "Admin", **admin_props(prod))
    secret = DatadogApiKeySecret(prod, "ApiKey", admin=admin, api_key=param(prod, "Key"), api_key_id=api_key_id(prod))
    role = iam.Role(dr, "Reader", assumed_by=iam.AccountRootPrincipal())
    task = ecs.FargateTaskDefinition(dr, "Task")
    instead = (
        "or in its own Stage, the secret imported by its ARN (secretsmanager.Secret.from_secret_attributes(...), "
        "with its KMS key) and granted from there"
    )
    for call, prop, what in (
        (lambda: secret.grant_read(role), "grantee", "principal at 'Dr/Datadog/Reader'"),
        (lambda: admin.grant_read(role), "grantee", "principal at 'Dr/Datadog/Reader'"),
        (lambda: secret.ecs_secret(task), "task_definition", "task definition at 'Dr/Datadog/Task'"),
    ):
        with pytest.raises(DdSecretsValidationError) as caught:
            call()
        assert str(caught.value) == (
            f"{caught.value.construct_path}: 1 invalid prop:\n  - `{prop}`: got the {what}, in Stage 'Dr' (this "
            f"construct: Stage 'Prod'); one of the same Stage ({STAGE_REASON}), {instead}"
        )
    assert role.node.try_find_child("DefaultPolicy") is None  # nothing granted
    imported = iam.Role.from_role_arn(dr, "Imported", f"arn:aws:iam::{ACCOUNT}:role/reader", mutable=False)
    secret.grant_read(imported)  # grants nothing, as aws_cdk's own grant to an immutable role: not refused
    # What is checked is the principal the grant writes to, not the grantee: a function of the other Stage
    # whose role is that imported one refers to nothing there.
    function = lambda_.Function(
        dr,
        "Function",
        runtime=lambda_.Runtime.PYTHON_3_13,
        handler="i.h",
        code=lambda_.Code.from_inline("x"),
        role=imported,
    )
    secret.grant_read(function)  # not refused


def test_a_consumer_in_a_stack_of_another_env_kind_is_refused_with_a_customer_managed_key() -> None:
    """A stack without env against one with a literal account is two environments to aws_cdk, which
    names the secret there by an ARN without its suffix: the grant into the consumer's own policy (and
    its kms:EncryptionContext:SecretARN) would match no secret. Without a customer-managed key the
    grant is aws_cdk's own, whose policy matches the suffix (``-??????``): accepted."""
    import json

    from aws_cdk import aws_ecs as ecs
    from aws_cdk import aws_iam as iam
    from aws_cdk import aws_kms as kms

    app, stack = new_stack()
    admin = DatadogAdminKeySecret(stack, "Admin", **admin_props(stack))
    keyed = DatadogApiKeySecret(
        stack,
        "Keyed",
        admin=admin,
        api_key=param(stack, "Keyed"),
        api_key_id=api_key_id(stack),
        secret_name="datadog/keyed",
        encryption_key=kms.Key(stack, "Kms"),
    )
    plain = DatadogApiKeySecret(
        stack,
        "Plain",
        admin=admin,
        api_key=param(stack, "Plain"),
        api_key_id=api_key_id(stack),
        secret_name="datadog/plain",
    )
    consumers = cdk.Stack(app, "Consumers")  # no env
    role = iam.Role(consumers, "Reader", assumed_by=iam.AccountRootPrincipal())
    task = ecs.FargateTaskDefinition(consumers, "Task")
    for call, prop, what in (
        (lambda: keyed.grant_read(role), "grantee", "principal at 'Consumers/Reader'"),
        (lambda: keyed.ecs_secret(task), "task_definition", "task definition at 'Consumers/Task'"),
    ):
        with pytest.raises(DdSecretsValidationError) as caught:
            call()
        assert str(caught.value) == (
            f"TestStack/Keyed: 1 invalid prop:\n  - `{prop}`: got the {what}, in a stack whose account is a "
            f"deploy-time value (this stack: {ACCOUNT!r}); one of a stack of the secret's env: {MIXED_REASON}, so "
            "the consumer could not read the secret; give both stacks the same env (the same account and region, or "
            "neither)"
        )
    assert role.node.try_find_child("DefaultPolicy") is None  # nothing granted
    # A deploy-time account and another (literal) region: two environments to aws_cdk all the same.
    elsewhere = cdk.Stack(app, "Elsewhere", env=cdk.Environment(region="us-east-1"))
    with pytest.raises(DdSecretsValidationError) as caught:
        keyed.grant_read(iam.Role(elsewhere, "Reader", assumed_by=iam.AccountRootPrincipal()))
    assert f"in a stack whose account is a deploy-time value (this stack: {ACCOUNT!r}); one of a stack of" in (
        str(caught.value)
    )
    # aws_cdk's own grant (no customer-managed key) names a principal of another environment in the
    # secret's resource policy too, which needs its physical name.
    named = iam.Role(consumers, "NamedReader", assumed_by=iam.AccountRootPrincipal(), role_name="datadog-reader")
    plain.grant_read(named)
    (policy,) = cdk.assertions.Template.from_stack(consumers).find_resources("AWS::IAM::Policy").values()
    assert ':secret:datadog/plain-??????"' in json.dumps(policy)


def test_an_imported_admins_key_of_another_stage_or_app_is_refused_where_a_key_uses_it() -> None:
    """The import alone synthesizes; each key's rotation role is granted the admin's key."""
    from aws_cdk import aws_kms as kms

    _, _, prod, dr = _stages()
    _, other_app = new_stack()
    for source, where in (
        (
            prod,
            f"'Prod/Datadog/Kms', in Stage 'Prod' (this construct: Stage 'Dr'); one of the same Stage ({STAGE_REASON})",
        ),
        (other_app, "'TestStack/Kms', of another App; one of this app (the constructs of one App cannot refer to"),
    ):
        imported = DatadogAdminKeySecret.from_admin_secret_attributes(
            dr,
            f"Imported{source.node.path.replace('/', '')}",
            secret_complete_arn=ADMIN_ARN,
            service_account_id=SERVICE_ACCOUNT,
            encryption_key=kms.Key(source, "Kms"),
        )
        for construct_id, build in (
            ("ApiKey", DatadogApiKeySecret),
            ("Datadog", DatadogManagedSecrets),
        ):
            props = (
                {"api_key": param(dr, "Key"), "api_key_id": api_key_id(dr)}
                if build is DatadogApiKeySecret
                else {
                    "application_keys": {"ci": ApplicationKeySpec(app_key=param(dr, "Ci"), app_key_id=app_key_id(dr))}
                }
            )
            with pytest.raises(DdSecretsValidationError) as caught:
                build(dr, construct_id, admin=imported, **props)
            message = str(caught.value)
            assert f"`admin`: got the KMS key (the imported admin's encryption_key) at {where}" in message
            assert message.endswith("or the admin imported with encryption_key=kms.Key.from_key_arn(...)")


def test_a_reference_to_another_account_across_stages_is_accepted_as_aws_cdk_synthesizes_it() -> None:
    """aws_cdk reads another account's value with Fn::GetStackOutput, adding no stack dependency:
    no NoCrossStageDependency, so nothing to refuse (found by review: the first version refused it)."""
    from aws_cdk import aws_kms as kms
    from aws_cdk import aws_sns as sns

    app = cdk.App()
    dr = cdk.Stack(cdk.Stage(app, "Dr", env=cdk.Environment(account="222222222222", region=REGION)), "Datadog")
    shared = cdk.Stack(cdk.Stage(app, "Shared", env=cdk.Environment(account=ACCOUNT, region=REGION)), "Keys")
    key = kms.Key(shared, "Kms")
    family = DatadogManagedSecrets(dr, "Family", **admin_props(dr), encryption_key=key)
    DatadogRotationAlerts(dr, "Alerts", secrets=[family.admin], topic=sns.Topic(dr, "Topic", master_key=key))
    stacks = {s.stack_name: s for s in app.synth().stacks_recursively}
    assert stacks["Shared-Keys"].template["Outputs"]  # what the consumer reads with Fn::GetStackOutput
    assert stacks["Dr-Datadog"].template["Resources"]


def test_a_family_without_keys_may_name_an_admin_of_another_stage_as_it_synthesizes() -> None:
    """Nothing of a keyless family refers to its admin (5.8.0 accepted these, and they synthesize);
    its first key would (the tests above)."""
    from aws_cdk import aws_kms as kms

    app, _, prod, dr = _stages()
    imported = DatadogAdminKeySecret.from_admin_secret_attributes(
        dr,
        "Imported",
        secret_complete_arn=ADMIN_ARN,
        service_account_id=SERVICE_ACCOUNT,
        encryption_key=kms.Key(prod, "Kms"),
    )
    DatadogManagedSecrets(dr, "Owned", admin=DatadogAdminKeySecret(prod, "Admin", **admin_props(prod)))
    DatadogManagedSecrets(dr, "WithImported", admin=imported)
    assert {s.stack_name for s in app.synth().stacks_recursively} >= {"Prod-Datadog", "Dr-Datadog"}


def test_aws_cdk_fails_at_synthesis_for_a_reference_across_stages() -> None:
    """What the refusals above say of aws_cdk, held true."""
    from aws_cdk import aws_kms as kms
    from aws_cdk import aws_secretsmanager as secretsmanager

    app, _, prod, dr = _stages()
    secretsmanager.Secret(dr, "Secret", encryption_key=kms.Key(prod, "Kms"))
    with pytest.raises(RuntimeError, match="NoCrossStageDependency"):
        app.synth()


def test_a_topic_of_this_app_whose_key_is_of_another_app_is_refused() -> None:
    from aws_cdk import aws_kms as kms
    from aws_cdk import aws_sns as sns

    _, stack = new_stack()
    _, elsewhere = new_stack()
    admin = DatadogAdminKeySecret(stack, "Admin", **admin_props(stack))
    with pytest.raises(DdSecretsValidationError) as caught:
        DatadogRotationAlerts(
            stack, "Alerts", secrets=[admin], topic=sns.Topic(stack, "Topic", master_key=kms.Key(elsewhere, "Kms"))
        )
    assert "`topic`: got the KMS key (the topic's master_key) at 'TestStack/Kms', of another App; one of this app" in (
        str(caught.value)
    )
    imported = kms.Key.from_key_arn(stack, "Imported", "arn:aws:kms:eu-west-1:111111111111:key/1234abcd")
    DatadogRotationAlerts(stack, "Alerts", secrets=[admin], topic=sns.Topic(stack, "KeyedTopic", master_key=imported))


@pytest.mark.parametrize(
    ("other", "where"),
    [
        ("App", "'TestStack/Role', of another App; a role in the secret's stack: the constructs of one App cannot"),
        (
            "Stage",
            f"'Prod/Datadog/Role', in Stage 'Prod' (this construct: Stage 'Dr'); a role in the secret's stack: "
            f"{STAGE_REASON}",
        ),
    ],
)
def test_a_rotation_role_of_another_app_or_stage_is_refused(other: str, where: str) -> None:
    if other == "App":
        _, stack = new_stack()
        _, elsewhere = new_stack()
    else:
        _, _, elsewhere, stack = _stages()
    role = DatadogRotationRole(elsewhere, "Role")
    admin = DatadogAdminKeySecret.from_admin_secret_attributes(
        stack, "Admin", secret_complete_arn=ADMIN_ARN, service_account_id=SERVICE_ACCOUNT
    )
    with pytest.raises(DdSecretsValidationError) as caught:
        DatadogApiKeySecret(
            stack, "ApiKey", admin=admin, api_key=param(stack, "Key"), api_key_id=api_key_id(stack), rotation_role=role
        )
    assert f"`rotation_role`: got the DatadogRotationRole at {where}" in str(caught.value)


def test_a_kms_key_topic_or_secret_of_another_app_is_refused_and_an_imported_key_is_not() -> None:
    """aws_cdk fails at synthesis for these (CannotReferenceAcrossApps): refused at construction."""
    from aws_cdk import aws_kms as kms
    from aws_cdk import aws_sns as sns

    from ddsecrets_constructs import DatadogRotationAlerts

    _, stack = new_stack()
    _, elsewhere = new_stack()
    key = kms.Key(elsewhere, "Kms")
    with pytest.raises(DdSecretsValidationError) as caught:
        DatadogAdminKeySecret(stack, "Admin", **admin_props(stack), encryption_key=key)
    assert "`encryption_key`: got the KMS key at 'TestStack/Kms', of another App" in str(caught.value)
    with pytest.raises(DdSecretsValidationError) as caught:
        DatadogManagedSecrets(stack, "Datadog", **admin_props(stack), encryption_key=key)
    assert "`encryption_key`: got the KMS key at 'TestStack/Kms', of another App" in str(caught.value)
    other_admin = DatadogAdminKeySecret(elsewhere, "Admin", **admin_props(elsewhere))
    with pytest.raises(DdSecretsValidationError) as caught:
        DatadogRotationAlerts(stack, "Alerts", secrets=[other_admin], topic=sns.Topic(elsewhere, "Topic"))
    message = str(caught.value)
    assert "`secrets[0]`: got the DatadogAdminKeySecret at 'TestStack/Admin', of another App" in message
    assert "or its secrets watched by name with secret_name_prefixes" in message
    assert "`topic`: got the SNS topic at 'TestStack/Topic', of another App" in message
    assert "or the topic imported with sns.Topic.from_topic_arn(...)" in message
    with pytest.raises(DdSecretsValidationError) as caught:
        DatadogRotationAlerts(stack, "Alerts", secret_name_prefixes=["datadog"], encryption_key=key)
    assert "`encryption_key`: got the KMS key at 'TestStack/Kms', of another App" in str(caught.value)
    assert "or the key imported here with kms.Key.from_key_arn(...)" in str(caught.value)
    imported = kms.Key.from_key_arn(elsewhere, "Imported", "arn:aws:kms:eu-west-1:123456789012:key/1234abcd")
    DatadogAdminKeySecret(stack, "AdminWithImportedKey", **admin_props(stack), encryption_key=imported)
    secrets = cdk.assertions.Template.from_stack(stack).find_resources("AWS::SecretsManager::Secret")
    assert [s["Properties"]["KmsKeyId"] for s in secrets.values()] == [imported.key_arn]  # synthesizes
