"""Checks of the props every Datadog secret construct shares, before any of them reaches a CDK call.

A wrong type handed to aws_cdk fails inside jsii with an error that names neither the construct
nor the prop; these checks run first, so that every wrong input is one
:class:`~ddsecrets_constructs.DdSecretsValidationError`.
"""

from __future__ import annotations

import re
import weakref
from typing import Optional

from aws_cdk import Reference, RemovalPolicy, Tokenization
from aws_cdk import aws_kms as kms
from constructs import IConstruct

from ._stack_facts import check_reachable, path_of
from .rotation import KeyRotation
from .validation import Problems, describe, is_unresolved

SECRET_DESCRIPTION_LIMIT = 2048  # Secrets Manager's limit for a secret description
ROTATION_ALLOWED = "a KeyRotation, e.g. KeyRotation.cron(hour='6', day='1', window=Duration.hours(2))"

_LOST = (
    "CloudFormation deletes the secret at once, without a recovery window, when it leaves the stack (stack "
    "deleted, construct removed or its id renamed), while its Datadog keys stay valid: the only stored copy of "
    "the keys rotation created, which nobody has seen, is lost, consumers fail, and the keys can only be found "
    "and revoked in Datadog. Keep RemovalPolicy.RETAIN (the default) for any secret with live keys; acknowledge "
    "this warning only for throwaway stacks."
)


_KEY_ARNS: weakref.WeakKeyDictionary[kms.IKey, str] = weakref.WeakKeyDictionary()


def key_arn_of(key: Optional[kms.IKey]) -> Optional[str]:
    """The key's ARN, read through jsii once per key (every secret of a family uses the same key)."""
    if key is None:
        return None
    try:
        found = _KEY_ARNS.get(key)
    except TypeError:  # not weakly referenceable: not a key object, which aws_cdk refuses in its turn
        return key.key_arn
    if found is None:
        found = _KEY_ARNS[key] = key.key_arn
    return found


_ALIAS_IN_IAM = (
    "an alias in an IAM policy's Resource applies to the alias, not to its key (AWS KMS: 'Use aliases to control "
    "access to KMS keys'), so "
)
ALIAS_REASON = (
    f"{_ALIAS_IN_IAM}the rotation roles' kms statements (and grant_read's for a consumer in another stack), which "
    "name the secret's key by this ARN, would grant nothing and rotation would fail with AccessDenied"
)
IMPORTED_ALIAS_REASON = (
    f"{_ALIAS_IN_IAM}the keys' rotation roles' kms statements, which name the admin's key by this ARN, would grant "
    "nothing and rotation would fail with AccessDenied"
)
SECRETS_MANAGER_KEY = "alias/aws/secretsmanager"
_KEY_RESOURCE = re.compile(r"^arn:[^:]+:kms:[^:]*:[^:]*:key/")
_KEY_BY_ARN = "kms.Key.from_key_arn(self, 'Key', 'arn:aws:kms:<region>:<account>:key/<key id>')"


def check_not_an_alias(problems: Problems, prop: str, value: object, *, imported_admin: bool = False) -> None:
    """Refuse a KMS alias (kms.Alias, kms.Alias.from_alias_name(...), an alias ARN) as a secret's
    key (``imported_admin``: an imported admin's ``encryption_key``, which its keys' roles name):
    its ARN is the alias's. Secrets Manager's own AWS managed key (``alias/aws/secretsmanager``) is
    accepted: its key policy lets the account use it through Secrets Manager, whatever the IAM
    statements name. A key whose ARN names neither a key nor an alias before deploy time
    (``kms.Key.from_key_arn(<token>)``, an alias name that is a token) is accepted, the check listed
    in ``deployTimeValuesNotChecked``; a reference to a ``CfnKey`` of this app is a key."""
    if value is None or isinstance(value, kms.Key):
        return
    whose = " (the imported admin's encryption_key)" if imported_admin else ""
    reason = IMPORTED_ALIAS_REASON if imported_admin else ALIAS_REASON
    if isinstance(value, kms.Alias):  # created in this app: never an AWS managed alias
        problems.add(
            prop,
            f"the KMS alias at {path_of(value)!r}{whose}",
            f"a KMS key, not an alias: {reason}; give the key itself (the alias's alias_target_key)",
        )
        return
    arn = key_arn_of(value)  # type: ignore[arg-type]
    if not isinstance(arn, str):
        return
    if ":alias/" not in arn:
        # A literal key ARN, or one whose partition, region or account is a token, is a key.
        if is_unresolved(arn) and not _KEY_RESOURCE.match(arn) and not _a_key_of_this_app(arn):
            problems.skip(prop, f"a KMS key, not an alias{whose}")
        return
    name = "alias/" + arn.split(":alias/", 1)[1]
    if is_unresolved(name):
        problems.skip(prop, f"a KMS key, not an alias other than alias/aws/secretsmanager{whose}")
        return
    if name == SECRETS_MANAGER_KEY:
        return
    instead = (
        f"import the admin with its key by ARN, encryption_key={_KEY_BY_ARN}, or without encryption_key if the "
        "secret uses Secrets Manager's AWS managed key"
        if imported_admin
        else f"give the key by its ARN, {_KEY_BY_ARN}, or leave encryption_key unset for Secrets Manager's AWS "
        "managed key"
    )
    if name.startswith("alias/aws/"):
        problems.add(
            prop,
            f"the KMS alias {name!r}{whose}",
            f"a customer-managed KMS key or none: {name!r} names the AWS managed key of another AWS service, "
            f"which only that service may use; {instead}",
        )
        return
    problems.add(prop, f"the KMS alias {name!r}{whose}", f"a KMS key, not an alias: {reason}; {instead}")


