"""Children of an admin secret made elsewhere (another stack, or the console), named by full ARN."""

from __future__ import annotations

from typing import Any

from aws_cdk import Duration, Stack
from aws_cdk import aws_kms as kms
from constructs import Construct

from ddsecrets_constructs import (
    DatadogAdminKeySecret,
    DatadogApiKeySecret,
    DatadogApplicationKeySecret,
    DatadogKeyKind,
    DatadogKeyParameter,
    DatadogRotationRole,
    KeyRotation,
)
from examples import inputs


class ImportedAdminStack(Stack):
    """An application key and an API key rotated with an existing admin secret."""

    def __init__(self, scope: Construct, construct_id: str, **kwargs: Any) -> None:
        super().__init__(
            scope, construct_id, description="Datadog keys rotated with an existing admin secret", **kwargs
        )
        admin = DatadogAdminKeySecret.from_admin_secret_attributes(
            self,
            "Admin",
            secret_complete_arn=inputs.secret_arn(
                self, "DatadogAdminArn", "Complete ARN of the DatadogAdminKey secret"
            ),
            service_account_id=inputs.uuid(self, "ServiceAccountId", "Service account owning the admin key"),
            # The admin's schedule as configured where it was made: the children's windows are
            # checked against it (without it, the check is skipped with a warning).
            rotation=KeyRotation.cron(hour="2", day="15", window=Duration.hours(2)),
            datadog_organization=inputs.DATADOG_ORGANIZATION,
        )
        key = kms.Key(self, "SecretsKey", enable_key_rotation=True, description="Encrypts the Datadog secrets")
        role = DatadogRotationRole(self, "RotationRole")
        application_key = DatadogApplicationKeySecret(
            self,
            "DatadogApplicationKey",
            admin=admin,
            app_key=DatadogKeyParameter(self, "AppKey", kind=DatadogKeyKind.APPLICATION_KEY).secret_value,
            app_key_id=inputs.uuid(self, "AppKeyId", "Application key id"),
            rotation_role=role,
            encryption_key=key,
        )
        api_key = DatadogApiKeySecret(
            self,
            "DatadogApiKey",
            admin=admin,
            api_key=DatadogKeyParameter(self, "ApiKey", kind=DatadogKeyKind.API_KEY).secret_value,
            api_key_id=inputs.uuid(self, "ApiKeyId", "API key id"),
            rotation_role=role,
            encryption_key=key,
        )
        inputs.checked_by_parameters(admin, application_key, api_key)
        self.admin, self.application_key, self.api_key = admin, application_key, api_key
