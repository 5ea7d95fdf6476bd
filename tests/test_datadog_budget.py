"""Datadog's API-key budget (at most 50 per organisation; 2 per rotated API-key or admin secret),
counted over every stack and stage of the app, refused at synth by the construct that goes past it."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest

from ddsecrets_constructs import (
    ApiKeySpec,
    ApplicationKeySpec,
    DatadogAdminKeySecret,
    DatadogApiKeySecret,
    DatadogManagedSecrets,
    DdSecretsValidationError,
)
from tests.support import (
    ACCOUNT,
    ADMIN_ARN,
    OTHER_SERVICE_ACCOUNT,
    REGION,
    SERVICE_ACCOUNT,
    STRICT_FLAGS,
    admin_props,
    api_key_id,
    app_key_id,
    new_stack,
    stored_key,
)

LIMIT_KEY = "ddsecrets:datadogApiKeyLimit"


def family(
    stack: cdk.Stack,
    construct_id: str = "Datadog",
    *,
    api_keys: int,
    app_keys: int = 0,
    **extra: Any,
) -> DatadogManagedSecrets:
    admin = {} if "admin" in extra else admin_props(stack, **extra.pop("admin_overrides", {}))
    return DatadogManagedSecrets(
        stack,
        construct_id,
        **admin,
        api_keys={
            f"api{i:03d}": ApiKeySpec(api_key=stored_key(f"{construct_id}Api{i}"), api_key_id=api_key_id(stack))
            for i in range(api_keys)
        },
        application_keys={
            f"app{i:03d}": ApplicationKeySpec(app_key=stored_key(f"{construct_id}App{i}"), app_key_id=app_key_id(stack))
            for i in range(app_keys)
        },
        **extra,
    )


def stack_in(scope: Any, name: str = "Keys") -> cdk.Stack:
    return cdk.Stack(
        scope,
        name,
        env=cdk.Environment(account=ACCOUNT, region=REGION),
        synthesizer=cdk.DefaultStackSynthesizer(generate_bootstrap_version_rule=False),
    )


def api_key_secrets(stack: cdk.Stack) -> int:
    template = cdk.assertions.Template.from_stack(stack).to_json()
    return sum(
        1
        for r in template["Resources"].values()
        if r["Type"] == "AWS::SecretsManager::Secret" and r["Properties"].get("Type") == "DatadogApiKey"
    )


def test_a_family_at_the_limit_synthesizes_and_one_more_api_key_is_refused_with_the_arithmetic() -> None:
    _, stack = new_stack()
    family(stack, api_keys=24, app_keys=2)  # 2 x 24 + 2 x 1 admin = 50
    assert api_key_secrets(stack) == 24

    _, stack = new_stack()
    with pytest.raises(DdSecretsValidationError) as error:
        family(stack, api_keys=25)
    message = str(error.value)
    assert message.startswith("TestStack/Datadog: 1 invalid prop")
    assert "`api_keys`: got 25 more API-key secrets and 1 admin secret" in message
    assert f"service account '{SERVICE_ACCOUNT}' (site datadoghq.com)" in message
    assert "2 x 25 API-key secrets + 2 x 1 admin secrets = 52 > 50" in message
    assert "admin 'TestStack/Datadog/Admin'" in message
    assert "API key 'TestStack/Datadog/ApiKeys/api024'" in message
    assert LIMIT_KEY in message
    # Refused before anything was built, and taken out of its scope: nothing of the family is in the tree.
    assert stack.node.try_find_child("Datadog") is None


def test_application_keys_do_not_count() -> None:
    _, stack = new_stack()
    family(stack, api_keys=24, app_keys=40)
    assert api_key_secrets(stack) == 24


def test_the_count_spans_stacks_and_stages_and_refuses_the_secret_that_goes_past_it() -> None:
    app = cdk.App(context=STRICT_FLAGS)
    first = stack_in(cdk.Stage(app, "Prod"))
    second = stack_in(cdk.Stage(app, "Staging"))
    family(first, api_keys=20)  # 42
    other = family(second, api_keys=3)  # same service account: 42 + 2 + 6 = 50
    app.synth()
    assert api_key_secrets(first) == 20
    assert api_key_secrets(second) == 3

    with pytest.raises(DdSecretsValidationError) as error:
        DatadogApiKeySecret(
            second, "OneMore", admin=other.admin, api_key=stored_key("OneMore"), api_key_id=api_key_id(second)
        )
    message = str(error.value)
    assert message.startswith("Staging/Keys/OneMore: 1 invalid prop")
    assert "`admin`: got 1 more API-key secret for the Datadog organisation" in message
    assert "2 x 24 API-key secrets + 2 x 2 admin secrets = 52 > 50" in message
    assert "admin 'Prod/Keys/Datadog/Admin'; admin 'Staging/Keys/Datadog/Admin'" in message
    assert "API key 'Staging/Keys/OneMore'" in message
    # docs/scaling.md quotes this very error; each part between its ellipses is the library's text.
    scaling = (Path(__file__).resolve().parent.parent / "docs" / "scaling.md").read_text()
    (quoted,) = re.findall(r"^```text\n(Staging/Keys/OneMore: .*?)^```", scaling, flags=re.S | re.M)
    assert re.match(
        ".*?".join(re.escape(part) for part in " ".join(quoted.split()).split("…")), " ".join(message.split())
    )


def test_a_family_with_an_existing_admin_counts_against_that_admins_organisation() -> None:
    app = cdk.App(context=STRICT_FLAGS)
    security = family(stack_in(app, "Security"), api_keys=0)
    family(stack_in(app, "TeamA"), api_keys=12, admin=security.admin)  # 2 + 24
    family(stack_in(app, "TeamB"), api_keys=12, admin=security.admin)  # 50
    with pytest.raises(DdSecretsValidationError, match=r"(?s)2 x 25 API-key secrets \+ 2 x 1 admin secrets = 52"):
        family(stack_in(app, "TeamC"), api_keys=1, admin=security.admin)


def test_a_label_counts_service_accounts_of_one_organisation_together() -> None:
    _, stack = new_stack()
    family(stack, "First", api_keys=20)
    family(stack, "Second", api_keys=20, admin_overrides={"service_account_id": OTHER_SERVICE_ACCOUNT})

    _, stack = new_stack()
    family(stack, "First", api_keys=20, datadog_organization="acme")
    with pytest.raises(DdSecretsValidationError) as error:
        family(
            stack,
            "Second",
            api_keys=20,
            datadog_organization="acme",
            admin_overrides={"service_account_id": OTHER_SERVICE_ACCOUNT},
        )
    assert "for the Datadog organisation labelled 'acme'" in str(error.value)
    assert "2 x 40 API-key secrets + 2 x 2 admin secrets = 84 > 50" in str(error.value)


@pytest.mark.parametrize("label", ["", "acme corp", "x" * 65])
def test_fails_on_a_label_that_is_not_a_short_literal(label: str) -> None:
    _, stack = new_stack()
    with pytest.raises(DdSecretsValidationError, match=r"`datadog_organization`: got .*a literal label of 1-64"):
        family(stack, api_keys=1, datadog_organization=label)


def test_fails_on_a_deploy_time_label() -> None:
    _, stack = new_stack()
    label = cdk.CfnParameter(stack, "Org").value_as_string
    with pytest.raises(DdSecretsValidationError, match=r"`datadog_organization`: got a deploy-time value"):
        family(stack, api_keys=1, datadog_organization=label)


@pytest.mark.parametrize("limit", [60, "60"])  # "60": as `cdk synth -c ddsecrets:datadogApiKeyLimit=60` passes it
def test_the_context_key_raises_the_limit(limit: object) -> None:
    app = cdk.App(context={**STRICT_FLAGS, LIMIT_KEY: limit})
    family(stack_in(app), api_keys=29)  # 60
    app = cdk.App(context={**STRICT_FLAGS, LIMIT_KEY: limit})
    with pytest.raises(DdSecretsValidationError, match=r"2 x 30 API-key secrets \+ 2 x 1 admin secrets = 62 > 60"):
        family(stack_in(app), api_keys=30)


@pytest.mark.parametrize("limit", ["many", 1, True, -5, "\u00b2"])  # "²": a digit to str.isdigit, not to int()
def test_fails_on_a_context_limit_that_is_not_a_number_of_keys(limit: object) -> None:
    app = cdk.App(context={**STRICT_FLAGS, LIMIT_KEY: limit})
    with pytest.raises(DdSecretsValidationError, match=rf"`context {LIMIT_KEY}`: got .*; a whole number of at least 2"):
        family(stack_in(app), api_keys=1)


def test_a_deploy_time_service_account_is_counted_per_admin_and_says_so() -> None:
    _, stack = new_stack()
    for name in ("First", "Second"):
        account = cdk.CfnParameter(stack, f"{name}ServiceAccount").value_as_string
        family(stack, name, api_keys=24, admin_overrides={"service_account_id": account})
    found = cdk.assertions.Annotations.from_stack(stack).find_warning(
        "*", cdk.assertions.Match.string_like_regexp("apiKeyBudgetPerAdmin")
    )
    # Each family says it of its own admin, on itself (a family annotates its secrets' warnings).
    assert sorted(w.id for w in found) == ["/TestStack/First", "/TestStack/Second"]
    for warning in (str(w.entry.data) for w in found):
        assert "was counted for this admin secret and its own keys only" in warning
        assert "`datadog_organization='<label>'`" in warning
    assert api_key_secrets(stack) == 48


def test_an_imported_admin_is_counted_once_per_arn() -> None:
    app = cdk.App(context=STRICT_FLAGS)
    stacks = [stack_in(app, "A"), stack_in(app, "B")]
    admins = [
        DatadogAdminKeySecret.from_admin_secret_attributes(
            stack, "Admin", secret_complete_arn=ADMIN_ARN, service_account_id=SERVICE_ACCOUNT
        )
        for stack in stacks
    ]
    for stack, admin in zip(stacks, admins, strict=True):
        family(stack, api_keys=12, admin=admin)  # 2 (one admin, imported twice) + 48 = 50
    with pytest.raises(DdSecretsValidationError, match=rf"(?s)= 52 > 50.*admin '{ADMIN_ARN}'"):
        DatadogApiKeySecret(
            stacks[0], "OneMore", admin=admins[0], api_key=stored_key("k"), api_key_id=api_key_id(stack)
        )


def test_standalone_api_keys_count_like_family_keys() -> None:
    _, stack = new_stack()
    admin = DatadogAdminKeySecret(stack, "Admin", **admin_props(stack))
    for index in range(24):
        DatadogApiKeySecret(
            stack, f"Key{index}", admin=admin, api_key=stored_key(f"k{index}"), api_key_id=api_key_id(stack)
        )
    with pytest.raises(DdSecretsValidationError, match=r"(?s)^TestStack/Key24: .*= 52 > 50"):
        DatadogApiKeySecret(stack, "Key24", admin=admin, api_key=stored_key("k24"), api_key_id=api_key_id(stack))
