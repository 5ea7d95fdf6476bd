"""CloudFormation's per-stack limits (500 resources, 200 parameters, 200 outputs, 1 MB), checked by
the library at synth with what to do, and the true maximum family per stack behind README's Sizing."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_kms as kms

from ddsecrets_constructs import ApiKeySpec, DatadogManagedSecrets, DdSecretsValidationError
from ddsecrets_constructs._cfn_limits import count
from tests.support import (
    LARGEST_FAMILY,
    RAISED_API_KEY_LIMIT,
    _family,
    admin_props,
    api_key_id,
    built,
    new_stack,
    stored_key,
)

RESOURCES, PARAMETERS, OUTPUTS, TEMPLATE_BYTES = 500, 200, 200, 1024 * 1024
WHAT_TO_DO = "Split the keys over families in several stacks that share the admin"


def small_family(stack: cdk.Stack) -> DatadogManagedSecrets:
    return DatadogManagedSecrets(
        stack,
        "Datadog",
        **admin_props(stack),
        api_keys={"agent": ApiKeySpec(api_key=stored_key("agent"), api_key_id=api_key_id(stack))},
    )


def counts(template: Mapping[str, Any]) -> tuple[int, int, int]:
    """Resources, parameters and outputs of a synthesized template."""
    return len(template["Resources"]), len(template.get("Parameters", {})), len(template.get("Outputs", {}))


FIXED_WITH_KEY = 17
"""Resources of a family with keys besides 2 per key, with its KMS key: admin secret and schedule,
two roles with their GetRandomPassword policies, and the managed policies (9 for the keys role here)."""


def test_the_largest_family_per_stack_is_the_true_maximum() -> None:
    """240 keys (a CMK, keys from dynamic references) fit; 241 would still fit 500 resources
    (2 x 241 + 17 = 499) but not the keys role's 9 managed policies, which bind first."""
    configuration = built("family_largest")
    template = configuration.template.to_json()
    resources = counts(template)[0]
    assert resources == 2 * LARGEST_FAMILY + FIXED_WITH_KEY == 497
    assert len(configuration.refs["family"].rotation_role.policies) == 9
    # 1 MB binds long after 500 resources: the largest family's template is a fraction of it.
    assert len(json.dumps(template, separators=(",", ":"))) < TEMPLATE_BYTES / 2


def test_one_key_more_than_the_largest_family_is_refused_by_the_keys_role_budget() -> None:
    _, stack = new_stack(api_key_limit=RAISED_API_KEY_LIMIT)
    key = kms.Key(stack, "Key", enable_key_rotation=True)
    half = LARGEST_FAMILY // 2
    with pytest.raises(DdSecretsValidationError, match=r"got 241 keys named under 'TestStack/Datadog'.*need 10"):
        _family(stack, api_keys=half + 1, app_keys=half, encryption_key=key, key_source=stored_key)


LARGEST_WITHOUT_KEY = 244
"""Without a KMS key the keys role holds far more ARNs; 500 resources bind: 2 x 244 + 12 = 500."""


@pytest.mark.parametrize(("keys", "refused"), [(LARGEST_WITHOUT_KEY, False), (LARGEST_WITHOUT_KEY + 1, True)])
def test_resources_at_and_past_500_are_refused_by_the_library_with_what_to_do(keys: int, refused: bool) -> None:
    app, stack = new_stack(api_key_limit=RAISED_API_KEY_LIMIT)
    _family(stack, api_keys=keys // 2, app_keys=keys - keys // 2, key_source=stored_key)
    if not refused:
        app.synth()
        assert counts(cdk.assertions.Template.from_stack(stack).to_json())[0] == RESOURCES
        return
    with pytest.raises(RuntimeError) as error:
        app.synth()
    message = str(error.value)
    assert f"[TestStack] ddsecrets-constructs: stack 'TestStack' has {RESOURCES + 2} " in message
    assert f"resources (CloudFormation allows {RESOURCES} per stack)" in message
    assert f"'TestStack/Datadog' ({keys} keys)" in message
    assert WHAT_TO_DO in message
    assert "admin=family.admin" in message
    assert "Number of resources" not in message  # CDK's generic error never got its turn


@pytest.mark.parametrize(("keys", "refused"), [(LARGEST_WITHOUT_KEY - 1, False), (LARGEST_WITHOUT_KEY, True)])
def test_with_the_cli_s_version_reporting_its_metadata_resource_counts_one_key_fewer_without_a_kms_key(
    keys: int, refused: bool
) -> None:
    """README: ``cdk synth`` adds an ``AWS::CDK::Metadata`` resource by default: 243 keys fit, 244 make 501."""
    app, stack = new_stack(api_key_limit=RAISED_API_KEY_LIMIT, version_reporting=True)
    _family(stack, api_keys=keys // 2, app_keys=keys - keys // 2, key_source=stored_key)
    if not refused:
        resources = app.synth().get_stack_by_name("TestStack").template["Resources"]
        assert len(resources) == 2 * keys + 12 + 1 == RESOURCES - 1  # the family's 12 and the metadata
        assert "AWS::CDK::Metadata" in {r["Type"] for r in resources.values()}
        return
    with pytest.raises(RuntimeError, match=f"stack 'TestStack' has {RESOURCES + 1} resources"):
        app.synth()


@pytest.mark.parametrize(("extra", "refused"), [(0, False), (1, True)])
def test_parameters_at_and_past_200(extra: int, refused: bool) -> None:
    app, stack = new_stack()
    small_family(stack)
    present = count(stack)["parameters"]
    for index in range(PARAMETERS - present + extra):
        cdk.CfnParameter(stack, f"Filler{index}")
    if not refused:
        app.synth()
        assert counts(cdk.assertions.Template.from_stack(stack).to_json())[1] == PARAMETERS
        return
    with pytest.raises(
        RuntimeError, match=rf"(?s)has {PARAMETERS + 1} parameters \(CloudFormation allows 200.*{WHAT_TO_DO}"
    ):
        app.synth()


@pytest.mark.parametrize(("extra", "refused"), [(0, False), (1, True)])
def test_outputs_at_and_past_200(extra: int, refused: bool) -> None:
    app, stack = new_stack()
    small_family(stack)
    for index in range(OUTPUTS + extra):
        cdk.CfnOutput(stack, f"Out{index}", value="x")
    if not refused:
        app.synth()
        assert counts(cdk.assertions.Template.from_stack(stack).to_json())[2] == OUTPUTS
        return
    with pytest.raises(RuntimeError, match=rf"(?s)has {OUTPUTS + 1} outputs \(CloudFormation allows 200.*{WHAT_TO_DO}"):
        app.synth()
