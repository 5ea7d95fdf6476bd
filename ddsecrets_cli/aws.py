"""boto3 clients and the CloudFormation reads that guard, protect and status share.

Credentials, region and endpoints come from the usual AWS configuration (profiles, environment,
``AWS_ENDPOINT_URL`` / ``AWS_ENDPOINT_URL_<SERVICE>`` for an emulator); ``--profile`` and ``--region``
override the first two.
"""

from __future__ import annotations

import argparse
import json
from typing import Any, Optional

from ddsecrets_cli.assembly import StackTemplate, find_stack_if_synthesized, parse
from ddsecrets_cli.report import Progress, UsageError


class Aws:
    @classmethod
    def for_stack(
        cls,
        profile: Optional[str],
        region: Optional[str],
        progress: Progress,
        *,
        stack_name: str,
        stack_region: Optional[str],
        stack_account: Optional[str],
    ) -> Aws:
        """Clients for the account and region ``cdk deploy`` sends the stack to (from ``cdk.out``):
        its region unless ``region`` (``--region``) says otherwise, and credentials of its account.
        Asked with another account's credentials, CloudFormation would answer for a stack of that
        account (or none: "not deployed yet"), not for the one the deploy changes."""
        aws = cls(profile, region or stack_region, progress)
        if stack_account is not None:
            caller = aws.call("sts", "get_caller_identity")["Account"]
            if caller != stack_account:
                raise UsageError(
                    f"stack {stack_name} deploys to account {stack_account} (cdk.out), but the AWS credentials "
                    f"are of account {caller}: use credentials of account {stack_account} (--profile)"
                )
        return aws

    def __init__(self, profile: Optional[str], region: Optional[str], progress: Progress) -> None:
        import boto3
        from botocore.config import Config

        self._session = boto3.Session(profile_name=profile, region_name=region)
        # Bounded, like the Datadog calls: a few retries, then a clear failure.
        self._config = Config(retries={"max_attempts": 3, "mode": "standard"}, connect_timeout=10, read_timeout=30)
        self._clients: dict[str, Any] = {}
        self.progress = progress

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
    aws = Aws.for_stack(
        args.profile,
        args.region,
        progress,
        stack_name=found.name,
        stack_region=found.region,
        stack_account=found.account,
    )
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
