"""DatadogKeyParameter: the safe way to hand a Datadog key to a stack at deploy time.

A CloudFormation parameter that is ``NoEcho`` (CloudFormation never shows its value), whose
``AllowedPattern`` is the key's exact format (CloudFormation refuses a bad paste, such as a
trailing newline, before it changes anything) and whose description says which Datadog page the
key is copied from. The secret constructs recognise it and skip nothing for it.
"""

from __future__ import annotations

import enum
from typing import Optional

from aws_cdk import CfnParameter, SecretValue, Stack
from constructs import Construct

from ._stack_facts import check_construct_id
from .key_material import API_KEY, APP_KEY, KeyFormat
from .validation import DdSecretsValidationError, Problems, describe, is_unresolved

_DESCRIPTION_LIMIT = 4000  # CloudFormation's limit for a parameter description
_ADMIN_SCOPES = "api_keys_write, api_keys_delete, org_app_keys_read, org_app_keys_write, service_account_write"


class DatadogKeyKind(enum.Enum):
    """Which Datadog key a :class:`DatadogKeyParameter` holds: decides its format and description."""

    API_KEY = "API_KEY"
    """An API key to rotate (``api_key`` of an API key secret or ``ApiKeySpec``)."""
    APPLICATION_KEY = "APPLICATION_KEY"
    """An application key to rotate (``app_key``), owned by the admin key's service account."""
    ADMIN_API_KEY = "ADMIN_API_KEY"
    """The admin API key (``admin_api_key``)."""
    ADMIN_APPLICATION_KEY = "ADMIN_APPLICATION_KEY"
    """The admin application key (``admin_app_key``), with the scopes rotation needs."""

    @property
    def key_format(self) -> KeyFormat:
        """The key format the parameter's ``AllowedPattern`` enforces."""
        return API_KEY if self in (DatadogKeyKind.API_KEY, DatadogKeyKind.ADMIN_API_KEY) else APP_KEY

    @property
    def where_to_copy_it(self) -> str:
        """The Datadog page the key is copied from, and what it must be."""
        return _WHERE[self]


_API_KEYS_PAGE = "Datadog > Organization Settings > API Keys (/organization-settings/api-keys)"
_SERVICE_ACCOUNT_PAGE = (
    "Datadog > Organization Settings > Service Accounts > <the rotation service account> > Application Keys "
    "(/organization-settings/service-accounts)"
)
_WHERE = {
    DatadogKeyKind.API_KEY: f"A Datadog API key to rotate. Copy it from {_API_KEYS_PAGE}.",
    DatadogKeyKind.APPLICATION_KEY: (
        "A Datadog application key to rotate, owned by the admin key's service account. "
        f"Copy it from {_SERVICE_ACCOUNT_PAGE}; it is shown once, when created."
    ),
    DatadogKeyKind.ADMIN_API_KEY: (
        f"The Datadog admin API key of the rotation service account. Copy it from {_API_KEYS_PAGE}."
    ),
    DatadogKeyKind.ADMIN_APPLICATION_KEY: (
        f"The Datadog admin application key, with the scopes {_ADMIN_SCOPES}. "
        f"Copy it from {_SERVICE_ACCOUNT_PAGE}; it is shown once, when created."
    ),
}


class DatadogKeyParameter(CfnParameter):
    """A NoEcho CloudFormation parameter for one Datadog key, checked by CloudFormation at deploy time.

    Its logical id is ``construct_id`` (without characters other than letters and digits) when
    created directly in a stack, as for any ``CfnParameter``
    (``cdk deploy --parameters Stack:<id>=...``).

    Example::

        admin_api_key = DatadogKeyParameter(self, "AdminApiKey", kind=DatadogKeyKind.ADMIN_API_KEY)
        DatadogAdminKeySecret(self, "Admin", admin_api_key=admin_api_key.secret_value, ...)
    """

    def __init__(
        self, scope: Construct, construct_id: str, *, kind: DatadogKeyKind, description: Optional[str] = None
    ) -> None:
        """
        :param scope: the parent construct (usually the stack).
        :param construct_id: the parameter's id, its logical id in a stack.
        :param kind: which key it holds, e.g. ``DatadogKeyKind.API_KEY``.
        :param description: what the key is for (e.g. "API key of the Datadog Agent"); the format and
            the Datadog page to copy it from are appended. Default: - only the format and the page
        """
        check_construct_id(scope, construct_id, "DatadogKeyParameter")
        problems = Problems()
        problems.check_type("kind", kind, DatadogKeyKind, "a DatadogKeyKind, e.g. DatadogKeyKind.API_KEY")
        # A Lazy of plain text resolves to a literal Description: checked as that text.
        resolved = (
            Stack.of(scope).resolve(description)
            if isinstance(description, str) and is_unresolved(description)
            else description
        )
        if resolved is not description and not isinstance(resolved, str):
            problems.add(
                "description",
                describe(description),
                "a literal description: CloudFormation takes no intrinsic function in a parameter's Description "
                "(the template would not deploy)",
            )
        else:
            problems.check_text("description", resolved, "a description string", max_length=1000)
        if len(problems):
            assert isinstance(scope, Construct)
            raise DdSecretsValidationError(f"{scope.node.path}/{construct_id}", problems._problems)
        key_format = kind.key_format
        purpose = f"{description.rstrip('.')}." if description else ""
        text = " ".join(part for part in (purpose, kind.where_to_copy_it, f"Format: {key_format.description}.") if part)
        super().__init__(
            scope,
            construct_id,
            type="String",
            no_echo=True,
            allowed_pattern=key_format.parameter_pattern,
            constraint_description=f"a Datadog {key_format.kind}: {key_format.description}, nothing around it",
            description=text[:_DESCRIPTION_LIMIT],
        )
        self._kind = kind

    @property
    def kind(self) -> DatadogKeyKind:
        """Which key the parameter holds."""
        return self._kind

    @property
    def secret_value(self) -> SecretValue:
        """The key as a ``SecretValue``, for the key props of the secret constructs."""
        return SecretValue.cfn_parameter(self)
