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

from aws_cdk import Acknowledgment, CfnElement, Stack, Validations
from aws_cdk import aws_codebuild as codebuild
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from constructs import Construct, IConstruct

from ddsecrets_constructs import DatadogManagedSecrets
from examples import inputs

CI_PROJECT = "search-ci"
"""The CodeBuild project (created by this stack) that may assume the CI role."""


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
            # The keys are valid on their own site only; untold, the Agent sends to datadoghq.com.
            environment={"DD_SITE": keys.api_key("agent").site.value},
            logging=ecs.LogDrivers.aws_logs(stream_prefix="agent", log_group=log_group),
        )
        Validations.of(self.agent).acknowledge(
            Acknowledgment(id="AwsSolutions-ECS2", reason=inputs.SITE_IN_ENVIRONMENT)
        )
        # CI jobs (CodeBuild) read the "appKey" field at run time: the application key dies at rotation.
        # Trusted by one CodeBuild project of this account, not by every project: whoever may pass
        # this role could otherwise start a project of their own with it and read the key
        # (CodeBuild's documented confused-deputy conditions). This stack creates that project, so
        # the deploy claims its name: if another project of that name exists, the deploy fails.
        # The condition names the project by its name (format_arn): project.project_arn would make
        # the role's trust depend on the project, which depends on the role (a cycle).
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
        ci_key = keys.application_key("ci")
        ci_key.grant_read(self.ci_role)  # the library's grant_read, not .secret.grant_read
        self.ci_project = codebuild.Project(
            self,
            "CiProject",
            project_name=CI_PROJECT,
            role=self.ci_role,
            description="The search team's CI: reads the ci application key at run time",
            # No source repository (so no source credentials), no artifacts, no cache: the build
            # spec is inline. A real pipeline gives its source here.
            build_spec=codebuild.BuildSpec.from_object(
                {
                    "version": "0.2",
                    "env": {
                        # CodeBuild reads the "appKey" field with the project's role when the build
                        # starts (the grant above); the buildspec's own reference adds no grant.
                        "secrets-manager": {"DD_APP_KEY": f"{ci_key.secret_arn}:{ci_key.KEY_FIELD}"},
                        # The key is valid on its own site only (the Datadog API's host).
                        "variables": {"DD_SITE": ci_key.site.value},
                    },
                    "phases": {
                        "build": {
                            "commands": ['test -n "$DD_APP_KEY" && echo "DD_APP_KEY is set (CodeBuild masks it)"']
                        }
                    },
                }
            ),
            environment=codebuild.BuildEnvironment(
                build_image=codebuild.LinuxBuildImage.STANDARD_7_0, compute_type=codebuild.ComputeType.SMALL
            ),
            # The L2 would otherwise let the role create and write report groups `search-ci-*`.
            grant_report_group_permissions=False,
        )
        _acknowledge_inline_policy(
            self.agent.obtain_execution_role().node.find_child("DefaultPolicy"),
            "CDK writes ECS's secret and log grants to the execution role's default policy; it allows "
            "reading the agent's API key secret (and decrypting it through Secrets Manager) and writing its log group.",
        )
        ci_policy = self.ci_role.node.find_child("DefaultPolicy")
        _acknowledge_inline_policy(
            ci_policy,
            "grant_read and CodeBuild write to the role's default policy; it allows reading the ci application "
            "key secret and decrypting it through Secrets Manager, and writing the project's own log group.",
        )
        Validations.of(ci_policy).acknowledge(
            Acknowledgment(
                id="AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:"
                f"log-group:/aws/codebuild/<{self.get_logical_id(_cfn(self.ci_project))}>:*]",
                reason="CodeBuild's grant for its logs: the log streams of this project's own log group "
                "(/aws/codebuild/search-ci), named by the build; no other log group.",
            )
        )
        no_source = (
            "The project has no source (NO_SOURCE, inline build spec): no repository URL and no source credentials."
        )
        for rule in ("HIPAA.Security-CodeBuildProjectSourceRepoUrl", "PCI.DSS.321-CodeBuildProjectSourceRepoUrl"):
            Validations.of(_cfn(self.ci_project)).acknowledge(Acknowledgment(id=rule, reason=no_source))
        Validations.of(_cfn(self.ci_project)).acknowledge(
            Acknowledgment(
                id="AwsSolutions-CB4",
                reason="The project's key encrypts build artifacts, and it has none (NO_ARTIFACTS, NO_CACHE, no "
                "source); a customer-managed key would only add kms permissions to the role that reads the key.",
            )
        )


def _cfn(construct: IConstruct) -> CfnElement:
    resource = construct.node.default_child
    assert isinstance(resource, CfnElement)
    return resource


def _acknowledge_inline_policy(policy: IConstruct, reason: str) -> None:
    for rule in (
        "HIPAA.Security-IAMNoInlinePolicy",
        "NIST.800.53.R5-IAMNoInlinePolicy",
        "PCI.DSS.321-IAMNoInlinePolicy",
    ):
        Validations.of(policy).acknowledge(Acknowledgment(id=rule, reason=reason))
