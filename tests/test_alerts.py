"""DatadogRotationAlerts: patterns that match real rotation events and fit EventBridge's quota, the
topic and key policies EventBridge needs (without a dependency cycle), and the options."""

from __future__ import annotations

import json
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_events_targets as events_targets
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from aws_cdk.assertions import Template

from ddsecrets_constructs import (
    ApplicationKeySpec,
    DatadogAdminKeySecret,
    DatadogApiKeySecret,
    DatadogManagedSecrets,
    DatadogRotationAlerts,
    DdSecretsValidationError,
)
from ddsecrets_constructs.alerts import ROTATION_CHECK_TAG
from tests.support import (
    ACCOUNT,
    ADMIN_ARN,
    MIXED_REASON,
    REGION,
    SERVICE_ACCOUNT,
    Built,
    admin_props,
    api_key_id,
    built,
    new_stack,
    only,
    param,
    resource_of,
    skipped_checks,
    warnings_of,
)

ARN_PATHS = [("additionalEventData", "SecretId"), ("serviceEventDetails", "secretId")]


def rule_json(configuration: Built, rule: Any) -> dict[str, Any]:
    return resource_of(configuration, rule.node.default_child)


def pattern_of(configuration: Built, rule: Any = None) -> dict[str, Any]:
    rule = rule or configuration.refs["alerts"].rule
    return rule_json(configuration, rule)["Properties"]["EventPattern"]  # type: ignore[no-any-return]


def rule_arn(configuration: Built, rule: Any) -> dict[str, Any]:
    name = rule_json(configuration, rule)["Properties"]["Name"]
    return {
        "Fn::Join": [
            "",
            ["arn:", {"Ref": "AWS::Partition"}, f":events:{REGION}:{ACCOUNT}:rule/{name}"],
        ]
    }


def test_family_alerts_match_failures_on_both_arn_paths_by_name_prefix() -> None:
    configuration = built("family_alerts")
    prefix = {
        "prefix": {
            "Fn::Join": [
                "",
                ["arn:", {"Ref": "AWS::Partition"}, f":secretsmanager:{REGION}:{ACCOUNT}:secret:TestStack/Datadog/"],
            ]
        }
    }
    assert pattern_of(configuration) == {
        "source": ["aws.secretsmanager"],
        "detail": {
            "eventSource": ["secretsmanager.amazonaws.com"],
            "eventName": ["RotationFailed", "RotationAbandoned"],
            "$or": [
                {"additionalEventData": {"SecretId": [prefix]}},
                {"serviceEventDetails": {"secretId": [prefix]}},
            ],
        },
    }


def test_exact_alerts_match_full_arns_including_success_when_asked() -> None:
    configuration = built("alerts_exact")
    api_ref = {"Ref": configuration.stack.get_logical_id(configuration.refs["api_key"].secret.node.default_child)}
    pattern = pattern_of(configuration)
    assert pattern["detail"]["eventName"] == ["RotationFailed", "RotationAbandoned", "RotationSucceeded"]
    assert pattern["detail"]["$or"] == [{outer: {inner: [ADMIN_ARN, api_ref]}} for outer, inner in ARN_PATHS]
    # No detail-type: the rule matches "AWS Service Event via CloudTrail" and any other spelling.
    assert "detail-type" not in pattern


