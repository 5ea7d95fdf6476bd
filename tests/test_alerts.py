"""DatadogRotationAlerts: the exact event pattern, the topic only EventBridge may publish to."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk import aws_events_targets as events_targets
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sqs as sqs

from ddsecrets_constructs import (
    DatadogAdminKeySecret,
    DatadogApiKeySecret,
    DatadogRotationAlerts,
    DdSecretsValidationError,
)
from tests.support import (
    ACCOUNT,
    ADMIN_ARN,
    API_KEY_ID,
    REGION,
    SERVICE_ACCOUNT,
    built,
    new_stack,
    only,
    param,
    resource_of,
)


def pattern_of(configuration: Any) -> dict[str, Any]:
    rule = resource_of(configuration, configuration.refs["alerts"].rule.node.default_child)
    return rule["Properties"]["EventPattern"]  # type: ignore[no-any-return]


def test_family_alerts_match_failures_of_every_family_secret_by_name_prefix() -> None:
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
                {"responseElements": {"arn": [prefix]}},
                {"responseElements": {"aRN": [prefix]}},
            ],
        },
    }


def test_exact_alerts_match_full_arns_including_success_when_asked() -> None:
    configuration = built("alerts_exact")
    api_ref = {"Ref": configuration.stack.get_logical_id(configuration.refs["api_key"].secret.node.default_child)}
    detail = pattern_of(configuration)["detail"]
    assert detail["eventName"] == ["RotationFailed", "RotationAbandoned", "RotationSucceeded"]
    assert detail["$or"] == [
        {"additionalEventData": {"SecretId": [ADMIN_ARN, api_ref]}},
        {"responseElements": {"arn": [ADMIN_ARN, api_ref]}},
        {"responseElements": {"aRN": [ADMIN_ARN, api_ref]}},
    ]
    assert "detail-type" not in pattern_of(configuration)


def test_topic_is_encrypted_and_only_this_rule_may_publish() -> None:
    configuration = built("family_alerts")
    alerts = configuration.refs["alerts"]
    stack = configuration.stack
    topic_id = stack.get_logical_id(alerts.topic.node.default_child)
    rule_arn = {"Fn::GetAtt": [stack.get_logical_id(alerts.rule.node.default_child), "Arn"]}
    topic = configuration.json["Resources"][topic_id]
    key_id = topic["Properties"]["KmsMasterKeyId"]["Fn::GetAtt"][0]
    _, policy = only(configuration.resources("AWS::SNS::TopicPolicy"))
    by_sid = {s["Sid"]: s for s in policy["Properties"]["PolicyDocument"]["Statement"]}
    assert set(by_sid) == {"AllowPublishThroughSSLOnly", "OnlyThisRulePublishes", "NobodyElsePublishes"}
    assert by_sid["OnlyThisRulePublishes"] == {
        "Sid": "OnlyThisRulePublishes",
        "Action": "sns:Publish",
        "Condition": {"ArnEquals": {"aws:SourceArn": rule_arn}},
        "Effect": "Allow",
        "Principal": {"Service": "events.amazonaws.com"},
        "Resource": {"Ref": topic_id},
    }
    assert by_sid["NobodyElsePublishes"]["Effect"] == "Deny"
    assert by_sid["NobodyElsePublishes"]["Principal"] == {"AWS": "*"}
    assert by_sid["NobodyElsePublishes"]["Condition"] == {"ArnNotEquals": {"aws:SourceArn": rule_arn}}
    key_policy = configuration.json["Resources"][key_id]["Properties"]["KeyPolicy"]["Statement"]
    (events_statement,) = [s for s in key_policy if s["Principal"] == {"Service": "events.amazonaws.com"}]
    assert sorted(events_statement["Action"]) == ["kms:Decrypt", "kms:GenerateDataKey"]
    (target,) = resource_of(configuration, alerts.rule.node.default_child)["Properties"]["Targets"]
    assert target["Arn"] == {"Ref": topic_id}


def test_given_targets_replace_the_topic() -> None:
    configuration = built("alerts_exact")
    assert configuration.refs["alerts"].topic is None
    assert configuration.resources("AWS::SNS::Topic") == {}
    (target,) = resource_of(configuration, configuration.refs["alerts"].rule.node.default_child)["Properties"][
        "Targets"
    ]
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


def test_fails_on_more_secrets_than_a_pattern_can_hold_and_on_a_key_with_targets() -> None:
    _, stack = new_stack()
    imported = DatadogAdminKeySecret.from_admin_secret_attributes(
        stack, "Admin", secret_complete_arn=ADMIN_ARN, service_account_id=SERVICE_ACCOUNT
    )
    keys = [
        DatadogApiKeySecret(stack, f"Key{i}", admin=imported, api_key=param(stack, f"K{i}"), api_key_id=API_KEY_ID)
        for i in range(11)
    ]
    with pytest.raises(DdSecretsValidationError) as caught:
        DatadogRotationAlerts(
            stack,
            "Alerts",
            secrets=keys,
            targets=[events_targets.SqsQueue(sqs.Queue(stack, "Q"))],
            encryption_key=kms.Key(stack, "K"),
        )
    assert [p.prop for p in caught.value.problems] == ["secrets", "encryption_key"]
    assert "secret_name_prefixes" in str(caught.value)