def _a_key_of_this_app(arn: str) -> bool:
    """Whether ``arn`` is a reference to a ``CfnKey`` of this app (``kms.Key.from_cfn_key``, an owned
    key's ``key_arn`` given to ``kms.Key.from_key_arn``)."""
    reference = Tokenization.reverse(arn)
    return isinstance(reference, Reference) and isinstance(reference.target, kms.CfnKey)


def check_encryption_key(
    problems: Problems,
    value: object,
    prop: str = "encryption_key",
    *,
    user: Optional[IConstruct] = None,
    named_in_iam: bool = True,
) -> None:
    """A KMS key object; with ``user``, the construct using it, a key created in another App, or in
    another Stage of the same account, is refused. ``named_in_iam``: the key of a secret, which IAM
    statements name by its ARN: an alias is refused (:func:`check_not_an_alias`); a topic's key is
    granted through its key policy, which an alias of this app passes on to its key."""
    if user is not None and isinstance(value, kms.Key):
        check_reachable(
            problems, prop, value, user, "KMS key", instead="the key imported here with kms.Key.from_key_arn(...)"
        )
    # kms.IKey is a jsii interface: isinstance() cannot test it, so test what the library uses.
    # Looked up on the class first: hasattr() on the object reads key_arn through jsii (needed only
    # for jsii's InterfaceDynamicProxy, whose class has no such attribute).
    if value is not None and (
        isinstance(value, (str, bytes)) or not (hasattr(type(value), "key_arn") or hasattr(value, "key_arn"))
    ):
        problems.wrong_type(prop, value, "a KMS key object (kms.IKey), e.g. kms.Key(...) or kms.Key.from_key_arn(...)")
    elif named_in_iam:
        check_not_an_alias(problems, prop, value)


def check_removal_policy(problems: Problems, value: object, prop: str = "removal_policy") -> None:
    """A RemovalPolicy; DESTROY and SNAPSHOT are accepted with the ``secretNotRetained`` warning."""
    if not problems.check_type(prop, value, RemovalPolicy, "a RemovalPolicy; keep RemovalPolicy.RETAIN"):
        return
    if value == RemovalPolicy.DESTROY:
        problems.warn("secretNotRetained", f"`{problems.name(prop)}` is RemovalPolicy.DESTROY. {_LOST}")
    elif value == RemovalPolicy.SNAPSHOT:
        problems.warn(
            "secretNotRetained",
            f"`{problems.name(prop)}` is RemovalPolicy.SNAPSHOT, but a Secrets Manager secret has no snapshot: "
            "nothing is kept (CloudFormation either rejects the policy or deletes the secret; which one is "
            f"UNVERIFIED). {_LOST}",
        )


def check_flag(problems: Problems, prop: str, value: object, *, deploy_time: bool = False) -> bool:
    """A bool prop; returns the value to use (its default, True or False, when it is invalid).

    ``deploy_time``: the prop only goes into the template, so a deploy-time value (a condition, a
    parameter) is accepted and its check listed; a flag that decides what is synthesized refuses one.
    """
    if not isinstance(value, bool) and is_unresolved(value):
        if deploy_time and isinstance(value, (int, float, list)):
            # A number or list token: jsii cannot hand it to a Boolean property.
            problems.add(
                prop,
                describe(value),
                "True or False, or a deploy-time string or condition that resolves to 'true' or 'false' "
                "(a String parameter's value_as_string, Fn.condition_if(...)); not a number or a list",
            )
        elif deploy_time:
            problems.skip(prop, "'true' or 'false'")
        else:
            problems.add(
                prop,
                describe(value),
                "True or False, known at synth time: it decides what is synthesized, which a value known only "
                "at deploy time cannot change",
            )
        return True
    problems.check_type(prop, value, bool, "True or False")
    return value if isinstance(value, bool) else True


def check_description(problems: Problems, value: object, prop: str = "description") -> None:
    problems.check_text(prop, value, "a description string", max_length=SECRET_DESCRIPTION_LIMIT)


def check_rotation(problems: Problems, prop: str, value: object) -> bool:
    """True when ``value`` is a KeyRotation (None is not: callers resolve the default first)."""
    return problems.check_type(prop, value, KeyRotation, ROTATION_ALLOWED)