def test_topic_is_encrypted_and_only_these_rules_may_publish_or_use_its_key() -> None:
    configuration = built("family_alerts")
    alerts = configuration.refs["alerts"]
    stack = configuration.stack
    topic_id = stack.get_logical_id(alerts.topic.node.default_child)
    arns = [rule_arn(configuration, rule) for rule in alerts.all_rules]
    topic = configuration.json["Resources"][topic_id]
    key_id = topic["Properties"]["KmsMasterKeyId"]["Fn::GetAtt"][0]
    _, policy = only(configuration.resources("AWS::SNS::TopicPolicy"))
    by_sid = {s["Sid"]: s for s in policy["Properties"]["PolicyDocument"]["Statement"]}
    assert set(by_sid) == {"AllowPublishThroughSSLOnly", "OnlyThisRulePublishes", "NobodyElsePublishes"}
    assert by_sid["OnlyThisRulePublishes"] == {
        "Sid": "OnlyThisRulePublishes",
        "Action": "sns:Publish",
        "Condition": {"ArnEquals": {"aws:SourceArn": arns}},
        "Effect": "Allow",
        "Principal": {"Service": "events.amazonaws.com"},
        "Resource": {"Ref": topic_id},
    }
    assert by_sid["NobodyElsePublishes"]["Effect"] == "Deny"
    assert by_sid["NobodyElsePublishes"]["Principal"] == {"AWS": "*"}
    assert by_sid["NobodyElsePublishes"]["Condition"] == {"ArnNotEquals": {"aws:SourceArn": arns}}
    key_policy = configuration.json["Resources"][key_id]["Properties"]["KeyPolicy"]["Statement"]
    (events_statement,) = [s for s in key_policy if s["Principal"] == {"Service": "events.amazonaws.com"}]
    assert sorted(events_statement["Action"]) == ["kms:Decrypt", "kms:GenerateDataKey"]
    assert events_statement["Condition"] == {
        "ArnEquals": {"aws:SourceArn": arns},
        "StringEquals": {"aws:SourceAccount": ACCOUNT},
    }
    (target,) = rule_json(configuration, alerts.rule)["Properties"]["Targets"]
    assert target["Arn"] == {"Ref": topic_id}


def references(value: Any) -> set[str]:
    """Logical ids a template value refers to (Ref, Fn::GetAtt, Fn::Sub)."""
    found: set[str] = set()
    if isinstance(value, dict):
        if "Ref" in value and isinstance(value["Ref"], str):
            found.add(value["Ref"])
        if "Fn::GetAtt" in value:
            found.add(value["Fn::GetAtt"][0])
        if "Fn::Sub" in value:
            text = value["Fn::Sub"] if isinstance(value["Fn::Sub"], str) else value["Fn::Sub"][0]
            found |= {name.split(".")[0] for name in __import__("re").findall(r"\$\{([^}!]+)\}", text)}
        for inner in value.values():
            found |= references(inner)
    elif isinstance(value, list):
        for inner in value:
            found |= references(inner)
    return found


def cycle(template: dict[str, Any]) -> list[str]:
    """A dependency cycle among the template's resources ([] when there is none)."""
    resources = template["Resources"]
    edges = {
        name: (
            references(r)
            | set(r.get("DependsOn", []) if isinstance(r.get("DependsOn"), list) else [r.get("DependsOn")])
        )
        & set(resources)
        for name, r in resources.items()
    }
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(node: str) -> list[str]:
        state[node] = 1
        path.append(node)
        for nxt in sorted(edges[node]):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        path.pop()
        state[node] = 2
        return []

    for node in sorted(resources):
        if node not in state and (found := visit(node)):
            return found
    return []


@pytest.mark.parametrize("name", ["family_alerts", "alerts_options", "alerts_existing_topic", "alerts_longest"])
def test_alert_templates_have_no_dependency_cycle(name: str) -> None:
    assert cycle(built(name).json) == []


def test_cycle_detection_finds_a_cycle() -> None:
    """The check above must be able to fail: key -> rule -> topic -> key."""
    template = {
        "Resources": {
            "Key": {"Properties": {"KeyPolicy": {"Condition": {"Fn::GetAtt": ["Rule", "Arn"]}}}},
            "Rule": {"Properties": {"Targets": [{"Arn": {"Ref": "Topic"}}]}},
            "Topic": {"Properties": {"KmsMasterKeyId": {"Fn::GetAtt": ["Key", "Arn"]}}},
        }
    }
    assert cycle(template) == ["Key", "Rule", "Topic", "Key"]


