"""One admin secret in a "security" stack; each team's keys in a stack of its own, rotated with it.

The security team owns the Datadog admin keys; the teams never see them. Each team stack holds a
``DatadogManagedSecrets`` family created with ``admin=`` (no admin props): its keys rotate with the
security stack's admin, through one keys role per team family that may only read the admin secret.
CDK passes the admin's ARN (and its KMS key's) from the security stack as stack exports, so deploy
the security stack first (``cdk deploy --all`` orders them).
"""

from __future__ import annotations

from typing import Any

from aws_cdk import Stack
from aws_cdk import aws_kms as kms
from constructs import Construct

from ddsecrets_constructs import (
    ApiKeySpec,
    ApplicationKeySpec,
    DatadogAdminKeySecret,
    DatadogKeyKind,
    DatadogKeyParameter,
    DatadogManagedSecrets,
    DatadogSite,
)
from examples import inputs


class SecurityStack(Stack):
    """The Datadog admin secret of this account and region, owned by the security team."""

    def __init__(self, scope: Construct, construct_id: str, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, description="The Datadog admin secret shared by the teams", **kwargs)
        key = kms.Key(self, "AdminKey", enable_key_rotation=True, description="Encrypts the Datadog admin secret")
        self.admin = DatadogAdminKeySecret(
            self,
            "DatadogAdmin",
            site=DatadogSite.EU1,
            service_account_id=inputs.uuid(self, "ServiceAccountId", "Datadog service account id"),
            admin_api_key=DatadogKeyParameter(self, "AdminApiKey", kind=DatadogKeyKind.ADMIN_API_KEY).secret_value,
            admin_api_key_id=inputs.uuid(self, "AdminApiKeyId", "Admin API key id"),
            admin_app_key=DatadogKeyParameter(
                self, "AdminAppKey", kind=DatadogKeyKind.ADMIN_APPLICATION_KEY
            ).secret_value,
            admin_app_key_id=inputs.uuid(self, "AdminAppKeyId", "Admin application key id"),
            encryption_key=key,
            secret_name="datadog/security/admin",
            datadog_organization=inputs.DATADOG_ORGANIZATION,
        )
        inputs.checked_by_parameters(self.admin)


class TeamKeysStack(Stack):
    """One team's Datadog keys, rotated with the security stack's admin secret."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        admin: DatadogAdminKeySecret,
        team: str,
        api_keys: tuple[str, ...] = ("agent",),
        application_keys: tuple[str, ...] = ("ci",),
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, description=f"Datadog keys of the {team} team", **kwargs)
        key = kms.Key(self, "SecretsKey", enable_key_rotation=True, description=f"Encrypts the {team} team's keys")
        self.datadog = DatadogManagedSecrets(
            self,
            "Datadog",
            admin=admin,  # instead of site, service account and admin keys: they stay in the security stack
            api_keys={
                name: ApiKeySpec(
                    api_key=DatadogKeyParameter(
                        self, f"{name.title()}ApiKey", kind=DatadogKeyKind.API_KEY, description=f"Key '{name}'"
                    ).secret_value,
                    api_key_id=inputs.uuid(self, f"{name.title()}ApiKeyId", f"API key id '{name}'"),
                )
                for name in api_keys
            },
            application_keys={
                name: ApplicationKeySpec(
                    app_key=DatadogKeyParameter(
                        self, f"{name.title()}AppKey", kind=DatadogKeyKind.APPLICATION_KEY, description=f"Key '{name}'"
                    ).secret_value,
                    app_key_id=inputs.uuid(self, f"{name.title()}AppKeyId", f"Application key id '{name}'"),
                )
                for name in application_keys
            },
            encryption_key=key,
            secret_name_prefix=f"datadog/{team}",
        )
        inputs.checked_by_parameters(self.datadog)
