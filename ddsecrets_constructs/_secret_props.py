"""Checks of the props every Datadog secret construct shares, before any of them reaches a CDK call.

A wrong type handed to aws_cdk fails inside jsii with an error that names neither the construct
nor the prop; these checks run first, so that every wrong input is one
:class:`~ddsecrets_constructs.DdSecretsValidationError`.
"""

from __future__ import annotations

from typing import Optional

from aws_cdk import RemovalPolicy
from aws_cdk import aws_kms as kms
from constructs import IConstruct

from ._kms_keys import check_not_an_alias
from ._stack_facts import check_reachable
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
