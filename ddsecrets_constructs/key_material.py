"""Checks on the values that go into a secret: key material and Datadog identifiers.

Formats come from reference section 1: API keys are 32 hexadecimal characters, application keys
are ``ddapp_`` + 34 alphanumerics; identifiers are UUIDs. Key material must be a ``SecretValue``
so that a plain string (which would land in the template) is refused.

Where the key comes from decides what can be checked (the README's "Key material" section):

- a literal (``SecretValue.unsafe_plain_text``): checked here, and warned as plaintext;
- a NoEcho ``CfnParameter`` whose ``AllowedPattern`` is the key's exact format
  (:class:`~ddsecrets_constructs.DatadogKeyParameter`): CloudFormation checks it at deploy time;
- a ``CfnParameter`` without NoEcho: refused, CloudFormation would show the key;
- anything else resolved at deploy time (another parameter, a stack export, a dynamic reference,
  a plain SSM parameter, another token): the format check is skipped and listed in the
  construct's ``deployTimeValuesNotChecked`` warning, with what makes the source risky;
- ``{{resolve:ssm-secure:...}}``: refused, CloudFormation does not resolve it in a SecretString.

Error messages never echo key material: they describe its shape.
"""

from __future__ import annotations

import re
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Optional

from aws_cdk import CfnParameter, Reference, SecretValue, Stack, Tokenization
from constructs import IConstruct

from ._stack_facts import cannot_refer, elsewhere, facts_of, facts_of_stack, path_of
from .validation import Problems, describe, is_unresolved, key_shapes

USE_THE_HELPER = "create it with DatadogKeyParameter(scope, id, kind=DatadogKeyKind...)"


@dataclass(frozen=True)
class KeyFormat:
    """The expected shape of one kind of Datadog key."""

    kind: str
    current: re.Pattern[str]
    description: str
    parameter_pattern: str
    """The ``AllowedPattern`` that makes CloudFormation check this format (anchored)."""
    legacy: Optional[re.Pattern[str]] = None
    legacy_description: str = ""


API_KEY = KeyFormat(
    "API key",
    re.compile(r"[0-9a-f]{32}"),
    "32 lower-case hexadecimal characters",
    parameter_pattern="^[0-9a-f]{32}$",
)
APP_KEY = KeyFormat(
    "application key",
    re.compile(r"ddapp_[A-Za-z0-9]{34}"),
    "'ddapp_' followed by 34 letters or digits (40 characters)",
    # The parameter admits the legacy format too: CloudFormation cannot warn, only refuse, and
    # Datadog still accepts legacy keys (whether rotation does is UNVERIFIED, reference section 8).
    parameter_pattern="^(ddapp_[A-Za-z0-9]{34}|[0-9a-f]{40})$",
    # UNVERIFIED (reference section 1): older application keys are 40 hexadecimal characters.
    legacy=re.compile(r"[0-9a-f]{40}"),
    legacy_description="40 hexadecimal characters (legacy application key format)",
)
KEY_FORMATS = (API_KEY, APP_KEY)

_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_SSM_SECURE = "{{resolve:ssm-secure:"
_SSM = "{{resolve:ssm:"
_SECRETS_MANAGER = "{{resolve:secretsmanager:"
_DYNAMIC_REFERENCE = "{{resolve:"
# Characters that can never be in a key and that a paste brings along; a backslash or a quote would
# also change the JSON of the SecretString.
_NOT_IN_A_KEY = re.compile(r"[\s\"\\\x00-\x1f]")


def _literal_shape(value: str) -> str:
    """Describe a secret literal without revealing it."""
    return f"a literal of {len(value)} characters (not shown)"