def resolved(value: Any, configuration: Built) -> Any:
    """The value as CloudFormation would send it, every secret ARN at its longest: a literal Name
    as given, a generated one as ``<stack>-<logical id>-<12 characters>``, the longest partition."""
    template = configuration.json
    if isinstance(value, dict):
        if "Ref" in value:
            ref = value["Ref"]
            if ref == "AWS::Partition":
                return "aws-us-gov"
            resource = template["Resources"][ref]
            assert resource["Type"] == "AWS::SecretsManager::Secret"
            name = resource["Properties"].get("Name", f"{configuration.stack.stack_name}-{ref}-{'x' * 12}")
            return f"arn:aws-us-gov:secretsmanager:{REGION}:{ACCOUNT}:secret:{name}-AbCdEf"
        if "Fn::Join" in value:
            separator, parts = value["Fn::Join"]
            return separator.join(str(resolved(p, configuration)) for p in parts)
        return {k: resolved(v, configuration) for k, v in value.items()}
    if isinstance(value, list):
        return [resolved(v, configuration) for v in value]
    return value


def watched_arns(pattern: dict[str, Any]) -> list[Any]:
    if "resources" in pattern:
        return list(pattern["resources"])
    first, second = pattern["detail"]["$or"]
    assert first["additionalEventData"]["SecretId"] == second["serviceEventDetails"]["secretId"]
    return list(first["additionalEventData"]["SecretId"])


@pytest.mark.parametrize(
    ("alerts", "rules", "secrets"),
    [
        ("named_alerts", "rules", "named"),
        ("named_alerts", "success_rules", "named"),
        ("generated_alerts", "rules", "generated"),
    ],
)
def test_every_rule_pattern_fits_2048_characters_with_the_longest_arns(alerts: str, rules: str, secrets: str) -> None:
    configuration = built("alerts_longest")
    patterns = [pattern_of(configuration, rule) for rule in getattr(configuration.refs[alerts], rules)]
    sizes = [len(json.dumps(resolved(p, configuration))) for p in patterns]
    assert max(sizes) <= 2048, sizes
    assert len(patterns) > 1  # one rule could not hold them: they were split
    expected = [
        {"Ref": configuration.stack.get_logical_id(s.secret.node.default_child)} for s in configuration.refs[secrets]
    ]
    covered = [arn for p in patterns for arn in watched_arns(p) if arn != ADMIN_ARN]
    assert covered == expected  # each secret in exactly one rule


def test_rule_names_fit_eventbridges_64_characters_under_a_long_stack_name_and_short_ones_stay_as_they_were() -> None:
    """A rule name is the construct's unique name (at most 52 characters) and the rule's id; ids past
    ``SuccessRule`` (``SuccessRule2``, ...) take their room from the first part."""
    from aws_cdk import Names, SecretValue

    _, stack = new_stack(name="DatadogObservabilityPlatformKeysProduction")
    family = DatadogManagedSecrets(
        stack,
        "Datadog",
        **admin_props(stack),
        application_keys={
            f"service-{i:02d}": ApplicationKeySpec(
                app_key=SecretValue.secrets_manager(f"{ADMIN_ARN}", json_field=f"k{i}"),
                app_key_id=f"4f8b3e5c-9a6d-4c1f-9e3a-{i:012d}",
            )
            for i in range(40)
        },
    )
    alerts = DatadogRotationAlerts(
        stack,
        "PerServiceRotationAlerts",
        secrets=[family.application_key(f"service-{i:02d}") for i in range(40)],
        include_label_updated=True,
    )
    resources = dict(Template.from_stack(stack).to_json())["Resources"]
    names = {
        rule.node.id: resources[stack.get_logical_id(rule.node.default_child)]["Properties"]["Name"]  # type: ignore[arg-type]
        for rule in alerts.all_rules
    }
    assert {"Rule", "SuccessRule", "SuccessRule2"} <= set(names)
    assert max(len(name) for name in names.values()) <= 64, names
    assert len(set(names.values())) == len(names)
    base = Names.unique_resource_name(alerts, max_length=52)
    assert len(base) == 52
    assert names["Rule"] == f"{base}-Rule"  # as before 5.10.0
    assert names["SuccessRule"] == f"{base}-SuccessRule"


