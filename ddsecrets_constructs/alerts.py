"""DatadogRotationAlerts: tell people when a rotation of these secrets fails (and, if asked, succeeds).

Rotation runs inside AWS after the deploy; a failure is visible only as a CloudTrail service event
(reference sections 2 and 8): ``source`` ``aws.secretsmanager``, ``detail.eventName``
``RotationFailed`` / ``RotationAbandoned``, the secret ARN in ``detail.additionalEventData.SecretId``
(public Lambda-rotation samples) or ``detail.serviceEventDetails.secretId`` (a public managed-rotation
sample); no managed-external-secret sample is public, so the rules match both (``$or``). Each rule's
pattern stays within EventBridge's 2,048-character quota with the ARNs resolved: the secrets are
split over as many rules as needed (``Rule``, ``Rule2``, ...).

Options: the native ``Secret Label Updated`` event as a success signal (``AWSCURRENT`` moved; sent
without CloudTrail), the AWS Config managed rule ``secretsmanager-scheduled-rotation-success-check``
scoped by a tag put on the watched secrets, an existing SNS topic as the target.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Optional, Union

import jsii
from aws_cdk import Annotations, ArnFormat, Names, Stack, Tags, Token
from aws_cdk import aws_config as config
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk.interfaces.aws_events import IRuleRef
from constructs import Construct, IConstruct

from . import _alert_patterns as patterns
from ._arns import secret_arn_by_name
from ._secret_base import DatadogKeySecretBase
from ._secret_props import check_encryption_key, check_flag
from ._stack_facts import MIXED_ENVIRONMENT_REASON, check_construct_id, check_reachable, mixed_environment, path_of
from .admin_key import IDatadogAdminKeySecret, ImportedDatadogAdminKeySecret
from .validation import Problems, gives_back_if_not_built

FAILURE_EVENTS = patterns.FAILURE_EVENTS
SUCCESS_EVENT = patterns.SUCCESS_EVENT
ROTATION_CHECK_TAG = "ddsecrets-constructs:rotation-check"
"""Tag key that scopes the AWS Config rule to the watched secrets (its value names the alerts)."""
ROTATION_CHECK_RULE = "SECRETSMANAGER_SCHEDULED_ROTATION_SUCCESS_CHECK"

AlertedSecret = Union[DatadogKeySecretBase, IDatadogAdminKeySecret]


class DatadogRotationAlerts(Construct):
    """EventBridge rules for rotation failures of given secrets, routed to an SNS topic or targets.

    Example::

        alerts = DatadogRotationAlerts(self, "Alerts", secrets=[admin, api_key])
        alerts.topic.add_subscription(subscriptions.EmailSubscription("sre@example.com"))

    :class:`DatadogManagedSecrets` has :meth:`~DatadogManagedSecrets.add_rotation_alerts`.
    """

    @gives_back_if_not_built
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        secrets: Sequence[AlertedSecret] = (),
        secret_name_prefixes: Sequence[str] = (),
        include_succeeded: bool = False,
        include_label_updated: bool = False,
        rotation_check: bool = False,
        targets: Optional[Sequence[events.IRuleTarget]] = None,
        topic: Optional[sns.ITopic] = None,
        encryption_key: Optional[kms.IKey] = None,
    ) -> None:
        """
        :param scope: the parent construct.
        :param construct_id: the construct id.
        :param secrets: the secrets to watch, matched by full ARN. Default: - none
        :param secret_name_prefixes: also watch every secret named ``<prefix>/...`` in this account
            and region. Default: - none
        :param include_succeeded: also send ``RotationSucceeded`` events. Default: False
        :param include_label_updated: also send Secrets Manager's native ``Secret Label Updated``
            events in which ``AWSCURRENT`` moved (a rotation succeeded, or a new value was put),
            from rules ``SuccessRule``, ``SuccessRule2``, ... Default: False
        :param rotation_check: add the AWS Config managed rule
            ``secretsmanager-scheduled-rotation-success-check``, scoped to the watched secrets by the
            tag ``ddsecrets-constructs:rotation-check`` (imported secrets cannot be tagged here).
            Needs AWS Config recording in the account. Default: False
        :param targets: where to send the events instead of an SNS topic. Default: - a new SNS topic
        :param topic: an existing SNS topic to send the events to; a topic of this app gets a topic
            policy statement (and its KMS key a key policy statement) for these rules, an imported
            one needs them added by its owner (a warning says which). Default: - a new SNS topic,
            encrypted, that only these rules may publish to
        :param encryption_key: the KMS key of the new topic; EventBridge may use it for these rules
            only. Default: - a new customer-managed key with rotation enabled (the AWS managed SNS
            key cannot be used by EventBridge)
        """
        check_construct_id(scope, construct_id, "DatadogRotationAlerts")
        super().__init__(scope, construct_id)
        self._rule_arns: dict[str, str] = {}
        problems = Problems()
        secrets = _check_list(problems, "secrets", secrets, "a list of Datadog secret constructs of this library")
        prefixes = _check_list(problems, "secret_name_prefixes", secret_name_prefixes, "a list of secret name prefixes")
        include_succeeded = check_flag(problems, "include_succeeded", include_succeeded) is True
        include_label_updated = check_flag(problems, "include_label_updated", include_label_updated) is True
        rotation_check = check_flag(problems, "rotation_check", rotation_check) is True
        if targets is not None:
            targets = _check_list(
                problems, "targets", targets, "a list of EventBridge rule targets (events.IRuleTarget)"
            )
        if topic is not None and (isinstance(topic, (str, bytes)) or not hasattr(topic, "topic_arn")):
            problems.wrong_type("topic", topic, "an SNS topic object (sns.ITopic), e.g. sns.Topic(...)")
        check_encryption_key(problems, encryption_key, user=self, named_in_iam=False)
        _check(problems, secrets, prefixes, targets, topic, encryption_key)
        # Owned constructs of another App or Stage (an imported admin's ARN is plain text: any app may use it).
        for index, secret in enumerate(secrets):
            if isinstance(secret, DatadogKeySecretBase):
                found = len(problems)
                check_reachable(
                    problems,
                    f"secrets[{index}]",
                    secret,
                    self,
                    type(secret).__name__,
                    instead="its secrets watched by name with secret_name_prefixes",
                )
                mixed = mixed_environment(secret, self) if len(problems) == found else None
                if mixed is not None:
                    problems.add(
                        f"secrets[{index}]",
                        f"the {type(secret).__name__} at {path_of(secret)!r}, {mixed}",
                        f"one in a stack of the alerts' env: {MIXED_ENVIRONMENT_REASON}, so these rules would match "
                        "no event of it; give both stacks the same env (the same account and region, or neither), or "
                        "watch it by name with secret_name_prefixes",
                    )
        if isinstance(topic, sns.Topic):
            found = len(problems)
            imported = "the topic imported with sns.Topic.from_topic_arn(...)"
            check_reachable(problems, "topic", topic, self, "SNS topic", instead=imported)
            key = topic.master_key if len(problems) == found else None
            if isinstance(key, kms.Key):  # owned: its key policy gets a statement naming these rules
                check_reachable(
                    problems,
                    "topic",
                    key,
                    self,
                    "KMS key (the topic's master_key)",
                    instead="a topic whose master_key is imported with kms.Key.from_key_arn(...)",
                )
        problems.raise_if_any(self)
        self._targets_given = targets is not None
        stack = Stack.of(self)
        watched = [_watched_secret(stack, s) for s in secrets] + [_watched_prefix(stack, p) for p in prefixes]
        event_names = [*FAILURE_EVENTS, SUCCESS_EVENT] if include_succeeded else list(FAILURE_EVENTS)
        self._rules = self._add_rules(
            "Rule",
            "Secrets Manager rotation events of Datadog secrets (ddsecrets-constructs).",
            watched,
            lambda entries: patterns.failure_pattern(entries, event_names),
        )
        self._success_rules: list[events.Rule] = []
        if include_label_updated:
            self._success_rules = self._add_rules(
                "SuccessRule",
                "AWSCURRENT moved on a Datadog secret: a rotation succeeded or a value was put (ddsecrets-constructs).",
                [patterns.Watched(w.entry, w.longest) for w in watched],
                patterns.label_pattern,
            )
        rule_arns = [self._rule_arns[rule.node.id] for rule in self.all_rules]
        self._topic: Optional[sns.ITopic] = topic
        if targets is None:
            if topic is None:
                self._topic = self._create_topic(encryption_key, rule_arns)
            else:
                _allow_rules_on_existing_topic(self, topic, rule_arns)
            targets = [_TopicTarget(self.topic)]
        for rule in self.all_rules:
            for target in targets:
                rule.add_target(target)
        self._rotation_check: Optional[config.CfnConfigRule] = None
        if rotation_check:
            for secret in secrets:
                if isinstance(secret, DatadogKeySecretBase):  # an imported secret cannot be tagged here
                    self._check_rotation_of(secret)

    @property
    def rule(self) -> events.Rule:
        """The first (often the only) failure rule."""
        return self._rules[0]

    @property
    def rules(self) -> list[events.Rule]:
        """Every failure rule: one per group of secrets whose pattern fits 2,048 characters."""
        return list(self._rules)

    @property
    def success_rules(self) -> list[events.Rule]:
        """The ``Secret Label Updated`` rules (``include_label_updated``)."""
        return list(self._success_rules)

    @property
    def all_rules(self) -> list[events.Rule]:
        """Every rule: the failure rules (:attr:`rules`) then the success rules (:attr:`success_rules`)."""
        return [*self._rules, *self._success_rules]

    @property
    def topic(self) -> sns.ITopic:
        """The SNS topic the alerts go to (created here, or given as ``topic``): subscribe to it.

        Raises :class:`DdSecretsValidationError` when ``targets`` replaced the topic.
        """
        if self._topic is None:
            problems = Problems()
            problems.add("topic", "no topic: `targets` were given", "read `topic` only when no `targets` are given")
            problems.raise_if_any(self)
        assert self._topic is not None
        return self._topic

    @property
    def rotation_check(self) -> Optional[config.CfnConfigRule]:
        """The AWS Config rule (``rotation_check``), or None."""
        return self._rotation_check

    @property
    def rotation_check_tag(self) -> tuple[str, str]:
        """The tag (key, value) that puts a secret in the scope of the AWS Config rule."""
        return ROTATION_CHECK_TAG, Names.unique_resource_name(self, max_length=128)

    def _check_rotation_of(self, scope: IConstruct) -> None:
        """Add the AWS Config rule (once) and tag every secret under ``scope`` so that it evaluates them."""
        key, value = self.rotation_check_tag
        if self._rotation_check is None:
            self._rotation_check = config.CfnConfigRule(
                self,
                "RotationCheck",
                description="Datadog secrets whose scheduled rotation did not succeed (ddsecrets-constructs).",
                source=config.CfnConfigRule.SourceProperty(owner="AWS", source_identifier=ROTATION_CHECK_RULE),
                scope=config.CfnConfigRule.ScopeProperty(tag_key=key, tag_value=value),
            )
        Tags.of(scope).add(key, value, include_resource_types=["AWS::SecretsManager::Secret"])

    def _add_rules(
        self, base_id: str, description: str, watched: list[patterns.Watched], make: Any
    ) -> list[events.Rule]:
        rules = []
        for index, group in enumerate(patterns.pack(watched, make)):
            rule_id = base_id if index == 0 else f"{base_id}{index + 1}"
            # An explicit name lets the KMS key policy name the rule's ARN without depending on
            # the rule (key -> rule -> topic -> key would be a cycle). EventBridge allows 64
            # characters: a long id ("SuccessRule12") takes them from the construct's part, which
            # leaves every name that fitted as it was.
            name = f"{Names.unique_resource_name(self, max_length=min(52, 63 - len(rule_id)))}-{rule_id}"
            self._rule_arns[rule_id] = Stack.of(self).format_arn(
                service="events", resource="rule", resource_name=name, arn_format=ArnFormat.SLASH_RESOURCE_NAME
            )
            rule = events.Rule(
                self,
                rule_id,
                rule_name=name,
                description=description,
                event_pattern=events.EventPattern(source=["aws.secretsmanager"]),
            )
            # The whole pattern as written (EventPattern's typed fields cannot hold prefix matchers
            # in `resources`); it replaces the placeholder above.
            rule.node.default_child.add_property_override(  # type: ignore[union-attr]
                "EventPattern", make([w.entry for w in group])
            )
            rules.append(rule)
        return rules

    def _create_topic(self, encryption_key: Optional[kms.IKey], rule_arns: list[str]) -> sns.Topic:
        key = encryption_key or kms.Key(
            self, "TopicKey", enable_key_rotation=True, description="Encrypts Datadog rotation alerts"
        )
        _allow_rules_on_key(self, key, rule_arns)
        topic = sns.Topic(
            self, "Topic", display_name="Datadog secret rotation alerts", master_key=key, enforce_ssl=True
        )
        topic.add_to_resource_policy(_publish_statement(topic, rule_arns))
        topic.add_to_resource_policy(
            iam.PolicyStatement(
                sid="NobodyElsePublishes",
                effect=iam.Effect.DENY,
                principals=[iam.AnyPrincipal()],
                actions=["sns:Publish"],
                resources=[topic.topic_arn],
                conditions={"ArnNotEquals": {"aws:SourceArn": rule_arns}},
            )
        )
        return topic


def _check_list(problems: Problems, prop: str, value: object, allowed: str) -> list[Any]:
    """The items of a list or tuple prop; none (recorded as a problem) for anything else."""
    if not problems.check_type(prop, value, (list, tuple), allowed):
        return []
    assert isinstance(value, (list, tuple))
    return list(value)


def _check(
    problems: Problems,
    secrets: list[AlertedSecret],
    prefixes: list[str],
    targets: Optional[Sequence[events.IRuleTarget]],
    topic: Optional[sns.ITopic],
    encryption_key: Optional[kms.IKey],
) -> None:
    if not secrets and not prefixes:
        problems.add("secrets", "no secret and no prefix", "at least one secret or secret name prefix to watch")
    for index, secret in enumerate(secrets):
        if not isinstance(secret, (DatadogKeySecretBase, ImportedDatadogAdminKeySecret)):
            problems.add(f"secrets[{index}]", f"{type(secret).__name__}", "a Datadog secret construct of this library")
    for index, prefix in enumerate(prefixes):
        if not isinstance(prefix, str) or not prefix or (not Token.is_unresolved(prefix) and prefix.endswith("/")):
            problems.wrong_type(f"secret_name_prefixes[{index}]", prefix, "a secret name prefix without trailing '/'")
        elif Token.is_unresolved(prefix):
            problems.skip(f"secret_name_prefixes[{index}]", "secret name prefix without key material or trailing '/'")
        else:
            problems.refuse_key_shapes(f"secret_name_prefixes[{index}]", prefix, "a secret name prefix")
    if targets is not None and topic is not None:
        problems.add("topic", "a topic with `targets`", "either `targets` or `topic`")
    if encryption_key is not None and (targets is not None or topic is not None):
        problems.add(
            "encryption_key", "a key with `targets` or `topic`", "an encryption key only when the topic is created here"
        )


def _watched_secret(stack: Stack, secret: AlertedSecret) -> patterns.Watched:
    arn = secret.secret_full_arn
    logical_id = ""
    if isinstance(secret, DatadogKeySecretBase) and secret.secret.node.default_child is not None:
        logical_id = stack.get_logical_id(secret.secret.node.default_child)  # type: ignore[arg-type]
    return patterns.Watched(arn, patterns.longest_secret_arn(stack, arn, secret.secret_name, logical_id))


def _watched_prefix(stack: Stack, prefix: str) -> patterns.Watched:
    longest = "x" * (
        patterns.secret_arn_prefix_length(stack) + (len(prefix) if not Token.is_unresolved(prefix) else 512) + 1
    )
    return patterns.Watched({"prefix": secret_arn_by_name(stack, f"{prefix}/")}, {"prefix": longest})


def _publish_statement(topic: sns.ITopic, rule_arns: list[str]) -> iam.PolicyStatement:
    return iam.PolicyStatement(
        sid="OnlyThisRulePublishes",
        principals=[iam.ServicePrincipal("events.amazonaws.com")],
        actions=["sns:Publish"],
        resources=[topic.topic_arn],
        conditions={"ArnEquals": {"aws:SourceArn": rule_arns}},
    )


def _key_statement(scope: Construct, rule_arns: list[str]) -> iam.PolicyStatement:
    """EventBridge may encrypt what it publishes to the topic, for these rules of this account only."""
    return iam.PolicyStatement(
        sid="EventBridgeEncryptsRotationAlerts",
        principals=[iam.ServicePrincipal("events.amazonaws.com")],
        actions=["kms:Decrypt", "kms:GenerateDataKey"],
        resources=["*"],
        conditions={
            "ArnEquals": {"aws:SourceArn": rule_arns},
            "StringEquals": {"aws:SourceAccount": Stack.of(scope).account},
        },
    )


def _allow_rules_on_key(scope: Construct, key: kms.IKey, rule_arns: list[str]) -> None:
    added = key.add_to_resource_policy(_key_statement(scope, rule_arns))
    if not added.statement_added:
        Annotations.of(scope).add_warning_v2(
            "ddsecrets-constructs:alertsKeyPolicy",
            "The topic's KMS key is not managed by this app: its key policy must allow events.amazonaws.com "
            "kms:Decrypt and kms:GenerateDataKey with aws:SourceArn = the alert rules' ARNs and aws:SourceAccount = "
            "this account, or EventBridge cannot deliver the alerts.",
        )


def _allow_rules_on_existing_topic(scope: Construct, topic: sns.ITopic, rule_arns: list[str]) -> None:
    """An existing topic may have other publishers: allow these rules, deny nobody."""
    added = topic.add_to_resource_policy(_publish_statement(topic, rule_arns))
    if not added.statement_added:
        Annotations.of(scope).add_warning_v2(
            "ddsecrets-constructs:alertsTopicPolicy",
            "The topic is not managed by this app: its topic policy must allow events.amazonaws.com sns:Publish "
            "with aws:SourceArn = the alert rules' ARNs, and an encrypted topic's KMS key policy must allow "
            "events.amazonaws.com kms:Decrypt and kms:GenerateDataKey, or EventBridge cannot deliver the alerts.",
        )
        return
    if isinstance(topic, sns.Topic) and topic.master_key is not None:
        _allow_rules_on_key(scope, topic.master_key, rule_arns)


@jsii.implements(events.IRuleTarget)
class _TopicTarget:
    """The topic as a rule target; its policies are set once for every rule (see above), not per bind."""

    def __init__(self, topic: sns.ITopic) -> None:
        self._topic = topic

    def bind(self, rule: IRuleRef, id: Optional[str] = None) -> events.RuleTargetConfig:
        return events.RuleTargetConfig(arn=self._topic.topic_arn)
