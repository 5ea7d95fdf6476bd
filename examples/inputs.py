"""Deploy-time inputs of the examples: key material as NoEcho parameters, ids as parameters.

Nothing secret is in the template: CloudFormation substitutes the parameters at deploy time
(``cdk deploy --parameters Stack:Name=value``). ``AllowedPattern`` makes CloudFormation check
the formats that the constructs can only check for literals, so ``cdk synth`` needs no value.
"""

from __future__ import annotations

from typing import Optional

from aws_cdk import Annotations, CfnParameter, SecretValue
from constructs import Construct, IConstruct

UUID_PATTERN = "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
API_KEY_PATTERN = "^[0-9a-f]{32}$"
APP_KEY_PATTERN = "^(ddapp_[A-Za-z0-9]{34}|[0-9a-f]{40})$"
SECRET_ARN_PATTERN = "^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:.+-[A-Za-z0-9]{6}$"


def api_key(scope: Construct, name: str, description: str) -> SecretValue:
    """A Datadog API key, from a NoEcho parameter."""
    return SecretValue.cfn_parameter(
        _parameter(scope, name, description, API_KEY_PATTERN, "32 lower-case hexadecimal characters", no_echo=True)
    )


def app_key(scope: Construct, name: str, description: str) -> SecretValue:
    """A Datadog application key, from a NoEcho parameter."""
    return SecretValue.cfn_parameter(
        _parameter(scope, name, description, APP_KEY_PATTERN, "ddapp_ and 34 letters or digits", no_echo=True)
    )


def uuid(scope: Construct, name: str, description: str) -> str:
    """A Datadog id (key id, service account id), from a parameter checked as a UUID."""
    return _parameter(scope, name, description, UUID_PATTERN, "a lower-case UUID, as Datadog shows it").value_as_string


def secret_arn(scope: Construct, name: str, description: str) -> str:
    """A complete Secrets Manager secret ARN (with its 6-character suffix), from a parameter."""
    return _parameter(
        scope, name, description, SECRET_ARN_PATTERN, "the complete secret ARN, ending with '-' and 6 characters"
    ).value_as_string


def checked_by_parameters(*constructs: IConstruct) -> None:
    """Acknowledge the library's "deploy-time values not checked" warning where the parameters'
    AllowedPattern does the same check at deploy time."""
    for construct in constructs:
        Annotations.of(construct).acknowledge_warning(
            "ddsecrets-constructs:deployTimeValuesNotChecked",
            "The ids come from parameters whose AllowedPattern CloudFormation checks at deploy time.",
        )


def _parameter(
    scope: Construct, name: str, description: str, pattern: str, shape: str, *, no_echo: Optional[bool] = None
) -> CfnParameter:
    """A parameter that CloudFormation checks against ``pattern`` before it changes anything."""
    return CfnParameter(
        scope, name, description=description, no_echo=no_echo, allowed_pattern=pattern, constraint_description=shape
    )
