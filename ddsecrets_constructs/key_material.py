"""Checks on the values that go into a secret: key material and Datadog identifiers.

Formats come from reference section 1: API keys are 32 hexadecimal characters, application keys
are ``ddapp_`` + 34 alphanumerics; identifiers are UUIDs. Key material must be a ``SecretValue``
so that a plain string (which would land in the template) is refused. Only literal values can be
checked here; parameters and dynamic references are resolved by CloudFormation at deploy time.
Error messages never echo key material: they describe its shape.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional

from aws_cdk import SecretValue, Stack, Token
from constructs import IConstruct

from .validation import Problems


@dataclass(frozen=True)
class KeyFormat:
    """The expected shape of one kind of Datadog key."""

    kind: str
    current: re.Pattern[str]
    description: str
    legacy: Optional[re.Pattern[str]] = None
    legacy_description: str = ""


API_KEY = KeyFormat("API key", re.compile(r"[0-9a-f]{32}"), "32 lower-case hexadecimal characters")
APP_KEY = KeyFormat(
    "application key",
    re.compile(r"ddapp_[A-Za-z0-9]{34}"),
    "'ddapp_' followed by 34 letters or digits (40 characters)",
    # UNVERIFIED (reference section 1): older application keys are 40 hexadecimal characters.
    legacy=re.compile(r"[0-9a-f]{40}"),
    legacy_description="40 hexadecimal characters (legacy application key format)",
)

_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_SSM_SECURE = "{{resolve:ssm-secure:"
_DYNAMIC_REFERENCE = "{{resolve:"


def _shape(value: str) -> str:
    """Describe a secret literal without revealing it."""
    return f"<a literal of {len(value)} characters>"


def check_key_material(
    scope: IConstruct,
    problems: Problems,
    prop: str,
    value: object,
    key_format: KeyFormat,
    *,
    validate_format: bool,
) -> None:
    """Check one piece of key material (a Datadog API or application key)."""
    if not isinstance(value, SecretValue):
        shown = _shape(value) if isinstance(value, str) else type(value).__name__
        problems.add(
            prop,
            f"a plain {type(value).__name__} {shown}",
            "key material must be a SecretValue, e.g. SecretValue.cfn_parameter(<NoEcho parameter>) "
            "or SecretValue.secrets_manager(...); a plain string would be written into the template",
        )
        return
    # Inspect the underlying value (a literal, a Ref or a dynamic reference) at synth time; it goes
    # nowhere. Resolving the SecretValue itself trips @aws-cdk/core:checkSecretUsage (a recommended
    # feature flag of new apps) with SecretValueExposureRisk.
    resolved = Stack.of(scope).resolve(value.unsafe_unwrap())
    if not isinstance(resolved, str) or Token.is_unresolved(resolved):
        return  # a parameter or attribute: CloudFormation supplies it at deploy time.
    if resolved.startswith(_SSM_SECURE):
        problems.add(
            prop,
            "SecretValue.ssm_secure(...)",
            "CloudFormation does not resolve '{{resolve:ssm-secure:...}}' in a secret's SecretString; "
            "use a NoEcho CfnParameter or SecretValue.secrets_manager(...)",
        )
        return
    if resolved.startswith(_DYNAMIC_REFERENCE):
        return  # resolved by CloudFormation at deploy time; the literal never enters the template.
    problems.warn(
        "plaintextKeyMaterial",
        f"`{problems.name(prop)}` is a plaintext SecretValue: the key is written into the template and the cloud "
        "assembly. Use a NoEcho CfnParameter or a Secrets Manager dynamic reference outside tests.",
    )
    if key_format.current.fullmatch(resolved):
        return
    if key_format.legacy is not None and key_format.legacy.fullmatch(resolved):
        problems.warn(
            "legacyKeyFormat",
            f"`{problems.name(prop)}` looks like a {key_format.legacy_description}; check that Secrets Manager can "
            "rotate it (the documented format is " + key_format.description + ").",
        )
        return
    if validate_format:
        problems.add(
            prop,
            _shape(resolved),
            f"a Datadog {key_format.kind} is {key_format.description} "
            "(check for pasted whitespace or a key of the wrong kind); if this really is a key in a "
            "format this library does not know, pass `validate_key_format=False`",
        )
    else:
        problems.warn(
            "unrecognisedKeyFormat",
            f"`{problems.name(prop)}` does not look like a Datadog {key_format.kind} ({key_format.description}); "
            "accepted because validate_key_format=False.",
        )


def check_uuid(problems: Problems, prop: str, value: object) -> None:
    """Check a Datadog identifier (key id, service account id): a lower-case UUID."""
    if not isinstance(value, str):
        problems.add(prop, f"{type(value).__name__} {value!r}", "a UUID string")
        return
    if Token.is_unresolved(value):
        problems.skip(prop, "UUID format")
        return
    if not _UUID.fullmatch(value):
        hint = (
            "write it in lower case, as Datadog shows it"
            if _UUID.fullmatch(value.lower())
            else "a UUID such as '1b4e28ba-2fa1-11d2-883f-0016d3cca427' (copy it from Datadog: "
            "the key's 'Key ID', or the service_account_id in the service account page URL)"
        )
        problems.add(prop, repr(value), hint)
