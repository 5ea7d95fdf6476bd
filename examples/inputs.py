"""Deploy-time inputs of the examples other than keys: ids and ARNs as checked parameters.

Keys come from the library's ``DatadogKeyParameter`` (NoEcho, exact key format). Nothing secret
is in the template: CloudFormation substitutes the parameters at deploy time
(``cdk deploy --parameters Stack:Name=value``). ``AllowedPattern`` makes CloudFormation check
the formats that the constructs can only check for literals, so ``cdk synth`` needs no value.
"""

from __future__ import annotations

from aws_cdk import Annotations, CfnParameter
from constructs import Construct, IConstruct

DATADOG_ORGANIZATION = "example-org"
"""Label of the examples' Datadog organisation. The service account ids are deploy-time parameters,
so the library cannot tell which admins share an organisation; the label says so, and the API keys
of every example admin are counted together against Datadog's 50 API keys per organisation."""

UUID_PATTERN = "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
SECRET_ARN_PATTERN = "^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:.+-[A-Za-z0-9]{6}$"


def uuid(scope: Construct, name: str, description: str) -> str:
    """A Datadog id (key id, service account id), from a parameter checked as a UUID."""
    return _parameter(scope, name, description, UUID_PATTERN, "a lower-case UUID, as Datadog shows it").value_as_string


def secret_arn(scope: Construct, name: str, description: str) -> str:
    """A complete Secrets Manager secret ARN (with its 6-character suffix), from a parameter."""
    return _parameter(
        scope, name, description, SECRET_ARN_PATTERN, "the complete secret ARN, ending with '-' and 6 characters"
    ).value_as_string


def checked_by_parameters(*constructs: IConstruct) -> None:
    """Acknowledge the library's "deploy-time values not checked" warning where the checks are done
    before the deploy: the parameters' AllowedPattern (format, by CloudFormation) and ``ddsecrets
    preflight`` (each key id given to one secret only, with the values that will be deployed)."""
    for construct in constructs:
        Annotations.of(construct).acknowledge_warning(
            "ddsecrets-constructs:deployTimeValuesNotChecked",
            "The ids come from parameters: CloudFormation checks their AllowedPattern at deploy time, and "
            "`ddsecrets preflight` checks that no key id is given to two secrets before the deploy.",
        )


def _parameter(scope: Construct, name: str, description: str, pattern: str, shape: str) -> CfnParameter:
    """A parameter that CloudFormation checks against ``pattern`` before it changes anything."""
    return CfnParameter(scope, name, description=description, allowed_pattern=pattern, constraint_description=shape)


# cdk-nag's AwsSolutions-ECS2 flags any environment variable set in a container definition.
SITE_IN_ENVIRONMENT = (
    "DD_SITE, the only variable set directly, is the Datadog site's host name (e.g. datadoghq.eu), not a "
    "secret; the API key comes from Secrets Manager through the container's secrets."
)
