"""Which props feed a SecretString, pinned: changing one of them makes the next deploy write the
template's value again (a re-seed), which puts back keys that rotation has deleted.

For each construct, each prop is changed in turn and the SecretStrings of every secret in the stack
are compared with the baseline's. The sets below are the contract: a new prop that feeds a
SecretString, or a prop that stops feeding one, fails here and must be documented (the README's
"What re-seeds a secret" table, checked below too).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_kms as kms
from aws_cdk import aws_secretsmanager as secretsmanager

from ddsecrets_constructs import (
    ApiKeySpec,
    ApplicationKeySpec,
    DatadogAdminKeySecret,
    DatadogApiKeySecret,
    DatadogApplicationKeySecret,
    DatadogManagedSecrets,
    DatadogRotationRole,
    DatadogSite,
    KeyRotation,
)
from tests.support import (
    OTHER_SERVICE_ACCOUNT,
    SERVICE_ACCOUNT,
    admin_props,
    api_key_id,
    app_key_id,
    new_stack,
    param,
)

README = Path(__file__).resolve().parent.parent / "README.md"
OTHER_ID = "6b0d5e7f-1c8a-4e3b-9a5c-7d9f1e3b5c6d"

Props = dict[str, Any]
Build = Callable[[cdk.Stack, Props], None]
# A prop, and a function giving (in a fresh stack) a different valid value for it.
Change = Callable[[cdk.Stack], Any]


def secret_strings(stack: cdk.Stack) -> dict[str, str]:
    """Each secret's SecretString as CloudFormation receives it, by construct path (no synthesis)."""
    return {
        secret.node.path.removeprefix(f"{stack.node.path}/").removesuffix("/Resource/Resource"): json.dumps(
            stack.resolve(secret.secret_string), sort_keys=True
        )
        for secret in stack.node.find_all()
        if isinstance(secret, secretsmanager.CfnSecret)
    }


def _admin(stack: cdk.Stack, overrides: Props) -> None:
    DatadogAdminKeySecret(stack, "Admin", **(admin_props(stack) | overrides))


def _app(stack: cdk.Stack, overrides: Props) -> None:
    admin = overrides.pop("admin", None) or DatadogAdminKeySecret(stack, "Admin", **admin_props(stack))
    props: Props = {"app_key": param(stack, "AppKey"), "app_key_id": app_key_id(stack)} | overrides
    DatadogApplicationKeySecret(stack, "AppKey", admin=admin, **props)


def _api(stack: cdk.Stack, overrides: Props) -> None:
    admin = overrides.pop("admin", None) or DatadogAdminKeySecret(stack, "Admin", **admin_props(stack))
    props: Props = {"api_key": param(stack, "ApiKey"), "api_key_id": api_key_id(stack)} | overrides
    DatadogApiKeySecret(stack, "ApiKey", admin=admin, **props)


def _family(stack: cdk.Stack, overrides: Props) -> None:
    app = {"app_key": param(stack, "CiAppKey"), "app_key_id": app_key_id(stack)} | overrides.pop("app_spec", {})
    api = {"api_key": param(stack, "AgentApiKey"), "api_key_id": api_key_id(stack)} | overrides.pop("api_spec", {})
    props = admin_props(stack) | {
        "application_keys": {"ci": ApplicationKeySpec(**app)},
        "api_keys": {"agent": ApiKeySpec(**api)},
    }
    DatadogManagedSecrets(stack, "Datadog", **(props | overrides))


def _other_admin(stack: cdk.Stack) -> DatadogAdminKeySecret:
    return DatadogAdminKeySecret(stack, "Admin", **admin_props(stack, service_account_id=OTHER_SERVICE_ACCOUNT))


COMMON: dict[str, Change] = {
    "rotation_role": lambda s: DatadogRotationRole(s, "SharedRole"),
    "encryption_key": lambda s: kms.Key(s, "Key", enable_key_rotation=True),
    "removal_policy": lambda s: RemovalPolicy.DESTROY,
    "secret_name": lambda s: "datadog/renamed",
    "description": lambda s: "Another description",
    "rotate_immediately_on_update": lambda s: True,
    "validate_key_format": lambda s: False,
}

