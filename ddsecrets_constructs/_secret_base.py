"""What the three Datadog secret constructs share: the secret, its rotation schedule, its role.

Construct ids below are public API. Each secret construct has the children
``Resource`` (the ``secretsmanager.Secret``; its ``AWS::SecretsManager::Secret`` is
``Resource/Resource``), ``RotationSchedule`` and, when no role is passed, ``RotationRole``.
Renaming one would make CloudFormation replace the secret or silently drop its rotation.
"""

from __future__ import annotations

import functools
import re
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Optional, TypeVar, Union

from aws_cdk import IResolvable, RemovalPolicy, Stack, Token
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct, IConstruct, Node

from . import _iam_budget as budget
from . import _nag
from ._kms_keys import key_arn_of
from ._names import claim
from ._secret_props import check_description, check_encryption_key, check_flag, check_removal_policy
from ._secret_string import Field, secret_value_props
from ._stack_facts import (
    MIXED_ENVIRONMENT_REASON,
    adopt,
    cannot_refer,
    check_reachable,
    elsewhere,
    facts_of,
    mixed_environment,
    other_account,
    path_of,
    same_stack,
)
from .key_material import fixed_text
from .rotation import KeyRotation, RenderedRotation
from .rotation_role import DatadogRotationRole
from .validation import Problems, describe, is_unresolved

ADMIN_SECRET_ARN_KEY = "adminSecretArn"
"""The only rotation metadata key Datadog rotation reads (reference section 2)."""

# Secrets Manager secret names: letters, digits and /_+=.@- ; at most 512 characters.
_SECRET_NAME = re.compile(r"[A-Za-z0-9/_+=.@-]{1,512}")


def check_secret_name(
    problems: Problems, prop: str, name: Optional[str], *, max_length: int = 512, is_prefix: bool = False
) -> None:
    """Check a secret name (or, with ``is_prefix``, the beginning of one)."""
    if name is None:
        return
    if not isinstance(name, str):
        problems.wrong_type(prop, name, "a secret name string")
    elif is_unresolved(name):
        problems.skip(
            prop,
            f"secret name of 1-{max_length} letters, digits and /_+=.@-, without key material"
            + ("" if is_prefix else ", not ending in '-' and 6 characters"),
        )
    elif not problems.refuse_key_shapes(prop, name, "a secret name without key material (it is shown everywhere)"):
        return
    elif not _SECRET_NAME.fullmatch(name) or len(name) > max_length:
        problems.add(prop, describe(name), f"1-{max_length} characters among letters, digits and /_+=.@-")
    elif not is_prefix and re.search(r"-[A-Za-z0-9]{6}$", name):
        problems.add(
            prop,
            describe(name),
            "a name must not end with a hyphen and six characters: Secrets Manager appends such a "
            "suffix to the ARN, and partial-ARN matching would then pick the wrong secret",
        )


@dataclass(frozen=True)
class SecretOptions:
    """The props every Datadog secret construct takes besides its keys and schedule, as given (the
    constructors check them once, then create the secret and its rotation from them)."""

    rotation_role: Optional[DatadogRotationRole]
    encryption_key: Optional[kms.IKey]
    removal_policy: RemovalPolicy
    secret_name: Optional[str]
    description: Optional[str]
    rotate_immediately_on_update: Union[bool, str, IResolvable]
    """True, False, or a deploy-time value (a parameter's value, ``Fn.condition_if(...)``)."""


# A DatadogManagedSecrets family checks the props of the secrets it creates, then hands each one
# what it checked (by parent and id) just before creating it; the secret takes it in its
# constructor and checks nothing again. Kept out of the constructors' signatures: not for users.
_HANDED: weakref.WeakKeyDictionary[IConstruct, dict[str, object]] = weakref.WeakKeyDictionary()
_Checked = TypeVar("_Checked")


def hand_over(scope: IConstruct, construct_id: str, checked: object) -> None:
    """Give the secret about to be created as ``construct_id`` in ``scope`` what was checked for it."""
    _HANDED.setdefault(scope, {})[construct_id] = checked


def take_over(scope: IConstruct, construct_id: str, kind: type[_Checked]) -> Optional[_Checked]:
    """What a family checked for the secret being created as ``construct_id`` in ``scope``, if any."""
    handed = _HANDED.get(scope)
    found = None if handed is None else handed.pop(construct_id, None)
    return found if isinstance(found, kind) else None