def test_a_secret_in_a_stack_with_an_env_where_the_alerts_have_none_is_refused() -> None:
    """aws_cdk would name it by an ARN without its suffix, which no event's SecretId equals."""
    app, stack = new_stack()
    admin = DatadogAdminKeySecret(stack, "Admin", **admin_props(stack), secret_name="datadog/admin")
    agnostic = cdk.Stack(app, "Alerting")  # no env
    with pytest.raises(DdSecretsValidationError) as caught:
        DatadogRotationAlerts(agnostic, "Alerts", secrets=[admin])
    assert str(caught.value) == (
        "Alerting/Alerts: 1 invalid prop:\n  - `secrets[0]`: got the DatadogAdminKeySecret at 'TestStack/Admin', in "
        f"a stack whose account is {ACCOUNT!r} (this stack: a deploy-time value); one in a stack of the alerts' env: "
        f"{MIXED_REASON}, so these rules would match no event of it; give both stacks the same env (the same "
        "account and region, or neither), or watch it by name with secret_name_prefixes"
    )
    DatadogRotationAlerts(agnostic, "Alerts", secret_name_prefixes=["datadog"])  # by name: accepted
    # One of another App is said to be that, once.
    _, foreign = new_stack(name="Foreign")
    admin = DatadogAdminKeySecret(foreign, "Admin", **admin_props(foreign), secret_name="datadog/foreign")
    with pytest.raises(DdSecretsValidationError) as caught:
        DatadogRotationAlerts(agnostic, "ForeignAlerts", secrets=[admin])
    (problem,) = caught.value.problems
    assert problem.received == "the DatadogAdminKeySecret at 'Foreign/Admin', of another App"


def test_the_old_single_rule_would_not_have_fitted() -> None:
    """Ten generated names in one pattern on three ARN paths measured 2,894 characters; the size
    check must see such a pattern as too large."""
    configuration = built("alerts_longest")
    arns = [
        arn
        for rule in configuration.refs["generated_alerts"].rules
        for arn in watched_arns(pattern_of(configuration, rule))
    ]
    old = {
        "source": ["aws.secretsmanager"],
        "detail": {"$or": [{"a": {"b": arns}}, {"c": {"d": arns}}, {"e": {"f": arns}}]},
    }
    assert len(json.dumps(resolved(old, configuration))) > 2048


def test_label_updated_rule_is_the_native_success_signal() -> None:
    configuration = built("alerts_options")
    (success_rule,) = configuration.refs["alerts"].success_rules
    pattern = pattern_of(configuration, success_rule)
    assert pattern["detail-type"] == ["Secret Label Updated"]
    assert pattern["detail"] == {"labelUpdated": ["AWSCURRENT"]}
    assert pattern["resources"] == watched_arns(pattern_of(configuration))  # the same secrets as the failures


def test_rotation_check_is_the_aws_config_rule_scoped_by_a_tag_on_the_watched_secrets() -> None:
    configuration = built("alerts_options")
    alerts = configuration.refs["alerts"]
    (_, rule) = only(configuration.resources("AWS::Config::ConfigRule"))
    key, value = alerts.rotation_check_tag
    assert key == ROTATION_CHECK_TAG
    assert rule["Properties"]["Source"] == {
        "Owner": "AWS",
        "SourceIdentifier": "SECRETSMANAGER_SCHEDULED_ROTATION_SUCCESS_CHECK",
    }
    assert rule["Properties"]["Scope"] == {"TagKey": key, "TagValue": value}
    secrets = configuration.resources("AWS::SecretsManager::Secret")
    assert len(secrets) == 3
    for secret in secrets.values():
        assert {"Key": key, "Value": value} in secret["Properties"]["Tags"]
    assert all(
        "Tags" not in r.get("Properties", {}) or {"Key": key, "Value": value} not in r["Properties"]["Tags"]
        for r in configuration.resources("AWS::IAM::Role").values()
    )


