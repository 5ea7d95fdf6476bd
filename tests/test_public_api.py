"""The public surface: what `import ddsecrets_constructs` offers is exactly what is documented.

A new public attribute (no leading underscore) fails here until it is added on purpose, with a
docstring (the API reference, `make docs`, is built from them). Helpers the constructs use among
themselves carry a leading underscore so that they stay out of completion and out of the API.
"""

from __future__ import annotations

import inspect

import aws_cdk as cdk
import constructs
import pytest

import ddsecrets_constructs

_SECRET = {
    "encryption_key",
    "grant_read",
    "rotation",
    "rotation_role",
    "rotation_schedule",
    "secret",
    "secret_arn",
    "secret_full_arn",
    "secret_name",
}
PUBLIC = {
    "ApiKeySpec": {"description", "rotation"},
    "ApplicationKeySpec": {"description", "rotation", "service_account_id"},
    "DatadogAdminKeySecret": _SECRET | {"from_admin_secret_attributes", "service_account_id", "site"},
    "DatadogApiKeySecret": _SECRET | {"KEY_FIELD", "admin", "api_key_value", "ecs_secret", "site"},
    "DatadogApplicationKeySecret": _SECRET
    | {"KEY_FIELD", "admin", "app_key_value", "ecs_secret", "service_account_id", "site"},
    "DatadogKeyKind": {"ADMIN_API_KEY", "ADMIN_APPLICATION_KEY", "API_KEY", "APPLICATION_KEY"},
    "DatadogKeyParameter": {"kind", "secret_value"},
    "DatadogManagedSecrets": {
        "add_rotation_alerts",
        "admin",
        "api_key",
        "api_keys",
        "application_key",
        "application_keys",
        "owns_admin",
        "rotation_role",
        "secret_name_prefix",
    },
    "DatadogRotationAlerts": {
        "all_rules",
        "rotation_check",
        "rotation_check_tag",
        "rule",
        "rules",
        "success_rules",
        "topic",
    },
    "DatadogRotationRole": {"policies", "policy", "role", "role_arn", "rotates"},
    "DatadogSite": {
        *("AP1", "AP2", "EU1", "UK1", "US1", "US1_FED", "US2_FED", "US3", "US5"),
        *("api_host", "custom", "is_custom", "known"),
    },
    "DdSecretsValidationError": set(),
    "IDatadogAdminKeySecret": {
        "encryption_key",
        "node",
        "secret",
        "secret_full_arn",
        "secret_name",
        "service_account_id",
        "site",
    },
    "ImportedDatadogAdminKeySecret": {
        "encryption_key",
        "rotation",
        "secret",
        "secret_full_arn",
        "secret_name",
        "service_account_id",
        "site",
    },
    "KeyRotation": {"cron", "describe", "every", "expression", "window"},
}


def _inherited_from(cls: type) -> type:
    for base in (cdk.CfnParameter, constructs.Construct, Exception):
        if issubclass(cls, base):
            return base
    return object


def _public(cls: type) -> set[str]:
    base = _inherited_from(cls)
    # `with_` comes from jsii's IConstruct protocol, which an interface class does not inherit.
    return {name for name in dir(cls) if not name.startswith("_") and not hasattr(base, name) and name != "with_"}


def test_all_is_every_documented_export_and_nothing_else() -> None:
    assert sorted(ddsecrets_constructs.__all__) == sorted([*PUBLIC, "__version__"])
    public_modules = {name for name in dir(ddsecrets_constructs) if not name.startswith("_")}
    exported = set(ddsecrets_constructs.__all__)
    # The submodules are importable (defaults, rotation, ...) but the package root offers only __all__.
    assert {
        name for name in public_modules - exported if not inspect.ismodule(getattr(ddsecrets_constructs, name))
    } == set()


@pytest.mark.parametrize("name", sorted(PUBLIC))
def test_each_export_has_exactly_its_documented_attributes(name: str) -> None:
    cls = getattr(ddsecrets_constructs, name)
    assert _public(cls) == PUBLIC[name]


@pytest.mark.parametrize("name", sorted(PUBLIC))
def test_each_public_method_and_property_has_a_docstring(name: str) -> None:
    cls = getattr(ddsecrets_constructs, name)
    assert inspect.getdoc(cls)
    undocumented = []
    for attribute in PUBLIC[name] - {"node"}:
        member = inspect.getattr_static(cls, attribute)
        if isinstance(member, (property, staticmethod, classmethod)) or inspect.isfunction(member):
            function = member.fget if isinstance(member, property) else getattr(member, "__func__", member)
            if not inspect.getdoc(function):
                undocumented.append(attribute)
    assert undocumented == []


def test_admin_site_is_a_datadog_site() -> None:
    from tests.support import built

    admin = built("admin_default").refs["admin"]
    assert admin.site == ddsecrets_constructs.DatadogSite.US1
    assert isinstance(admin.site, ddsecrets_constructs.DatadogSite)
