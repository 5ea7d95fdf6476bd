"""Consumers in a stack of their own: the search team's Datadog Agent and CI role.

The keys live in ``DatadogSearchKeysStack``, encrypted with that stack's customer-managed KMS key.
The library's grants put ``kms:Decrypt`` (through Secrets Manager, for that one secret) in each
consumer's own policy here, so the keys stack's key policy names no role of this stack: CDK's own
``secret.grant_read`` would, and the two stacks would then depend on each other (``DependencyCycle``).
CDK passes the secrets' and the key's ARNs as exports of the keys stack: deploy it first, destroy
this stack first. No key parameter, no rotation schedule: nothing here re-seeds a secret.
"""

from __future__ import annotations

from typing import Any

from aws_cdk import Acknowledgment, Stack, Validations
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from constructs import Construct, IConstruct

from ddsecrets_constructs import DatadogManagedSecrets

CI_PROJECT = "search-ci"
"""The CodeBuild project (made by the team's CI stack) that may assume the CI role."""


class AgentStack(Stack):
    """The Agent reads the ``agent`` API key; the CI role reads the ``ci`` application key."""

    def __init__(self, scope: Construct, construct_id: str, *, keys: DatadogManagedSecrets, **kwargs: Any) -> None:
        super().__init__(
            scope, construct_id, description="The Datadog Agent and CI of a team, in their own stack", **kwargs
        )
        # The keys stack's key cannot be given to the logs service from here (its key policy would
        # name this stack): the logs get a key of their own.
        logs_key = kms.Key(self, "LogsKey", enable_key_rotation=True, description="Encrypts the Agent's logs")
        logs_key.grant_encrypt_decrypt(iam.ServicePrincipal(f"logs.{self.region}.amazonaws.com"))
        log_group = logs.LogGroup(self, "AgentLogs", retention=logs.RetentionDays.ONE_YEAR, encryption_key=logs_key)

        self.agent = ecs.FargateTaskDefinition(self, "AgentTask", cpu=256, memory_limit_mib=512)
        self.agent.add_container(
            "agent",
            image=ecs.ContainerImage.from_registry("public.ecr.aws/datadog/agent:7"),
            # task_definition=: the secret is in another stack, so the grant goes to this task's
            # execution role (ECS reads the "apiKey" field with it at task start).
            secrets={"DD_API_KEY": keys.api_key("agent").ecs_secret(task_definition=self.agent)},
            logging=ecs.LogDrivers.aws_logs(stream_prefix="agent", log_group=log_group),
        )
        # CI jobs (CodeBuild) read the "appKey" field at run time: the application key dies at rotation.
        # Trusted by one CodeBuild project of this account, not by every project: whoever may pass
        # this role could otherwise start a project of their own with it and read the key
        # (CodeBuild's documented confused-deputy conditions). The project is the team's CI.
        self.ci_project_arn = self.format_arn(service="codebuild", resource="project", resource_name=CI_PROJECT)
        self.ci_role = iam.Role(
            self,
            "CiRole",
            assumed_by=iam.ServicePrincipal(
                "codebuild.amazonaws.com",
                conditions={
                    "StringEquals": {"aws:SourceAccount": self.account},
                    "ArnEquals": {"aws:SourceArn": self.ci_project_arn},
                },
            ),
        )
        keys.application_key("ci").grant_read(self.ci_role)  # the library's grant_read, not .secret.grant_read

        _acknowledge_inline_policy(
            self.agent.obtain_execution_role().node.find_child("DefaultPolicy"),
            "CDK writes ECS's secret and log grants to the execution role's default policy; it allows "
            "reading the agent's API key secret (and decrypting it through Secrets Manager) and writing its log group.",
        )
        _acknowledge_inline_policy(
            self.ci_role.node.find_child("DefaultPolicy"),
            "grant_read writes to the role's default policy; it allows reading the ci application key "
            "secret and decrypting it through Secrets Manager, nothing else.",
        )


def _acknowledge_inline_policy(policy: IConstruct, reason: str) -> None:
    for rule in (
        "HIPAA.Security-IAMNoInlinePolicy",
        "NIST.800.53.R5-IAMNoInlinePolicy",
        "PCI.DSS.321-IAMNoInlinePolicy",
    ):
        Validations.of(policy).acknowledge(Acknowledgment(id=rule, reason=reason))