class DatadogKeySecretBase(Construct):
    """Base of the Datadog secret constructs. Exposes the secret and its rotation."""

    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        adopt(self, scope, construct_id)

    _secret: secretsmanager.Secret
    _cfn_secret: secretsmanager.CfnSecret
    _ref: str
    _rotation_schedule: secretsmanager.CfnRotationSchedule
    _rotation_role: DatadogRotationRole
    _rendered_rotation: Optional[RenderedRotation]
    _rotation: KeyRotation
    _secret_name: Optional[str]
    _full_arn: Optional[str]
    _encryption_key: Optional[kms.IKey]
    _waiting_for: list[Construct]
    _schedule_node: Node

    @property
    def secret(self) -> secretsmanager.ISecret:
        """The secret: use it for ``grant_read``, ``secret_value_from_json`` or ``ecs.Secret.from_secrets_manager``."""
        return self._secret

    @property
    def secret_arn(self) -> str:
        """The secret's ARN, for IAM statements, ``ecs``/``lambda`` props and outputs. For a secret these
        constructs create it is the complete ARN (with the 6-character suffix), the same value as
        :attr:`secret_full_arn`."""
        return self._secret.secret_arn

    @property
    def secret_full_arn(self) -> str:
        """The complete ARN (with the 6-character suffix): use it wherever a *complete* ARN is required,
        e.g. ``from_admin_secret_attributes(secret_complete_arn=...)`` in another stack (children's
        ``adminSecretArn``). Same value as :attr:`secret_arn` for a secret these constructs create."""
        if self._full_arn is None:  # read once: children of an admin each need it
            full = self._secret.secret_full_arn
            self._full_arn = full if full is not None else self._secret.secret_arn
        return self._full_arn

    @property
    def secret_name(self) -> Optional[str]:
        """The secret name given at creation, or None when CloudFormation generates it."""
        return self._secret_name

    @property
    def encryption_key(self) -> Optional[kms.IKey]:
        """The customer-managed KMS key of the secret, if any."""
        return self._encryption_key

    @property
    def rotation(self) -> KeyRotation:
        """The rotation schedule the secret was given (or its default)."""
        return self._rotation

    @property
    def rotation_schedule(self) -> secretsmanager.CfnRotationSchedule:
        """The ``AWS::SecretsManager::RotationSchedule`` of the secret."""
        return self._rotation_schedule

    @property
    def rotation_role(self) -> DatadogRotationRole:
        """The role Secrets Manager assumes to rotate the secret."""
        return self._rotation_role

    def grant_read(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let ``grantee`` read this secret (``GetSecretValue``/``DescribeSecret``, and KMS decrypt
        through Secrets Manager when the secret has a customer-managed key), nothing else.

        A grantee in another stack gets the KMS permission in its own policy (``kms:ViaService`` and
        ``kms:EncryptionContext:SecretARN`` = this secret): CDK's default would name it in the key
        policy, a dependency cycle between the two stacks.

        With a customer-managed key, a principal created in another account is refused: this grant
        writes the grantee's own policy only, and another account needs the secret's resource policy
        and the key policy to name it; aws_cdk's own grant, ``x.secret.grant_read(grantee)``, writes
        them (for a secret with a ``secret_name`` and a grantee with a physical name). So is a principal
        in a stack whose account or region is a deploy-time value where this secret's is not, or the
        other way round: aws_cdk would name the secret there without its ARN's suffix. A principal
        created in another ``App``, or in another ``Stage`` of the same account, is refused (aws_cdk
        fails at synthesis): in its own Stage, import the secret by its ARN and grant from that.

        :param grantee: the principal to grant read access to.
        """
        key = self._secret.encryption_key
        principal = grantee.grant_principal
        self._refuse_if_elsewhere("grantee", principal, "principal")
        if key is None or not isinstance(principal, Construct) or same_stack(principal, self):
            return self._secret.grant_read(grantee)
        self._refuse_consumer_out_of_reach("grantee", principal, "principal")
        grant = iam.Grant.add_to_principal(
            grantee=grantee,
            actions=["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
            resource_arns=[self._secret.secret_arn],
        )
        iam.Grant.add_to_principal(
            grantee=grantee,
            actions=["kms:Decrypt"],
            resource_arns=[key.key_arn],
            conditions={
                "StringEquals": {
                    "kms:ViaService": f"secretsmanager.{Stack.of(self).region}.amazonaws.com",
                    "kms:EncryptionContext:SecretARN": self._secret.secret_arn,
                }
            },
        )
        return grant

    def _create_secret(
        self,
        *,
        secret_type: str,
        fields: dict[str, Field],
        options: SecretOptions,
        default_description: str,
        acknowledge_rotation: bool = True,
    ) -> None:
        """The secret. ``acknowledge_rotation``: acknowledge cdk-nag's rotation rules on it (False for
        a family's key: the family acknowledges them once on its group of keys)."""
        self._secret_name = options.secret_name
        self._full_arn = None
        self._waiting_for = []
        self._encryption_key = options.encryption_key
        self._secret = secretsmanager.Secret(
            self,
            "Resource",
            # The fields, in this order, are the whole SecretString: changing either re-writes the
            # stored value on the next deploy, which would put back a key rotation has deleted.
            **secret_value_props(fields, functools.partial(fixed_text, self)),
            encryption_key=options.encryption_key,
            removal_policy=options.removal_policy,
            secret_name=options.secret_name,
            description=options.description or default_description,
        )
        cfn_secret = self._secret.node.default_child
        assert isinstance(cfn_secret, secretsmanager.CfnSecret)
        self._cfn_secret = cfn_secret
        self._ref = cfn_secret.ref
        # Fixed per class: changing Type in place would leave the stored value mismatched.
        cfn_secret.type = secret_type
        if acknowledge_rotation:
            _nag.own_secret(facts_of(self).stack)
            _nag.acknowledge_external_rotation(cfn_secret)
        else:  # a family's key: acknowledged on its group, which must hold its keys only
            _nag.own_secret(facts_of(self).stack, f"{path_of(self)}/Resource/Resource")

    def _refuse_if_elsewhere(self, prop: str, construct: object, what: str) -> None:
        """Refuse a construct of another App or Stage given to a method (a consumer to grant)."""
        problems = Problems()
        check_reachable(
            problems,
            prop,
            construct,
            self,
            what,
            instead="in its own Stage, the secret imported by its ARN (secretsmanager.Secret.from_secret_attributes"
            "(...), with its KMS key) and granted from there",
        )
        problems.raise_if_any(self)

    def _refuse_consumer_out_of_reach(self, prop: str, construct: Construct, what: str) -> None:
        """Refuse a consumer that the grant into its own policy (for a secret with a customer-managed
        key) could not serve. One in a stack of a mixed environment (:func:`mixed_environment`) would
        be granted an ARN without the secret's suffix. One of another account needs the secret's
        resource policy and the key policy to name it, which that grant does not write. Granting it
        differently would change a granted permission (docs/versioning.md): aws_cdk's own grant is
        the way. (Another region of the same account is not refused: with the consumer stack's
        ``cross_region_references`` that grant works.)"""
        mixed = mixed_environment(construct, self)  # None for two literal accounts: other_account's case
        where = mixed or other_account(construct, self)
        if where is None:
            return
        allowed = (
            f"one of a stack of the secret's env: {MIXED_ENVIRONMENT_REASON}, so the consumer could not read the "
            "secret; give both stacks the same env (the same account and region, or neither)"
            if mixed
            else "one of the secret's account: this grant writes the grantee's own policy only, and another "
            "account needs the secret's resource policy and the key policy to name the grantee; give it "
            "aws_cdk's own grant, <secret construct>.secret.grant_read(grantee), which writes them (aws_cdk "
            "needs the secret's secret_name and a physical name for the grantee)"
        )
        problems = Problems()
        problems.add(prop, f"the {what} at {path_of(construct)!r}, {where}", allowed)
        problems.raise_if_any(self)

    def _check_rotation_role(self, problems: Problems, role: object, *, rotates_admin: bool, arn_length: int) -> None:
        """`rotation_role`: None, or a DatadogRotationRole of this stack that may take this secret.

        The role must be in the secret's stack (its policies name the secret and the schedule
        waits for them: across stacks that is a dependency cycle) and must have room and the right
        kind (admin secrets or keys, never both): :meth:`DatadogRotationRole._check_rotation`.
        """
        if role is None or not problems.check_type("rotation_role", role, DatadogRotationRole, "a DatadogRotationRole"):
            return
        assert isinstance(role, DatadogRotationRole)
        where = elsewhere(role, self)
        if where is not None:
            problems.add(
                "rotation_role",
                f"the DatadogRotationRole at {path_of(role)!r}, {where}",
                f"a role in the secret's stack: {cannot_refer(where)}",
            )
            return
        if not same_stack(role, self):
            problems.add(
                "rotation_role",
                f"the DatadogRotationRole at {role.node.path!r}, in another stack",
                "a role in the same stack as the secret (its policies name the secret and the rotation schedule "
                "waits for them: across stacks that is a dependency cycle); create one DatadogRotationRole per stack",
            )
        role._check_rotation(problems, "rotation_role", rotates_admin=rotates_admin, arn_length=arn_length)

    def _check_secret_props(
        self, problems: Problems, options: SecretOptions, *, rotates_admin: bool, arn_length: int
    ) -> None:
        """The props every secret built on its own has, whatever it holds: its rotation role, KMS
        key, removal policy, name (claimed app-wide), description and update flag."""
        self._check_rotation_role(problems, options.rotation_role, rotates_admin=rotates_admin, arn_length=arn_length)
        check_encryption_key(problems, options.encryption_key, user=self)
        check_removal_policy(problems, options.removal_policy)
        check_secret_name(problems, "secret_name", options.secret_name)
        claim(problems, "secret_name", self, options.secret_name)
        check_description(problems, options.description)
        check_flag(problems, "rotate_immediately_on_update", options.rotate_immediately_on_update, deploy_time=True)

    def _estimated_arn_length(self, secret_name: Optional[str]) -> int:
        """Upper bound of this secret's resolved ARN, for the IAM size budgets (known before it exists)."""
        stack = facts_of(self).stack
        if secret_name is None:
            return budget.secret_arn_length(stack, budget.generated_name_length(path_of(self)))
        if not isinstance(secret_name, str) or is_unresolved(secret_name):
            return budget.secret_arn_length(stack, budget.MAX_SECRET_NAME)
        return budget.secret_arn_length(stack, len(secret_name))

    def _create_rotation(
        self,
        *,
        rendered: RenderedRotation,
        rotation: KeyRotation,
        options: SecretOptions,
        admin_secret_arn: Optional[str],
    ) -> None:
        """The rotation schedule, with the role's permissions on this secret granted first.

        ``admin_secret_arn`` is None for an admin secret (it rotates itself with its own keys).
        """
        self._rotation = rotation
        self._rendered_rotation = rendered
        role = options.rotation_role
        self._rotation_role = role if role is not None else DatadogRotationRole(self, "RotationRole")
        secret_arn = self._ref  # the role and the schedule are in this secret's stack
        policies = self._rotation_role._grant_rotation(
            secret_arn,
            arn_length=self._estimated_arn_length(self._secret_name),
            key_arn=key_arn_of(self._encryption_key),
            rotates_admin=admin_secret_arn is None,
        )
        metadata = (
            None
            if admin_secret_arn is None
            else [
                secretsmanager.CfnRotationSchedule.ExternalSecretRotationMetadataItemProperty(
                    key=ADMIN_SECRET_ARN_KEY, value=admin_secret_arn
                )
            ]
        )
        self._rotation_schedule = secretsmanager.CfnRotationSchedule(
            self,
            "RotationSchedule",
            secret_id=secret_arn,
            external_secret_rotation_role_arn=self._rotation_role.role_arn,
            external_secret_rotation_metadata=metadata,
            rotation_rules=rendered.rotation_rules(),
            rotate_immediately_on_update=_flag(options.rotate_immediately_on_update),
        )
        self._schedule_node = self._rotation_schedule.node
        self._wait_for(policies)

    def _arn_for(self, consumer: Construct) -> str:
        """This secret's ARN as the library's own resources in ``consumer``'s stack name it.

        In the secret's stack it is the ``CfnSecret``'s ``Ref``, which is what the L2 ``Secret``'s
        ARN resolves to there: the same template, without a lazy value for CDK to resolve at every
        reference (one per grant, schedule and child). Elsewhere it is :attr:`secret_full_arn`, the
        L2's attribute, which knows how to cross stacks.
        """
        return self._ref if same_stack(consumer, self) else self.secret_full_arn

    def _wait_for(self, policies: Sequence[Construct]) -> None:
        """Secrets Manager checks the role when rotation is set up: its permissions must exist first."""
        # Each construct once: a second add_dependency changes nothing but costs a jsii round trip.
        for policy in policies:
            if not any(policy is known for known in self._waiting_for):
                self._waiting_for.append(policy)
                self._schedule_node.add_dependency(policy)


def _flag(value: Union[bool, str, IResolvable]) -> Union[bool, IResolvable]:
    """A boolean property: a parameter's value (a string token) is passed on as it is, a ``Ref``."""
    return Token.as_any(value) if isinstance(value, str) else value
