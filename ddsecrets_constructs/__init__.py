"""AWS CDK v2 constructs for Datadog keys rotated by AWS Secrets Manager managed external secrets.

The right setup is the default (least-privilege role, apart rotation windows, retained secrets,
safe deploy order) and a wrong setup fails at synth time with :class:`DdSecretsValidationError`.
"""

from ._version import __version__
from .admin_key import DatadogAdminKeySecret, IDatadogAdminKeySecret, ImportedDatadogAdminKeySecret
from .alerts import DatadogRotationAlerts
from .api_key import DatadogApiKeySecret
from .application_key import DatadogApplicationKeySecret
from .key_parameter import DatadogKeyKind, DatadogKeyParameter
from .managed_secrets import ApiKeySpec, ApplicationKeySpec, DatadogManagedSecrets
from .rotation import KeyRotation
from .rotation_role import DatadogRotationRole
from .site import DatadogSite
from .validation import DdSecretsValidationError

__all__ = [
    "ApiKeySpec",
    "ApplicationKeySpec",
    "DatadogAdminKeySecret",
    "DatadogApiKeySecret",
    "DatadogApplicationKeySecret",
    "DatadogKeyKind",
    "DatadogKeyParameter",
    "DatadogManagedSecrets",
    "DatadogRotationAlerts",
    "DatadogRotationRole",
    "DatadogSite",
    "DdSecretsValidationError",
    "IDatadogAdminKeySecret",
    "ImportedDatadogAdminKeySecret",
    "KeyRotation",
    "__version__",
]
