"""AWS peers on 127.0.0.1 for the ``guard``, ``protect`` and ``status`` tests, driven by the real boto3.

- moto's server (``ThreadedMotoServer``, moto 5.2.5) serves CloudFormation ``CreateStack``,
  ``UpdateStack``, ``GetTemplate``, ``DescribeStacks``, ``ListStackResources``, ``SetStackPolicy``,
  ``GetStackPolicy``, SSM, and Secrets Manager ``DescribeSecret``, ``ListSecretVersionIds``,
  ``PutSecretValue``.
- moto's CloudFormation skips ``AWS::SecretsManager::Secret`` and ``RotationSchedule`` (and reports
  success). The two small models below fill that gap inside the same server: they create the
  secret through moto's own Secrets Manager backend, so ``ListStackResources`` returns its ARN and
  the schedule turns rotation on. They model only what the tests read (no ``Type``, no real rotation).
- moto does not implement CloudTrail ``LookupEvents``: :class:`FakeCloudTrail` answers it (JSON 1.1
  protocol, as AWS does) with the events a test gives it.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from http.server import BaseHTTPRequestHandler
from typing import Any

from moto.cloudformation import parsing as moto_parsing
from moto.core.common_models import CloudFormationModel
from moto.secretsmanager.models import FakeSecret, secretsmanager_backends
from moto.server import ThreadedMotoServer

from tests.local_server import LocalServer

ACCOUNT = "123456789012"  # moto's default account
REGION = "eu-west-1"
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": REGION}


class _SecretInMoto(CloudFormationModel):
    def __init__(self, arn: str) -> None:
        self.arn = arn

    @property
    def physical_resource_id(self) -> str:
        return self.arn  # a secret's Ref (and physical id) is its ARN

    @staticmethod
    def cloudformation_name_type() -> str:
        return "Name"

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::SecretsManager::Secret"

    @classmethod
    def create_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str, **kwargs: Any
    ) -> _SecretInMoto:
        properties = cloudformation_json.get("Properties", {})
        backend = secretsmanager_backends[account_id][region_name]
        backend.create_secret(
            name=resource_name,
            secret_string=properties.get("SecretString"),
            secret_binary=None,
            description=properties.get("Description"),
            tags=[],
            kms_key_id=None,
            client_request_token=None,
            replica_regions=[],
            force_overwrite=False,
        )
        return cls(backend.describe_secret(resource_name).arn)


class _RotationScheduleInMoto(CloudFormationModel):
    def __init__(self, secret_arn: str) -> None:
        self.secret_arn = secret_arn

    @property
    def physical_resource_id(self) -> str:
        return self.secret_arn

    @staticmethod
    def cloudformation_name_type() -> str:
        return ""

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::SecretsManager::RotationSchedule"

    @classmethod
    def create_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str, **kwargs: Any
    ) -> _RotationScheduleInMoto:
        secret_arn = cloudformation_json["Properties"]["SecretId"]
        secret = secretsmanager_backends[account_id][region_name].describe_secret(secret_arn)
        assert isinstance(secret, FakeSecret)
        secret.rotation_requested = secret.rotation_enabled = True
        secret.next_rotation_date = int(time.time()) + 3 * 86400
        if cloudformation_json["Properties"].get("RotateImmediatelyOnUpdate", True):
            secret.last_rotation_date = int(time.time())
        return cls(secret_arn)


moto_parsing.get_model_map.cache_clear()  # pick up the two models above


class MotoServer:
    def __init__(self) -> None:
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)

    def start(self) -> MotoServer:
        self._server.start()
        return self

    @property
    def url(self) -> str:
        host, port = self._server.get_host_and_port()
        return f"http://{host}:{port}"

    def stop(self) -> None:
        self._server.stop()


class FakeCloudTrail(LocalServer):
    """CloudTrail ``LookupEvents`` (one ``EventName`` attribute, ``StartTime``, pagination by 50)."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self.calls = 0
        self.requests: list[dict[str, Any]] = []  # the LookupEvents request bodies, in order
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])) or b"{}")
                owner.calls += 1
                owner.requests.append(body)
                if not self.headers.get("X-Amz-Target", "").endswith(".LookupEvents"):
                    self._send(400, {"__type": "UnknownOperationException"})
                    return
                self._send(200, owner.answer(body))

            def _send(self, status: int, document: Any) -> None:
                data = json.dumps(document).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/x-amz-json-1.1")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        super().__init__(Handler)

    def answer(self, request: dict[str, Any]) -> dict[str, Any]:
        (attribute,) = request.get("LookupAttributes", [])
        assert attribute["AttributeKey"] == "EventName"
        since = request.get("StartTime", 0)
        matching = [
            e
            for e in sorted(self.events, key=lambda e: e["EventTime"], reverse=True)
            if e["EventName"] == attribute["AttributeValue"] and e["EventTime"] >= since
        ]
        start = int(request.get("NextToken", "0"))
        page = matching[start : start + min(int(request.get("MaxResults", 50)), 50)]
        answer: dict[str, Any] = {"Events": page}
        if start + len(page) < len(matching):
            answer["NextToken"] = str(start + len(page))
        return answer

    def add(
        self, name: str, secret_arn: str, when: dt.datetime, *, path: str = "additionalEventData", error: str = ""
    ) -> None:
        """A rotation service event shaped as AWS's public samples (reference section 8)."""
        detail: dict[str, Any] = {
            "eventVersion": "1.11",
            "userIdentity": {"accountId": ACCOUNT, "invokedBy": "secretsmanager.amazonaws.com"},
            "eventTime": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "eventSource": "secretsmanager.amazonaws.com",
            "eventName": name,
            "awsRegion": REGION,
            "requestParameters": None,
            "responseElements": None,
            "eventType": "AwsServiceEvent",
            "recipientAccountId": ACCOUNT,
        }
        if path == "additionalEventData":
            detail["additionalEventData"] = {"SecretId": secret_arn}
        else:
            detail["serviceEventDetails"] = {"secretId": secret_arn}
        if error:
            detail["errorCode"] = "RotationFailed"
            detail["errorMessage"] = error
        self.events.append(
            {
                "EventId": f"{len(self.events):08d}-0000-4000-8000-000000000000",
                "EventName": name,
                "EventTime": when.timestamp(),
                "EventSource": "secretsmanager.amazonaws.com",
                "Resources": [],
                "CloudTrailEvent": json.dumps(detail),
            }
        )

    def start(self) -> FakeCloudTrail:
        super().start()
        return self


