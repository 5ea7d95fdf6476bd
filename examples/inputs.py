"""Deploy-time inputs of the examples: key material as NoEcho parameters, ids as parameters.

Nothing secret is in the template: CloudFormation substitutes the parameters at deploy time
(``cdk deploy --parameters Stack:Name=value``). ``AllowedPattern`` makes CloudFormation check
the formats that the constructs can only check for literals, so ``cdk synth`` needs no value.
"""

from __future__ import annotations

from aws_cdk import Annotations, CfnParameter, SecretValue
from constructs import Construct, IConstruct

UUID_PATTERN = "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
API_KEY_PATTERN = "^[0-9a-f]{32}$"
APP_KEY_PATTERN = "^(ddapp_[A-Za-z0-9]{34}|[0-9a-f]{40})$"
SECRET_ARN_PATTERN = "^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:.+-[A-Za-z0-9]{6}$"


def api_key(scope: Construct, name: str, description: str) -> SecretValue:
    """A Datadog API key, from a NoEcho parameter."""
    return _secret(scope, name, description, API_KEY_PATTERN, "32 lower-case hexadecimal characters")


def app_key(scope: Construct, name: str, description: str) -> SecretValue:
    """A Datadog application key, from a NoEcho parameter."""
    return _secret(scope, name, description, APP_KEY_PATTERN, "ddapp_ and 34 letters or digits")


def uuid(scope: Construct, name: str, description: str) -> str:
    """A Datadog id (key id, service account id), from a parameter checked as a UUID."""
    return CfnParameter(
        scope,
        name,
        description=description,
        allowed_pattern=UUID_PATTERN,
        constraint_description="a lower-case UUID, as Datadog shows it",
    ).value_as_string


def secret_arn(scope: Construct, name: str, description: str) -> str:
    """A complete Secrets Manager secret ARN (with its 6-character suffix), from a parameter."""
    return CfnParameter(
        scope,
        name,
        description=description,
        allowed_pattern=SECRET_ARN_PATTERN,
        constraint_description="the complete secret ARN, ending with '-' and 6 characters",
    ).value_as_string


def checked_by_parameters(*constructs: IConstruct) -> None:
    """Acknowledge the library's "deploy-time values not checked" warning where the parameters'
    AllowedPattern does the same check at deploy time."""
    for construct in constructs:
        Annotations.of(construct).acknowledge_warning(
            "ddsecrets-constructs:deployTimeValuesNotChecked",
            "The ids come from parameters whose AllowedPattern CloudFormation checks at deploy time.",
        )


def _secret(scope: Construct, name: str, description: str, pattern: str, shape: str) -> SecretValue:
    parameter = CfnParameter(
        scope,
        name,
        description=description,
        no_echo=True,
        allowed_pattern=pattern,
        constraint_description=shape,
    )
    return SecretValue.cfn_parameter(parameter)