def check_key_material(
    scope: IConstruct,
    problems: Problems,
    prop: str,
    value: object,
    key_format: KeyFormat,
    *,
    validate_format: bool,
    owner_path: Optional[str] = None,
) -> None:
    """Check one piece of key material (a Datadog API or application key). ``owner_path``: the path
    of the secret when ``scope`` is the family about to create it."""
    if not isinstance(value, SecretValue):
        is_literal = isinstance(value, str) and not is_unresolved(value)
        problems.add(
            prop,
            f"a plain string, {_literal_shape(value)}" if is_literal else describe(value),  # type: ignore[arg-type]
            "key material must be a SecretValue, e.g. DatadogKeyParameter(...).secret_value "
            "or SecretValue.secrets_manager(...); a plain string would be written into the template",
        )
        return
    # Inspect the underlying value (a literal, a Ref or a dynamic reference) at synth time; it goes
    # nowhere. Resolving the SecretValue itself trips @aws-cdk/core:checkSecretUsage (a recommended
    # feature flag of new apps) with SecretValueExposureRisk.
    stack = facts_of(scope).stack
    resolved = _resolved(stack, value)
    format_check = f"Datadog {key_format.kind} format"
    if isinstance(resolved, dict):
        _warn_literal_key_parts(problems, prop, resolved)
        owner = f"`{prop}` of {owner_path or path_of(scope)}"
        _check_deploy_time_source(stack, problems, prop, owner, value, resolved, key_format, format_check)
        return
    if not isinstance(resolved, str):
        problems.add(prop, describe(resolved), "a SecretValue holding a string")
        return
    if resolved.startswith(_SSM_SECURE):
        problems.add(
            prop,
            "SecretValue.ssm_secure(...)",
            "CloudFormation does not resolve '{{resolve:ssm-secure:...}}' in a secret's SecretString; "
            "use DatadogKeyParameter(...) or SecretValue.secrets_manager(...)",
        )
        return
    if resolved.startswith(_SSM):
        problems.skip(prop, f"{format_check}; it comes from a plain SSM String parameter, {_SSM_IS_VISIBLE}")
        return
    if resolved.startswith(_SECRETS_MANAGER):
        problems.skip(prop, f"{format_check}; it is read from Secrets Manager at deploy time")
        return
    if resolved.startswith(_DYNAMIC_REFERENCE):
        problems.skip(prop, f"{format_check}; it is a dynamic reference resolved at deploy time")
        return
    _check_literal(problems, prop, resolved, key_format, validate_format=validate_format)


# The resolved form of each SecretValue, by stack path: a family checks a child's key, then the
# child checks it again when it is built; resolving it twice would only repeat two jsii round trips.
_RESOLVED: weakref.WeakKeyDictionary[SecretValue, dict[str, Any]] = weakref.WeakKeyDictionary()
# The text of each SecretValue that is fixed at synth time, by stack path: a literal, or a dynamic
# reference ('{{resolve:...}}', which CloudFormation resolves at deploy time). See fixed_text.
_FIXED: weakref.WeakKeyDictionary[SecretValue, dict[str, str]] = weakref.WeakKeyDictionary()


def fixed_text(scope: IConstruct, value: SecretValue) -> Optional[str]:
    """The text ``value`` stands for in ``scope``'s stack when it cannot change before synthesis
    (a literal or a dynamic reference), as found by :func:`check_key_material`; None otherwise."""
    return _FIXED.get(value, {}).get(facts_of(scope).path)


def _resolved(stack: Stack, value: SecretValue) -> Any:
    path = facts_of_stack(stack).path
    if path not in _RESOLVED.get(value, {}):
        resolve_ahead(stack, [value])
    return _RESOLVED[value][path]


def resolve_ahead(stack: Stack, values: Sequence[object]) -> None:
    """Resolve the SecretValues among ``values`` for :func:`check_key_material` in one
    ``stack.resolve`` round trip for all of them (a family's keys) rather than one each."""
    path = facts_of_stack(stack).path
    tokens: list[tuple[SecretValue, Any]] = []
    for value in values:
        if not isinstance(value, SecretValue) or path in _RESOLVED.get(value, {}):
            continue
        unwrapped = value.unsafe_unwrap()
        # A literal (unsafe_plain_text, whatever its text) unwraps to a plain str, which resolves to
        # itself; SecretValue.secrets_manager and a parameter unwrap to a token.
        if isinstance(unwrapped, str) and not is_unresolved(unwrapped):
            _RESOLVED.setdefault(value, {})[path] = unwrapped
            _FIXED.setdefault(value, {})[path] = unwrapped
        else:
            tokens.append((value, unwrapped))
    if tokens:
        # By index in a mapping: resolving drops a value that resolves to nothing, also from a list.
        resolved = stack.resolve({str(i): unwrapped for i, (_, unwrapped) in enumerate(tokens)})
        for i, (value, _) in enumerate(tokens):
            text = resolved.get(str(i))
            _RESOLVED.setdefault(value, {})[path] = text
            if isinstance(text, str) and text.startswith(_DYNAMIC_REFERENCE) and not is_unresolved(text):
                _FIXED.setdefault(value, {})[path] = text