def deploy(url: str, stack: str, template: dict[str, Any], parameters: dict[str, str], *, update: bool = False) -> None:
    """CreateStack (or UpdateStack) on moto with the template from cdk.out, as cdk deploy would."""
    import boto3

    cloudformation = boto3.client("cloudformation", endpoint_url=url, region_name=REGION)
    boto3.client("ssm", endpoint_url=url, region_name=REGION).put_parameter(
        Name="/cdk-bootstrap/hnb659fds/version", Value="30", Type="String", Overwrite=True
    )  # what `cdk bootstrap` leaves; the template's BootstrapVersion parameter reads it
    call = cloudformation.update_stack if update else cloudformation.create_stack
    call(
        StackName=stack,
        TemplateBody=json.dumps(template),
        Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items()],
        Capabilities=["CAPABILITY_IAM"],
    )


def secret_arns(url: str, stack: str) -> dict[str, str]:
    import boto3

    cloudformation = boto3.client("cloudformation", endpoint_url=url, region_name=REGION)
    return {
        r["LogicalResourceId"]: r["PhysicalResourceId"]
        for r in cloudformation.list_stack_resources(StackName=stack)["StackResourceSummaries"]
        if r.get("ResourceType") == "AWS::SecretsManager::Secret"
    }


def utc(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)
