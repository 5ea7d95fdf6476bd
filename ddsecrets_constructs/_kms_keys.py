"""What the library reads from a KMS key given as a secret's ``encryption_key``: its ARN (read once
per key), and whether that ARN names a key at all.

The rotation roles' ``kms:`` statements (and ``grant_read``'s across stacks) name the key by its
ARN; an alias's ARN there names the alias, not the key, and grants nothing (AWS KMS, "Use aliases
to control access to KMS keys").
"""

from __future__ import annotations

import re
import weakref
from typing import Optional

from aws_cdk import Reference, Tokenization
from aws_cdk import aws_kms as kms

from ._stack_facts import path_of
from .validation import Problems, is_unresolved

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
    reference = Tokenization.reverse(arn, fail_concat=False)  # None for text joined with tokens
    return (
        isinstance(reference, Reference)
        and isinstance(reference.target, kms.CfnKey)
        and reference.display_name == "Arn"  # not its Ref or KeyId: a key id given as an ARN is not one
    )
