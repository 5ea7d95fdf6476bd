"""boto3 clients and the CloudFormation reads that guard, protect and status share.

Credentials, region and endpoints come from the usual AWS configuration (profiles, environment,
``AWS_ENDPOINT_URL`` / ``AWS_ENDPOINT_URL_<SERVICE>`` for an emulator); ``--profile`` and ``--region``
override the first two.
"""

from __future__ import annotations

import argparse
import json
from typing import Any, Optional

from ddsecrets_cli.assembly import StackArtifact, StackTemplate, find_stack_if_synthesized, parse
from ddsecrets_cli.report import Progress, UsageError


class Aws:
    _session: Any
    _clients: dict[str, Any]
    progress: Progress

    @classmethod
    def for_stack(
        cls,
        profile: Optional[str],
        region: Optional[str],
        progress: Progress,
        stack: StackTemplate | StackArtifact,
    ) -> Aws:
        """Clients for the account and region ``cdk deploy`` sends the stack to (from ``cdk.out``).
        Asked elsewhere, CloudFormation would answer for another stack of that name, or for none
        ("not deployed yet": guard would pass), so a ``--region`` other than the stack's is refused,
        and credentials of another account than the stack's are used, as ``cdk deploy`` uses them,
        to assume the stack's deploy role (``assumeRoleArn`` in ``cdk.out``); without one, or if
        the role then is of another account, they are refused."""
        stack_name, stack_region, stack_account = stack.name, stack.region, stack.account
        deploy_role = stack.deploy_role
        if region is not None and stack_region is not None and region != stack_region:
            raise UsageError(
                f"--region {region}: stack {stack_name} deploys to {stack_region} (cdk.out), where cdk deploy "
                "sends it; leave --region out"
            )
        aws = cls(profile, region or stack_region, progress)
        if stack_account is None:
            return aws
        identity = aws.call("sts", "get_caller_identity")
        if identity["Account"] != stack_account and deploy_role is not None:
            partition = str(identity.get("Arn", "arn:aws:")).split(":")[1] or "aws"
            aws.assume(deploy_role.arn.replace("${AWS::Partition}", partition), deploy_role.external_id)
            identity = aws.call("sts", "get_caller_identity")
        if identity["Account"] != stack_account:
            raise UsageError(
                f"stack {stack_name} deploys to account {stack_account} (cdk.out), but the AWS credentials are of "
                f"account {identity['Account']}"
                + ("" if deploy_role is None else " (after assuming the stack's deploy role)")
                + f": use credentials of account {stack_account} (--profile)"
            )
        return aws

    def assume(self, role_arn: str, external_id: Optional[str]) -> None:
        """Go on with the credentials of ``role_arn`` (``sts:AssumeRole``, as ``cdk deploy`` does)."""
        import boto3

        self.progress.step(f"AWS: sts AssumeRole {role_arn}")
        credentials = self.call(
            "sts",
            "assume_role",
            RoleArn=role_arn,
            RoleSessionName="ddsecrets",
            **({"ExternalId": external_id} if external_id else {}),
        )["Credentials"]
        self._session = boto3.Session(
            aws_access_key_id=credentials["AccessKeyId"],
            aws_secret_access_key=credentials["SecretAccessKey"],
            aws_session_token=credentials["SessionToken"],
            region_name=self._session.region_name,
        )
        self._clients.clear()

    def __init__(self, profile: Optional[str], region: Optional[str], progress: Progress) -> None:
        import boto3
        from botocore.config import Config

        self._session = boto3.Session(profile_name=profile, region_name=region)
        # Bounded, like the Datadog calls: a few retries, then a clear failure.
        self._config = Config(retries={"max_attempts": 3, "mode": "standard"}, connect_timeout=10, read_timeout=30)
        self._clients = {}
        self.progress = progress

    def where(self, stack_name: str) -> dict[str, object]:
        """What the report says about the stack it read: its CloudFormation name and region."""
        return {"cloudformation": {"stackName": stack_name, "region": self._session.region_name}}

    def client(self, service: str) -> Any:
        if service not in self._clients:
            self._clients[service] = self._session.client(service, config=self._config)
        return self._clients[service]

    def call(self, service: str, operation: str, **kwargs: Any) -> Any:
        """One API call, announced on the progress line; a missing stack becomes a usage error."""
        from botocore.exceptions import BotoCoreError, ClientError

        target = kwargs.get("StackName") or kwargs.get("SecretId") or ""
        self.progress.step(f"AWS: {service} {_pascal(operation)} {target}".rstrip())
        try:
            return getattr(self.client(service), operation)(**kwargs)
        except ClientError as error:
            message = error.response.get("Error", {}).get("Message", "")
            if service == "cloudformation" and "does not exist" in message:
                raise StackMissingError(message) from error
            code = error.response.get("Error", {}).get("Code", "") or "error"
            raise AwsCallError(f"AWS {service} {_pascal(operation)}: {code}: {message}", code) from error
        except BotoCoreError as error:
            raise UsageError(f"AWS {service} {_pascal(operation)}: {error}") from error

    def deployed_template(self, stack_name: str) -> StackTemplate:
        """The template CloudFormation holds for the stack (``GetTemplate``, stage ``Original``)."""
        body = self.call("cloudformation", "get_template", StackName=stack_name, TemplateStage="Original")[
            "TemplateBody"
        ]
        if isinstance(body, str):
            try:
                body = json.loads(body)
            except json.JSONDecodeError as error:
                raise UsageError(f"the deployed template of {stack_name} is not JSON (YAML is not read)") from error
        return parse(stack_name, dict(body))

    def deployed_template_or_usage_error(self, stack_name: str) -> StackTemplate:
        """The deployed template, or a usage error when the stack does not exist or has no Datadog secret."""
        try:
            deployed = self.deployed_template(stack_name)
        except StackMissingError as error:
            raise UsageError(f"stack {stack_name} is not deployed: {error}") from error
        if not deployed.secrets:
            raise UsageError(f"stack {stack_name} has no Datadog secret")
        return deployed

    def deployed_parameters(self, stack_name: str) -> dict[str, str]:
        """Current parameter values (``NoEcho`` ones come back as ``****``)."""
        stacks = self.call("cloudformation", "describe_stacks", StackName=stack_name)["Stacks"]
        return {p["ParameterKey"]: p.get("ParameterValue", "") for p in stacks[0].get("Parameters", [])}

    def physical_ids(self, stack_name: str) -> dict[str, str]:
        """Logical id -> physical id of every resource of the stack (a secret's is its ARN)."""
        found: dict[str, str] = {}
        token: Optional[str] = None
        while True:
            page = self.call(
                "cloudformation",
                "list_stack_resources",
                StackName=stack_name,
                **({"NextToken": token} if token else {}),
            )
            for summary in page.get("StackResourceSummaries", []):
                if summary.get("LogicalResourceId") and summary.get("PhysicalResourceId"):
                    found[summary["LogicalResourceId"]] = summary["PhysicalResourceId"]
            token = page.get("NextToken")
            if not token:
                return found


def connect_to_stack(args: argparse.Namespace, progress: Progress) -> tuple[Aws, str]:
    """Clients and the CloudFormation name for ``status`` and ``protect``: when ``--cdk-out`` holds
    the stack ``--stack`` names (construct path or CloudFormation name), its name, region and
    account from there (:meth:`Aws.for_stack`); otherwise ``--stack`` is the CloudFormation name,
    asked in the usual AWS configuration's region."""
    found = find_stack_if_synthesized(args.cdk_out, args.stack)
    if found is None:
        return Aws(args.profile, args.region, progress), args.stack
    aws = Aws.for_stack(args.profile, args.region, progress, found)
    return aws, found.name


class StackMissingError(Exception):
    """CloudFormation says the stack does not exist."""


class AwsCallError(UsageError):
    """AWS refused a call (access denied, throttled after the retries, not found): the command
    cannot go on (exit 2). AWS's message names the call and the resource; it holds no key."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code


def _pascal(operation: str) -> str:
    return "".join(part.title() for part in operation.split("_"))
