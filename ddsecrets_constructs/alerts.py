"""DatadogRotationAlerts: tell people when a rotation of these secrets fails.

Rotation runs inside AWS after the deploy; a failure is visible only as a CloudTrail service
event (reference section 2). An EventBridge rule on the default bus matches ``RotationFailed`` and
``RotationAbandoned`` (optionally ``RotationSucceeded``) for exactly the given secrets and sends
them to an encrypted SNS topic that only this rule may publish to, or to targets you pass.

The pattern matches ``source: aws.secretsmanager``, ``detail.eventSource`` and
``detail.eventName``, never ``detail-type`` alone. The secret ARN is matched where rotation
events carry it (``detail.additionalEventData.SecretId``) and, because AWS documents that some
Secrets Manager events spelled the key ``aRN`` instead of ``arn`` (before February 2024), also in
``detail.responseElements.arn`` and ``detail.responseElements.aRN``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Optional, Union

import jsii
from aws_cdk import Stack, Token
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk.interfaces.aws_events import IRuleRef
from constructs import Construct

from ._arns import secret_arn_by_name
from ._secret_base import DatadogKeySecretBase
from .admin_key import IDatadogAdminKeySecret, ImportedDatadogAdminKeySecret
from .validation import Problems

FAILURE_EVENTS = ("RotationFailed", "RotationAbandoned")
SUCCESS_EVENT = "RotationSucceeded"
MAX_EXACT_SECRETS = 10
"""PutRule limits an event pattern to 4,096 characters and each ARN appears three times: beyond
this many secrets, match a name prefix (a DatadogManagedSecrets family does)."""

AlertedSecret = Union[DatadogKeySecretBase, IDatadogAdminKeySecret]


class DatadogRotationAlerts(Construct):
    """An EventBridge rule for rotation failures of given secrets, routed to an SNS topic or targets.

    Example::

        alerts = DatadogRotationAlerts(self, "Alerts", secrets=[admin, api_key])
        alerts.topic.add_subscription(subscriptions.EmailSubscription("sre@example.com"))

    :class:`DatadogManagedSecrets` has :meth:`~DatadogManagedSecrets.add_rotation_alerts`.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        secrets: Sequence[AlertedSecret] = (),
        secret_name_prefixes: Sequence[str] = (),
        include_succeeded: bool = False,
        targets: Optional[Sequence[events.IRuleTarget]] = None,
        encryption_key: Optional[kms.IKey] = None,
    ) -> None:
        """
        :param scope: the parent construct.
        :param construct_id: the construct id.
        :param secrets: the secrets to watch, matched by full ARN (at most 10). Default: - none
        :param secret_name_prefixes: also watch every secret named ``<prefix>/...`` in this account
            and region. Default: - none
        :param include_succeeded: also send ``RotationSucceeded`` events. Default: False
        :param targets: where to send the events instead of a new SNS topic.
            Default: - a new SNS topic, encrypted, that only this rule may publish to
        :param encryption_key: the KMS key of the new topic; EventBridge is allowed to use it.
            Default: - a new customer-managed key with rotation enabled (the AWS managed SNS key
            cannot be used by EventBridge)
        """
        super().__init__(scope, construct_id)
        problems = Problems()
        secrets = list(secrets)
        prefixes = list(secret_name_prefixes)
        if not secrets and not prefixes:
            problems.add("secrets", "no secret and no prefix", "at least one secret or secret name prefix to watch")
        if len(secrets) > MAX_EXACT_SECRETS:
            problems.add(
                "secrets",
                f"{len(secrets)} secrets",
                f"at most {MAX_EXACT_SECRETS} (the event pattern is limited to 4,096 characters); watch a name "
                "prefix with `secret_name_prefixes`, or use DatadogManagedSecrets.add_rotation_alerts()",
            )
        for index, secret in enumerate(secrets):
            if not isinstance(secret, (DatadogKeySecretBase, ImportedDatadogAdminKeySecret)):
                problems.add(
                    f"secrets[{index}]", f"{type(secret).__name__}", "a Datadog secret construct of this library"
                )
        for index, prefix in enumerate(prefixes):
            if not isinstance(prefix, str) or not prefix or (not Token.is_unresolved(prefix) and prefix.endswith("/")):
                problems.add(
                    f"secret_name_prefixes[{index}]", repr(prefix), "a secret name prefix without trailing '/'"
                )
        if targets is not None and encryption_key is not None:
            problems.add(
                "encryption_key", "a key with `targets`", "an encryption key only when the topic is created here"
            )
        problems.raise_if_any(self)

        stack = Stack.of(self)
        arns: list[Any] = [secret.secret_full_arn for secret in secrets]
        arns += [{"prefix": secret_arn_by_name(stack, f"{prefix}/")} for prefix in prefixes]
        event_names = [*FAILURE_EVENTS, SUCCESS_EVENT] if include_succeeded else list(FAILURE_EVENTS)
        self._rule = events.Rule(
            self,
            "Rule",
            description="Secrets Manager rotation events of Datadog secrets (ddsecrets-constructs).",
            event_pattern=events.EventPattern(
                source=["aws.secretsmanager"],
                detail={
                    "eventSource": ["secretsmanager.amazonaws.com"],
                    "eventName": event_names,
                    "$or": [
                        {"additionalEventData": {"SecretId": arns}},
                        {"responseElements": {"arn": arns}},
                        {"responseElements": {"aRN": arns}},
                    ],
                },
            ),
        )
        self._topic: Optional[sns.Topic] = None
        if targets is None:
            self._topic = self._create_topic(encryption_key)
            targets = [_TopicOnlyThisRulePublishes(self._topic)]
        for target in targets:
            self._rule.add_target(target)

    @property
    def rule(self) -> events.Rule:
        """The EventBridge rule."""
        return self._rule

    @property
    def topic(self) -> Optional[sns.ITopic]:
        """The SNS topic created for the alerts (None when ``targets`` were given): subscribe to it."""
        return self._topic

    def _create_topic(self, encryption_key: Optional[kms.IKey]) -> sns.Topic:
        key = encryption_key or kms.Key(
            self, "TopicKey", enable_key_rotation=True, description="Encrypts Datadog rotation alerts"
        )
        # EventBridge encrypts what it publishes to the topic with this key.
        key.grant(iam.ServicePrincipal("events.amazonaws.com"), "kms:Decrypt", "kms:GenerateDataKey")
        return sns.Topic(self, "Topic", display_name="Datadog secret rotation alerts", master_key=key, enforce_ssl=True)