# construct -> (builder, {prop: change}, {prop: the secrets whose SecretString it changes})
PINNED: dict[str, tuple[Build, dict[str, Change], dict[str, set[str]]]] = {
    "DatadogAdminKeySecret": (
        _admin,
        {
            "site": lambda s: DatadogSite.EU1,
            "service_account_id": lambda s: OTHER_SERVICE_ACCOUNT,
            "admin_api_key": lambda s: param(s, "NewAdminApiKey"),
            "admin_api_key_id": lambda s: OTHER_ID,
            "admin_app_key": lambda s: param(s, "NewAdminAppKey"),
            "admin_app_key_id": lambda s: OTHER_ID,
            "rotation": lambda s: KeyRotation.cron(hour="3", day="20", window=Duration.hours(1)),
            "datadog_organization": lambda s: "acme",  # counted, never stored
            **COMMON,
        },
        {
            p: {"Admin"}
            for p in (
                "site",
                "service_account_id",
                *(f"admin_{k}" for k in ("api_key", "api_key_id", "app_key", "app_key_id")),
            )
        },
    ),
    "DatadogApplicationKeySecret": (
        _app,
        {
            "admin": _other_admin,
            "app_key": lambda s: param(s, "NewAppKey"),
            "app_key_id": lambda s: OTHER_ID,
            "service_account_id": lambda s: SERVICE_ACCOUNT,  # the admin's, given explicitly: no change
            "rotation": lambda s: KeyRotation.cron(hour="9", day="2", window=Duration.hours(1)),
            **COMMON,
        },
        {"admin": {"Admin", "AppKey"}, "app_key": {"AppKey"}, "app_key_id": {"AppKey"}},
    ),
    "DatadogApiKeySecret": (
        _api,
        {
            "admin": _other_admin,
            "api_key": lambda s: param(s, "NewApiKey"),
            "api_key_id": lambda s: OTHER_ID,
            "rotation": lambda s: KeyRotation.cron(hour="9", day="2", window=Duration.hours(1)),
            **COMMON,
        },
        {"admin": {"Admin"}, "api_key": {"ApiKey"}, "api_key_id": {"ApiKey"}},
    ),
    "DatadogManagedSecrets": (
        _family,
        {
            "site": lambda s: DatadogSite.EU1,
            "service_account_id": lambda s: OTHER_SERVICE_ACCOUNT,
            "admin_api_key": lambda s: param(s, "NewAdminApiKey"),
            "admin_api_key_id": lambda s: OTHER_ID,
            "admin_app_key": lambda s: param(s, "NewAdminAppKey"),
            "admin_app_key_id": lambda s: OTHER_ID,
            "app_spec": lambda s: {"app_key": param(s, "NewCiAppKey")},
            "api_spec": lambda s: {"api_key_id": OTHER_ID},
            "admin_rotation": lambda s: KeyRotation.cron(hour="3", day="20", window=Duration.hours(1)),
            "key_rotation": lambda s: KeyRotation.cron(hour="9", day="2", window=Duration.hours(1)),
            "encryption_key": COMMON["encryption_key"],
            "removal_policy": COMMON["removal_policy"],
            "secret_name_prefix": lambda s: "datadog/renamed",
            "validate_key_format": COMMON["validate_key_format"],
            "datadog_organization": lambda s: "acme",
        },
        {
            **{
                p: {"Datadog/Admin"}
                for p in ("site", *(f"admin_{k}" for k in ("api_key", "api_key_id", "app_key", "app_key_id")))
            },
            "service_account_id": {"Datadog/Admin", "Datadog/ApplicationKeys/ci"},
            "app_spec": {"Datadog/ApplicationKeys/ci"},
            "api_spec": {"Datadog/ApiKeys/agent"},
        },
    ),
}
CASES = [(construct, prop) for construct, (_, changes, _) in PINNED.items() for prop in changes]


def changed(build: Build, prop: str, change: Change) -> set[str]:
    _, before = new_stack()
    build(before, {})
    _, after = new_stack()
    build(after, {prop: change(after)})
    old, new = secret_strings(before), secret_strings(after)
    assert old.keys() == new.keys()
    return {path for path in old if old[path] != new[path]}


@pytest.mark.parametrize(("construct", "prop"), CASES, ids=[f"{c}-{p}" for c, p in CASES])
def test_exactly_the_pinned_props_change_each_secret_string(construct: str, prop: str) -> None:
    build, changes, pinned = PINNED[construct]
    assert changed(build, prop, changes[prop]) == pinned.get(prop, set())


def test_every_prop_of_every_construct_is_pinned() -> None:
    """A prop added to a construct must be added here, with the secrets it re-seeds."""
    import inspect

    constructs: dict[str, Any] = {
        "DatadogAdminKeySecret": DatadogAdminKeySecret,
        "DatadogApplicationKeySecret": DatadogApplicationKeySecret,
        "DatadogApiKeySecret": DatadogApiKeySecret,
        "DatadogManagedSecrets": DatadogManagedSecrets,
    }
    for name, cls in constructs.items():
        props = set(inspect.signature(cls.__init__).parameters) - {"self", "scope", "construct_id"}
        # `admin` replaces the family's admin props (it then has no Admin secret: test_shared_admin.py).
        family_only = {"application_keys", "api_keys", "admin"}
        pinned = set(PINNED[name][1]) | (family_only if name == "DatadogManagedSecrets" else set())
        pinned = {p.replace("app_spec", "application_keys").replace("api_spec", "api_keys") for p in pinned}
        assert props == pinned, name


def test_the_readme_table_lists_exactly_the_props_that_feed_a_secret_string() -> None:
    text = README.read_text()
    section = text.split("### What re-seeds a secret", 1)[1].split("\n### ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    documented = {prop for row in rows for prop in re.findall(r"`([a-z_]+)`", row.split("|")[1])}
    feeding = {prop for _, _, pinned in PINNED.values() for prop, secrets in pinned.items() if secrets}
    feeding -= {"app_spec", "api_spec"}  # the family's specs: their fields are the child props of the same name
    assert documented == feeding