_SSM_IS_VISIBLE = "which anyone allowed ssm:GetParameter (and the console) can read in clear"
_DEPLOY_TIME = "\x00"
"""Where a value known only at deploy time goes in :func:`_literal_text`: no key shape runs across it."""
_SUB_VARIABLE = re.compile(r"\$\{([^}]*)\}")
_DYNAMIC_REFERENCES = re.compile(r"\{\{resolve:.*?\}\}", re.DOTALL)


def _literal_text(value: Any) -> str:
    """The literal strings of a resolved intrinsic as CloudFormation puts them together: an
    ``Fn::Join`` joined by its separator, an ``Fn::Sub`` with its literal variables in place; a
    ``Ref``, an attribute or an import (names, not values) as :data:`_DEPLOY_TIME`; the choices of
    any other function (``Fn::Select``, ``Fn::If``, ``Fn::Base64``...) apart."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return _DEPLOY_TIME.join(_literal_text(v) for v in value)
    if not isinstance(value, dict):
        return _DEPLOY_TIME
    if len(value) == 1:
        ((function, argument),) = value.items()
        if function in ("Ref", "Fn::GetAtt", "Fn::ImportValue"):
            return _DEPLOY_TIME
        if function == "Fn::Join" and isinstance(argument, list) and len(argument) == 2:
            separator, parts = argument
            if isinstance(separator, str) and isinstance(parts, list):
                return separator.join(_literal_text(part) for part in parts)
        if function == "Fn::Sub":  # "template", or ["template", {variable: value}]
            template: Any = argument
            variables: Any = {}
            if isinstance(argument, list) and len(argument) == 2:
                template, variables = argument
            if isinstance(template, str) and isinstance(variables, dict):
                return _SUB_VARIABLE.sub(
                    lambda m: _literal_text(variables[m[1]]) if m[1] in variables else _DEPLOY_TIME, template
                )
    return _DEPLOY_TIME.join(_literal_text(v) for v in value.values())


def _warn_literal_key_parts(problems: Problems, prop: str, resolved: dict[str, Any]) -> None:
    """A key written in the literal parts of an intrinsic (``Fn.join``, ``Fn.sub``, ``Fn.base64`` of
    literals...) is in the template in clear, as a literal key is. Dynamic references (the name of
    a secret or parameter) and deploy-time values alone are not."""
    shapes = key_shapes(_DYNAMIC_REFERENCES.sub(_DEPLOY_TIME, _literal_text(resolved)))
    if shapes:
        problems.warn(
            "plaintextKeyMaterial",
            f"`{problems.name(prop)}` is a deploy-time value whose literal parts hold {shapes[0]}: the key is "
            "written into the template and the cloud assembly in clear, as a literal key is. Use "
            "DatadogKeyParameter or a Secrets Manager dynamic reference outside tests.",
        )


def _check_deploy_time_source(
    stack: Stack,
    problems: Problems,
    prop: str,
    owner: str,
    value: SecretValue,
    resolved: dict[str, Any],
    key_format: KeyFormat,
    format_check: str,
) -> None:
    if set(resolved) == {"Ref"} and isinstance(resolved["Ref"], str):
        name = resolved["Ref"]
        # The parameter the value refers to (another stack's may share its logical id with one of
        # this stack), else one of this stack by that logical id.
        parameter = _referenced_parameter(value) or _find_parameter(stack, name)
        if parameter is not None:
            if _check_parameter_use(problems, prop, owner, parameter, name):
                _check_parameter(problems, prop, parameter, name, key_format, format_check)
            where = elsewhere(parameter, stack)
            other_stack = facts_of(parameter).path
            if where is not None:
                problems.add(
                    prop,
                    f"the key parameter {name!r} of the stack {other_stack!r}, {where}",
                    f"a key parameter of the secret's own stack: {cannot_refer(where)}",
                )
            elif other_stack != facts_of_stack(stack).path:
                problems.warn(
                    KEY_IN_STACK_EXPORT,
                    f"`{problems.name(prop)}` is the key parameter {name!r} of the stack {other_stack!r}: CDK passes "
                    "it on to this stack as a stack export (or a nested stack's parameter), whose value CloudFormation "
                    "shows in clear (`aws cloudformation list-exports`, `describe-stacks`), NoEcho or not. Give the "
                    "secret a key parameter of its own stack.",
                )
            return
    if "Fn::ImportValue" in resolved:
        problems.skip(
            prop,
            f"{format_check}; it comes from a stack export (Fn.import_value), which "
            "`aws cloudformation list-exports` shows in clear",
        )
        return
    problems.skip(prop, f"{format_check}; it is a deploy-time value")


KEY_IN_STACK_EXPORT = "keyInStackExport"
# The secret prop that took each key parameter first (one Datadog key, one secret).
_TAKEN_BY: weakref.WeakKeyDictionary[CfnParameter, str] = weakref.WeakKeyDictionary()


def _check_parameter_use(problems: Problems, prop: str, owner: str, parameter: CfnParameter, name: str) -> bool:
    """A key parameter goes into one secret (two secrets holding one Datadog key would each rotate
    it away from the other); False when the parameter is refused here (nothing more to check)."""
    taken_by = _TAKEN_BY.get(parameter)
    if taken_by is not None and taken_by != owner:
        problems.add(
            prop,
            f"the key parameter {name!r}, already the key of {taken_by}",
            "a key parameter of its own for each secret: two secrets holding one Datadog key would each rotate "
            "it, and each rotation deletes a key the other still holds",
        )
        return False
    if taken_by is None:
        _TAKEN_BY[parameter] = owner

        def let_go() -> None:
            _TAKEN_BY.pop(parameter, None)

        problems.undo_if_refused(let_go)
    return True


def _check_parameter(
    problems: Problems, prop: str, parameter: CfnParameter, name: str, key_format: KeyFormat, format_check: str
) -> None:
    if parameter.type.startswith("AWS::SSM::Parameter::Value"):
        problems.skip(prop, f"{format_check}; it comes from a plain SSM String parameter, {_SSM_IS_VISIBLE}")
        return
    if not parameter.no_echo:
        problems.add(
            prop,
            f"the CfnParameter {name!r} without NoEcho",
            "CloudFormation shows the value of a parameter without NoEcho in the console, in "
            f"`describe-stacks` and in stack events; {USE_THE_HELPER}, which is NoEcho",
        )
        return
    if parameter.default is not None:
        problems.warn(
            "plaintextKeyMaterial",
            f"`{problems.name(prop)}` is the key parameter {name!r}, which has a Default: the template and the "
            "cloud assembly hold the default in clear, NoEcho or not. Remove the Default outside tests; "
            f"{USE_THE_HELPER}.",
        )
    pattern = parameter.allowed_pattern
    if pattern == key_format.parameter_pattern:
        return  # CloudFormation checks the exact format before it changes anything.
    other = next((f for f in KEY_FORMATS if f is not key_format and f.parameter_pattern == pattern), None)
    if other is not None:
        problems.add(
            prop,
            f"the key parameter {name!r}, whose AllowedPattern admits a Datadog {other.kind}",
            f"a Datadog {key_format.kind} parameter (wrong key for this prop?)",
        )
        return
    problems.skip(prop, f"{format_check}; the NoEcho parameter {name!r} has no AllowedPattern for it: {USE_THE_HELPER}")


def _referenced_parameter(value: SecretValue) -> Optional[CfnParameter]:
    """The ``CfnParameter`` a ``SecretValue.cfn_parameter`` refers to, whatever its stack."""
    fragments = Tokenization.reverse_string(value.unsafe_unwrap())
    token = fragments.first_token if fragments.length == 1 else None
    target = token.target if isinstance(token, Reference) else None
    return target if isinstance(target, CfnParameter) else None


def _find_parameter(stack: Stack, logical_id: str) -> Optional[CfnParameter]:
    """The stack's CfnParameter with this logical id: a direct child first (the usual case), then any."""
    child = stack.node.try_find_child(logical_id)
    candidates = [child] if isinstance(child, CfnParameter) else []
    candidates += [c for c in stack.node.find_all() if isinstance(c, CfnParameter) and c is not child]
    for candidate in candidates:
        assert isinstance(candidate, CfnParameter)
        if Stack.of(candidate).node.path == stack.node.path and stack.resolve(candidate.logical_id) == logical_id:
            return candidate
    return None


