"""DatadogRotationRole: the IAM role Secrets Manager assumes to rotate Datadog secrets.

Least privilege by construction (reference section 4): the rotation actions only on the secrets
the role rotates, read-only access to an admin secret a child needs, KMS use only through Secrets
Manager, and no statement scoped by ``secretsmanager:resource/Type`` (the console's trap: such a
role cannot read the admin secret). Permissions live in one customer-managed policy, not inline
(HIPAA/NIST/PCI packs flag inline policies), so each rotation schedule can depend on it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Optional

from aws_cdk import Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from . import _nag
from ._arns import secret_arn_by_name
from .defaults import ADMIN_READ_ACTIONS, KMS_ACTIONS_TO_READ, KMS_ACTIONS_TO_ROTATE, ROTATION_ACTIONS

SECRETS_MANAGER = "secretsmanager.amazonaws.com"
_ROTATE_SECRETS = "RotateDatadogSecrets"
_ROTATE_KEYS = "UseKeysToRotate"


class DatadogRotationRole(Construct):
    """An IAM role for Secrets Manager managed rotation of Datadog secrets.

    Trusts only ``secretsmanager.amazonaws.com`` of this account and region (``aws:SourceAccount``
    and ``aws:SourceArn`` conditions against the confused-deputy problem). It starts with no
    permission; the secret constructs grant what their rotation needs when given this role.
    Share one role between secrets with ``rotation_role=``; :class:`DatadogManagedSecrets` does.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        description: Optional[str] = None,
        allow_get_random_password: bool = False,
    ) -> None:
        """
        :param scope: the parent construct.
        :param construct_id: the construct id (public API: renaming it replaces the role).
        :param description: the role's description.
            Default: - says that Secrets Manager assumes it to rotate Datadog secrets
        :param allow_get_random_password: also allow ``secretsmanager:GetRandomPassword``.
            AWS's generic managed-rotation example grants it; Datadog generates the new keys itself,
            so it is not expected to be needed (UNVERIFIED, reference section 4). Default: False
        """
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        principal = iam.ServicePrincipal(SECRETS_MANAGER).with_conditions(
            {
                "StringEquals": {"aws:SourceAccount": stack.account},
                "ArnLike": {"aws:SourceArn": secret_arn_by_name(stack, "*")},
            }
        )
        self._role = iam.Role(
            self,
            "Resource",
            assumed_by=principal,
            description=description
            or "Assumed by Secrets Manager to rotate Datadog managed external secrets (ddsecrets-constructs).",
        )
        self._policy = iam.ManagedPolicy(
            self,
            "Policy",
            roles=[self._role],
            description="Rotation of Datadog managed external secrets (ddsecrets-constructs).",
        )
        self._statements: dict[str, iam.PolicyStatement] = {}
        self._resources: dict[str, set[str]] = {}
        self._name_prefixes: list[str] = []
        if allow_get_random_password:
            # GetRandomPassword has no resource-level permissions: "*" is the only possible resource.
            self._allow("GetRandomPassword", ("secretsmanager:GetRandomPassword",), "*")
            _nag.acknowledge_wildcard(
                self._policy, "*", "secretsmanager:GetRandomPassword has no resource-level permissions."
            )

    @property
    def role(self) -> iam.IRole:
        """The IAM role."""
        return self._role

    @property
    def role_arn(self) -> str:
        """The role ARN, as the rotation schedules' ``ExternalSecretRotationRoleArn``."""
        return self._role.role_arn

    @property
    def policy(self) -> iam.ManagedPolicy:
        """The managed policy holding every permission of the role; rotation schedules depend on it."""
        return self._policy

    def allow_rotation_of(self, secret: secretsmanager.ISecret, *, secret_name: Optional[str] = None) -> None:
        """Let Secrets Manager rotate ``secret`` with this role (and use its KMS key to do so).

        :param secret: the secret to rotate.
        :param secret_name: its literal name, when known; a secret already covered by
            :meth:`allow_rotation_of_secrets_named` then adds nothing to the policy. Default: - unknown
        """
        if not self._covers(secret_name):
            self._allow(_ROTATE_SECRETS, ROTATION_ACTIONS, secret.secret_arn)
        self._allow_key(secret.encryption_key, rotate=True)

    def allow_rotation_of_secrets_named(
        self, name_prefix: str, encryption_key: Optional[kms.IKey], *, reason: str
    ) -> None:
        """Let Secrets Manager rotate every secret named ``<name_prefix>/...`` in this account and region.

        One statement whatever the number of secrets, so that a family of hundreds of keys stays
        far below the IAM policy size limits; the prefix must belong to the caller alone.

        :param name_prefix: the secret name prefix, without trailing ``/``.
        :param encryption_key: the KMS key of those secrets, if customer-managed.
        :param reason: why the wildcard is acceptable, recorded as the cdk-nag acknowledgment.
        """
        self._name_prefixes.append(f"{name_prefix}/")
        resource = secret_arn_by_name(Stack.of(self), f"{name_prefix}/*")
        self._allow(_ROTATE_SECRETS, ROTATION_ACTIONS, resource)
        self._allow_key(encryption_key, rotate=True)
        _nag.acknowledge_wildcard(self._policy, resource, reason)

    def allow_reading_admin(self, admin_secret: secretsmanager.ISecret, *, secret_name: Optional[str] = None) -> None:
        """Let a child's rotation read (never write) the admin secret it rotates with.

        :param admin_secret: the admin secret.
        :param secret_name: its literal name, when known (see :meth:`allow_rotation_of`). Default: - unknown
        """
        already_rotates = admin_secret.secret_arn in self._resources.get(_ROTATE_SECRETS, ())
        if not (already_rotates or self._covers(secret_name)):
            self._allow("ReadDatadogAdminSecrets", ADMIN_READ_ACTIONS, admin_secret.secret_arn)
        self._allow_key(admin_secret.encryption_key, rotate=False)

    def _covers(self, secret_name: Optional[str]) -> bool:
        return secret_name is not None and any(secret_name.startswith(p) for p in self._name_prefixes)

    def _allow_key(self, key: Optional[kms.IKey], *, rotate: bool) -> None:
        if key is None:
            return
        if not rotate and key.key_arn in self._resources.get(_ROTATE_KEYS, ()):
            return  # already allowed to decrypt (and more) with this key
        sid, actions = (_ROTATE_KEYS, KMS_ACTIONS_TO_ROTATE) if rotate else ("UseKeysToReadAdmin", KMS_ACTIONS_TO_READ)
        # Only through Secrets Manager, in this region: the role cannot use the key directly.
        condition = {"StringEquals": {"kms:ViaService": f"secretsmanager.{Stack.of(self).region}.amazonaws.com"}}
        self._allow(sid, actions, key.key_arn, condition)

    def _allow(
        self, sid: str, actions: Sequence[str], resource: str, conditions: Optional[Mapping[str, Any]] = None
    ) -> None:
        """Add ``resource`` to the statement ``sid``, creating it on first use; no duplicates."""
        statement = self._statements.get(sid)
        if statement is None:
            statement = iam.PolicyStatement(sid=sid, actions=list(actions), conditions=conditions)
            self._statements[sid] = statement
            self._resources[sid] = set()
            self._policy.add_statements(statement)
        if resource not in self._resources[sid]:
            self._resources[sid].add(resource)
            statement.add_resources(resource)