@jsii.implements(events.IRuleTarget)
class _TopicOnlyThisRulePublishes:
    """An SNS target whose topic policy lets EventBridge publish for this rule only.

    (``aws_events_targets.SnsTopic`` allows ``events.amazonaws.com`` without an ``aws:SourceArn``
    condition; this also denies ``sns:Publish`` to anything else.)
    """

    def __init__(self, topic: sns.Topic) -> None:
        self._topic = topic

    def bind(self, rule: IRuleRef, id: Optional[str] = None) -> events.RuleTargetConfig:
        rule_arn = rule.rule_ref.rule_arn
        self._topic.add_to_resource_policy(
            iam.PolicyStatement(
                sid="OnlyThisRulePublishes",
                principals=[iam.ServicePrincipal("events.amazonaws.com")],
                actions=["sns:Publish"],
                resources=[self._topic.topic_arn],
                conditions={"ArnEquals": {"aws:SourceArn": rule_arn}},
            )
        )
        self._topic.add_to_resource_policy(
            iam.PolicyStatement(
                sid="NobodyElsePublishes",
                effect=iam.Effect.DENY,
                principals=[iam.AnyPrincipal()],
                actions=["sns:Publish"],
                resources=[self._topic.topic_arn],
                conditions={"ArnNotEquals": {"aws:SourceArn": rule_arn}},
            )
        )
        return events.RuleTargetConfig(arn=self._topic.topic_arn)