def _check_literal(
    problems: Problems, prop: str, literal: str, key_format: KeyFormat, *, validate_format: bool
) -> None:
    problems.warn(
        "plaintextKeyMaterial",
        f"`{problems.name(prop)}` is a plaintext SecretValue: the key is written into the template and the cloud "
        "assembly. Use DatadogKeyParameter or a Secrets Manager dynamic reference outside tests.",
    )
    if key_format.current.fullmatch(literal):
        return
    if key_format.legacy is not None and key_format.legacy.fullmatch(literal):
        problems.warn(
            "legacyKeyFormat",
            f"`{problems.name(prop)}` looks like a {key_format.legacy_description}; check that Secrets Manager can "
            "rotate it (the documented format is " + key_format.description + ").",
        )
        return
    unsafe = _NOT_IN_A_KEY.search(literal)
    if validate_format or unsafe:
        problems.add(
            prop,
            _literal_shape(literal),
            f"a Datadog {key_format.kind} is {key_format.description}; {_why_not_a_key(prop, literal, key_format)}"
            + (
                ""
                if unsafe
                else "; if this really is a key in a format this library does not know, pass "
                "`validate_key_format=False`"
            ),
        )
        return
    problems.warn(
        "unrecognisedKeyFormat",
        f"`{problems.name(prop)}` does not look like a Datadog {key_format.kind} ({key_format.description}); "
        "accepted because validate_key_format=False.",
    )