def test_family_key_can_encrypt_the_topic_and_topic_is_typed_for_subscriptions() -> None:
    configuration = built("alerts_options")
    stack = configuration.stack
    key_id = stack.get_logical_id(configuration.refs["key"].node.default_child)
    (topic,) = configuration.resources("AWS::SNS::Topic").values()
    assert topic["Properties"]["KmsMasterKeyId"] == {"Fn::GetAtt": [key_id, "Arn"]}
    assert len(configuration.resources("AWS::KMS::Key")) == 1  # no new key
    statements = configuration.json["Resources"][key_id]["Properties"]["KeyPolicy"]["Statement"]
    (events_statement,) = [s for s in statements if s["Principal"] == {"Service": "events.amazonaws.com"}]
    arns = [rule_arn(configuration, r) for r in configuration.refs["alerts"].all_rules]
    assert events_statement["Condition"]["ArnEquals"] == {"aws:SourceArn": arns}
    (subscription,) = configuration.resources("AWS::SNS::Subscription").values()
    assert subscription["Properties"]["Endpoint"] == "sre@example.com"


def test_an_existing_topic_of_the_app_gets_an_allow_for_these_rules_and_its_key_a_statement() -> None:
    configuration = built("alerts_existing_topic")
    stack = configuration.stack
    alerts = configuration.refs["alerts"]
    topic_id = stack.get_logical_id(configuration.refs["topic"].node.default_child)
    arns = [rule_arn(configuration, r) for r in alerts.all_rules]
    (policy,) = [
        p
        for p in configuration.resources("AWS::SNS::TopicPolicy").values()
        if p["Properties"]["Topics"] == [{"Ref": topic_id}]
    ]
    by_sid = {s["Sid"]: s for s in policy["Properties"]["PolicyDocument"]["Statement"]}
    assert by_sid["OnlyThisRulePublishes"]["Condition"] == {"ArnEquals": {"aws:SourceArn": arns}}
    assert "NobodyElsePublishes" not in by_sid  # the topic may have other publishers
    key_id = stack.get_logical_id(configuration.refs["topic_key"].node.default_child)
    statements = configuration.json["Resources"][key_id]["Properties"]["KeyPolicy"]["Statement"]
    (events_statement,) = [s for s in statements if s["Principal"] == {"Service": "events.amazonaws.com"}]
    assert events_statement["Condition"]["StringEquals"] == {"aws:SourceAccount": ACCOUNT}
    assert alerts.topic is configuration.refs["topic"]
    (target,) = rule_json(configuration, alerts.rule)["Properties"]["Targets"]
    assert target["Arn"] == {"Ref": topic_id}


def test_an_imported_topic_is_used_and_a_warning_says_what_its_policies_need() -> None:
    configuration = built("alerts_existing_topic")
    alerts = configuration.refs["imported_alerts"]
    (target,) = rule_json(configuration, alerts.rule)["Properties"]["Targets"]
    assert target["Arn"] == f"arn:aws:sns:{REGION}:{ACCOUNT}:ops"
    (warning,) = warnings_of(configuration, "/ImportedTopicAlerts")
    assert "sns:Publish" in warning
    assert "kms:GenerateDataKey" in warning
    assert warning.endswith("[ack: ddsecrets-constructs:alertsTopicPolicy]")


