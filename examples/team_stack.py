"""A team layout: one admin family, several named keys, explicit schedules, and a consumer.

The Datadog Agent runs as an ECS Fargate task and reads its API key from the ``apiKey`` JSON
field of the ``agent`` secret; its execution role may read that one secret and nothing else.
"""

from __future__ import annotations

from typing import Any

from aws_cdk import Acknowledgment, Duration, Stack, Validations
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from constructs import Construct

from ddsecrets_constructs import (
    ApiKeySpec,
    ApplicationKeySpec,
    DatadogKeyKind,
    DatadogKeyParameter,
    DatadogManagedSecrets,
    DatadogSite,
    KeyRotation,
)
from examples import inputs

APPLICATION_KEYS = ("ci", "dashboards")
API_KEYS = ("agent", "ci")


class TeamStack(Stack):
    """The SRE team's Datadog keys, with the Agent as a consumer."""

    def __init__(self, scope: Construct, construct_id: str, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, description="A team's Datadog keys rotated by Secrets Manager", **kwargs)
        key = kms.Key(self, "SecretsKey", enable_key_rotation=True, description="Encrypts the Datadog secrets and logs")

        self.datadog = DatadogManagedSecrets(
            self,
            "Datadog",
            site=DatadogSite.EU1,
            service_account_id=inputs.uuid(self, "ServiceAccountId", "Datadog service account id"),
            admin_api_key=DatadogKeyParameter(self, "AdminApiKey", kind=DatadogKeyKind.ADMIN_API_KEY).secret_value,
            admin_api_key_id=inputs.uuid(self, "AdminApiKeyId", "Admin API key id"),
            admin_app_key=DatadogKeyParameter(
                self, "AdminAppKey", kind=DatadogKeyKind.ADMIN_APPLICATION_KEY
            ).secret_value,
            admin_app_key_id=inputs.uuid(self, "AdminAppKeyId", "Admin application key id"),
            application_keys={
                name: ApplicationKeySpec(
                    app_key=DatadogKeyParameter(
                        self, f"{name.title()}AppKey", kind=DatadogKeyKind.APPLICATION_KEY, description=f"Key '{name}'"
                    ).secret_value,
                    app_key_id=inputs.uuid(self, f"{name.title()}AppKeyId", f"Application key id '{name}'"),
                )
                for name in APPLICATION_KEYS
            },
            api_keys={
                name: ApiKeySpec(
                    api_key=DatadogKeyParameter(
                        self, f"{name.title()}ApiKey", kind=DatadogKeyKind.API_KEY, description=f"Key '{name}'"
                    ).secret_value,
                    api_key_id=inputs.uuid(self, f"{name.title()}ApiKeyId", f"API key id '{name}'"),
                )
                for name in API_KEYS
            },
            # Admin: first Sunday of the month, 03:00-05:00 UTC. Keys: second Tuesday, 09:00-12:00 UTC.
            admin_rotation=KeyRotation.cron(hour="3", week_day="1#1", window=Duration.hours(2)),
            key_rotation=KeyRotation.cron(hour="9", week_day="3#2", window=Duration.hours(3)),
            encryption_key=key,
            secret_name_prefix="datadog/sre",
            datadog_organization=inputs.DATADOG_ORGANIZATION,
        )
        inputs.checked_by_parameters(self.datadog)
        # Failed or abandoned rotations of any family secret go to an encrypted SNS topic; subscribe
        # the team to it (e.g. alerts.topic.add_subscription(EmailSubscription("sre@example.com"))).
        self.alerts = self.datadog.add_rotation_alerts()
        self.agent = self._agent_task(key)

    def _agent_task(self, key: kms.Key) -> ecs.FargateTaskDefinition:
        task = ecs.FargateTaskDefinition(self, "AgentTask", cpu=256, memory_limit_mib=512)
        key.grant_encrypt_decrypt(iam.ServicePrincipal(f"logs.{self.region}.amazonaws.com"))
        log_group = logs.LogGroup(self, "AgentLogs", retention=logs.RetentionDays.ONE_YEAR, encryption_key=key)
        task.add_container(
            "agent",
            image=ecs.ContainerImage.from_registry("public.ecr.aws/datadog/agent:7"),
            # The Agent reads DD_API_KEY; ECS takes it from the secret's "apiKey" JSON field at task
            # start, so a rotated key reaches new tasks (API keys stay valid one more rotation).
            secrets={"DD_API_KEY": self.datadog.api_key("agent").ecs_secret()},
            # The keys are valid on their own site only; untold, the Agent sends to datadoghq.com.
            environment={"DD_SITE": self.datadog.api_key("agent").site.value},
            logging=ecs.LogDrivers.aws_logs(stream_prefix="agent", log_group=log_group),
        )
        Validations.of(task).acknowledge(Acknowledgment(id="AwsSolutions-ECS2", reason=inputs.SITE_IN_ENVIRONMENT))
        execution_policy = task.obtain_execution_role().node.find_child("DefaultPolicy")
        for rule in (
            "HIPAA.Security-IAMNoInlinePolicy",
            "NIST.800.53.R5-IAMNoInlinePolicy",
            "PCI.DSS.321-IAMNoInlinePolicy",
        ):
            Validations.of(execution_policy).acknowledge(
                Acknowledgment(
                    id=rule,
                    reason="CDK writes ECS's secret and log grants to the execution role's default policy; "
                    "it allows reading the agent's API key secret and writing its log group only.",
                )
            )
        return task