def _why_not_a_key(prop: str, literal: str, key_format: KeyFormat) -> str:
    """The likely mistake behind a literal that is not a key of this kind."""
    stripped = literal.strip()
    if _NOT_IN_A_KEY.search(literal):
        if stripped != literal and _looks_like_a_key(stripped):
            return "it has whitespace or a newline around it (a bad paste): remove it"
        return "a key never contains whitespace, quotes, backslashes or control characters"
    if _UUID.fullmatch(literal.lower()):
        return f"this is a UUID, a key id: `{prop}` and `{prop}_id` look swapped"
    other = next((f for f in KEY_FORMATS if f is not key_format and _fits(f, literal)), None)
    if other is not None:
        return f"this looks like a Datadog {other.kind}: a key of the wrong kind for this prop"
    if key_format.current.fullmatch(literal.lower()):
        return "write it in lower case, as Datadog shows it"
    return "check for a truncated paste or a key of the wrong kind"


def _fits(key_format: KeyFormat, literal: str) -> bool:
    return bool(key_format.current.fullmatch(literal) or (key_format.legacy and key_format.legacy.fullmatch(literal)))


def _looks_like_a_key(literal: str) -> bool:
    return any(_fits(f, literal) for f in KEY_FORMATS)


def check_uuid(problems: Problems, prop: str, value: object) -> bool:
    """Check a Datadog identifier (key id, service account id): a lower-case UUID. Whether it is one,
    or a deploy-time value (its check skipped)."""
    if not problems.check_type(prop, value, str, "a UUID string such as '1b4e28ba-2fa1-11d2-883f-0016d3cca427'"):
        return False
    assert isinstance(value, str)
    if is_unresolved(value):
        problems.skip(prop, "UUID format")
        return True
    if not _UUID.fullmatch(value):
        hint = (
            "write it in lower case, as Datadog shows it"
            if _UUID.fullmatch(value.lower())
            else "a UUID such as '1b4e28ba-2fa1-11d2-883f-0016d3cca427' (copy it from Datadog: "
            "the key's 'Key ID', or the service_account_id in the service account page URL)"
        )
        problems.add(prop, describe(value), hint)
        return False
    return True