def test_a_topic_whose_key_is_not_managed_here_gets_its_publish_allow_and_a_key_policy_warning() -> None:
    """README, Validation: `alertsKeyPolicy` when the topic's KMS key is not this app's."""
    configuration = built("alerts_existing_topic")
    topic_id = configuration.stack.get_logical_id(configuration.refs["foreign_key_topic"].node.default_child)
    (policy,) = [
        p
        for p in configuration.resources("AWS::SNS::TopicPolicy").values()
        if p["Properties"]["Topics"] == [{"Ref": topic_id}]
    ]
    assert "OnlyThisRulePublishes" in {s["Sid"] for s in policy["Properties"]["PolicyDocument"]["Statement"]}
    (warning,) = warnings_of(configuration, "/ForeignKeyAlerts")
    assert warning.startswith("The topic's KMS key is not managed by this app")
    assert "kms:GenerateDataKey" in warning
    assert "sns:Publish" not in warning  # the topic policy was written: only the key needs the operator
    assert warning.endswith("[ack: ddsecrets-constructs:alertsKeyPolicy]")


def test_given_targets_replace_the_topic() -> None:
    configuration = built("alerts_exact")
    with pytest.raises(DdSecretsValidationError, match="`topic`"):
        _ = configuration.refs["alerts"].topic
    assert configuration.resources("AWS::SNS::Topic") == {}
    (target,) = rule_json(configuration, configuration.refs["alerts"].rule)["Properties"]["Targets"]
    assert target["Arn"] == {
        "Fn::GetAtt": [configuration.stack.get_logical_id(configuration.refs["queue"].node.default_child), "Arn"]
    }


@pytest.mark.parametrize(
    ("kwargs", "prop"),
    [
        ({}, "secrets"),
        ({"secret_name_prefixes": ["datadog/"]}, "secret_name_prefixes[0]"),
        ({"secret_name_prefixes": [""]}, "secret_name_prefixes[0]"),
        ({"secrets": ["arn:aws:secretsmanager:eu-west-1:111111111111:secret:x-AbC123"]}, "secrets[0]"),
    ],
)
def test_fails_on_nothing_to_watch_or_wrong_kinds(kwargs: dict[str, Any], prop: str) -> None:
    _, stack = new_stack()
    with pytest.raises(DdSecretsValidationError) as caught:
        DatadogRotationAlerts(stack, "Alerts", **kwargs)
    assert [p.prop for p in caught.value.problems] == [prop]


def test_fails_on_a_topic_with_targets_and_a_key_with_either() -> None:
    _, stack = new_stack()
    imported = DatadogAdminKeySecret.from_admin_secret_attributes(
        stack, "Admin", secret_complete_arn=ADMIN_ARN, service_account_id=SERVICE_ACCOUNT
    )
    key = DatadogApiKeySecret(stack, "Key", admin=imported, api_key=param(stack, "K"), api_key_id=api_key_id(stack))
    with pytest.raises(DdSecretsValidationError) as caught:
        DatadogRotationAlerts(
            stack,
            "Alerts",
            secrets=[key],
            targets=[events_targets.SqsQueue(sqs.Queue(stack, "Q"))],
            topic=sns.Topic(stack, "T"),
            encryption_key=kms.Key(stack, "K"),
        )
    assert [p.prop for p in caught.value.problems] == ["topic", "encryption_key"]


def test_family_key_option_needs_a_family_key() -> None:
    _, stack = new_stack()
    family = DatadogManagedSecrets(stack, "Datadog", **admin_props(stack))
    with pytest.raises(DdSecretsValidationError, match="use_family_key"):
        family.add_rotation_alerts(use_family_key=True)


def test_a_deploy_time_prefix_is_watched_as_the_token_and_its_checks_are_listed() -> None:
    app, stack = new_stack()
    prefix = cdk.CfnParameter(stack, "Prefix").value_as_string
    alerts = DatadogRotationAlerts(stack, "Alerts", secret_name_prefixes=[prefix])
    configuration = Built(app, stack, Template.from_stack(stack))
    assert "Prefix" in json.dumps(rule_json(configuration, alerts.rule)["Properties"]["EventPattern"])
    (message,) = [m for m in warnings_of(configuration, "/Alerts") if "deployTimeValuesNotChecked" in m]
    assert skipped_checks(message) == {
        "secret name prefix without key material or trailing '/'": ["secret_name_prefixes[0]"]
    }
