"""The seed article's setup: one service account, one admin key, one application key, one API key.

A customer-managed KMS key encrypts the three secrets. Unlike the article's single role (which could
not read the admin secret), the admin rotates with a role of its own and the two keys share one
that may only read the admin secret, each scoped by exact secret ARN.
Default schedules: the admin on the 15th, the keys on the 1st of each month.
"""

from __future__ import annotations

from typing import Any

from aws_cdk import Stack
from aws_cdk import aws_kms as kms
from constructs import Construct

from ddsecrets_constructs import (
    DatadogAdminKeySecret,
    DatadogApiKeySecret,
    DatadogApplicationKeySecret,
    DatadogKeyKind,
    DatadogKeyParameter,
    DatadogRotationRole,
    DatadogSite,
)
from examples import inputs


class SeedStack(Stack):
    """Admin key, application key and API key of one Datadog service account."""

    def __init__(self, scope: Construct, construct_id: str, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, description="Datadog keys rotated by Secrets Manager", **kwargs)
        service_account_id = inputs.uuid(self, "ServiceAccountId", "Datadog service account id (UUID)")

        key = kms.Key(self, "SecretsKey", enable_key_rotation=True, description="Encrypts the Datadog secrets")
        role = DatadogRotationRole(self, "RotationRole")  # the keys' role: it may only read the admin secret
        admin = DatadogAdminKeySecret(
            self,
            "DatadogAdminKey",
            site=DatadogSite.US1,
            service_account_id=service_account_id,
            admin_api_key=DatadogKeyParameter(self, "AdminApiKey", kind=DatadogKeyKind.ADMIN_API_KEY).secret_value,
            admin_api_key_id=inputs.uuid(self, "AdminApiKeyId", "Admin API key id"),
            admin_app_key=DatadogKeyParameter(
                self, "AdminAppKey", kind=DatadogKeyKind.ADMIN_APPLICATION_KEY
            ).secret_value,
            admin_app_key_id=inputs.uuid(self, "AdminAppKeyId", "Admin application key id"),
            encryption_key=key,  # the admin rotates with a role of its own (DatadogAdminKey/RotationRole)
            datadog_organization=inputs.DATADOG_ORGANIZATION,
        )
        application_key = DatadogApplicationKeySecret(
            self,
            "DatadogApplicationKey",
            admin=admin,  # service_account_id defaults to the admin's: they cannot differ
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
