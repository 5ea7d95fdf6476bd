"""DatadogRotationRole: the IAM role Secrets Manager assumes to rotate Datadog secrets.

Least privilege against a hostile neighbour, i.e. another principal of the same account that can
create secrets under any name, may pass our roles and reads our templates (reference section 4):

- The role is trusted by Secrets Manager of this account for exactly the secrets it rotates
  (``aws:SourceArn`` lists their full ARNs). Only a :class:`DatadogManagedSecrets` family too large
  for the 2,048-character trust policy falls back to its own name prefixes; never ``secret:*``.
- It may write (``DescribeSecret``, ``GetSecretValue``, ``PutSecretValue``,
  ``UpdateSecretVersionStage``) exactly the secrets it rotates, by full ARN, and read
  (``GetSecretValue``) exactly the admin secrets its children rotate with. No name wildcard, no
  ``secretsmanager:resource/Type`` condition (the console's trap: it cannot read the admin secret).
- It may use a KMS key only through Secrets Manager in the stack's region and only for the
  secrets above (``kms:EncryptionContext:SecretARN``, the context Secrets Manager encrypts with).
- A role rotates either admin secrets or API/application keys, never both: a child's rotation
  session must not be able to write the admin secret it reads.

Statements live in customer-managed policies (HIPAA/NIST/PCI packs flag inline policies), as
many as the 6,144-character limit needs (and one more for a secret granted after CDK has read a
policy's statements, which it keeps); each rotation schedule depends on the policies holding
its statements, because Secrets Manager checks the role when rotation is set up. The only
wildcard, ``secretsmanager:GetRandomPassword`` on ``*``, sits in a policy of its own so that its
cdk-nag acknowledgment cannot hide anything else.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Optional

import jsii
from aws_cdk import IListProducer, IResolveContext, IStableListProducer, Lazy, Stack
from aws_cdk import aws_iam as iam
from constructs import Construct, IValidation

from . import _iam_budget as budget
from . import _nag
from ._secret_props import check_flag
from ._stack_facts import check_construct_id
from .defaults import ADMIN_READ_ACTIONS, KMS_ACTIONS_TO_READ, KMS_ACTIONS_TO_ROTATE, ROTATION_ACTIONS
from .validation import Problems, describe, gives_back_if_not_built, is_unresolved

SECRETS_MANAGER = "secretsmanager.amazonaws.com"
ADMIN_SECRETS = "admin secrets"
KEY_SECRETS = "API and application keys"
ROLE_DESCRIPTION_LIMIT = 1000  # IAM's limit for a role description
# IAM's roleDescriptionType (its service model): tab, line ends, printable ASCII and Latin-1.
_ROLE_DESCRIPTION = re.compile("[\t\n\r\u0020-\u007e\u00a1-\u00ff]*")
GET_RANDOM_PASSWORD_REASON = "secretsmanager:GetRandomPassword has no resource-level permissions."


@jsii.implements(IStableListProducer)
class _ListOf:
    """A list that is still growing while the constructs are built; read once, at synth time.

    Cached (``Lazy.list``): CDK asks for it once and keeps the answer, instead of calling back into
    Python at every resolution of the template (three per synth, each a jsii round trip carrying
    the whole list). Reading it marks its policy read (:attr:`_Chunk.read`).
    """

    def __init__(self, items: list[str], chunk: _Chunk) -> None:
        self._items = items
        self._chunk = chunk

    def produce(self) -> Optional[list[str]]:
        self._chunk.read = True
        return list(self._items) or None


@dataclass
class _Statement:
    """One statement whose resources (and encryption-context ARNs) grow as secrets are added."""

    resources: list[str] = field(default_factory=list)
    secret_arns: list[str] = field(default_factory=list)


@dataclass
class _Chunk:
    """One managed policy and what it holds, with its estimated resolved size."""

    policy: iam.ManagedPolicy
    size: int = budget.POLICY_OVERHEAD
    statements: dict[str, _Statement] = field(default_factory=dict)
    read: bool = False
    """Whether CDK has read its statements (e.g. ``stack.resolve`` before every secret was added):
    it keeps what it read, so a secret granted afterwards goes into a new policy of the role."""

    def takes(self, cost: int) -> bool:
        """Whether a grant of ``cost`` characters can still go into this policy: CDK has not read
        it yet and it stays within IAM's size limit."""
        return not self.read and self.size + cost <= budget.MANAGED_POLICY_LIMIT


@dataclass(frozen=True)
class _Grant:
    sid: str
    actions: Sequence[str]
    key_sid: str
    key_actions: Sequence[str]


_ROTATE = _Grant("RotateDatadogSecrets", ROTATION_ACTIONS, "UseKeysToRotate", KMS_ACTIONS_TO_ROTATE)
_READ_ADMIN = _Grant("ReadDatadogAdminSecrets", ADMIN_READ_ACTIONS, "UseKeysToReadAdmin", KMS_ACTIONS_TO_READ)


def grant_cost(chunk_statements: dict[str, Any], grant: _Grant, arn_length: int, key_arn: Optional[str]) -> int:
    """Estimated characters that adding one secret (and its key) adds to a policy."""
    cost = budget.arn_entry(arn_length)
    if grant.sid not in chunk_statements:
        cost += budget.STATEMENT_OVERHEAD
    if key_arn is not None:
        cost += budget.arn_entry(arn_length)
        key_statement = chunk_statements.get(grant.key_sid)
        if key_statement is None:
            cost += budget.KMS_STATEMENT_OVERHEAD + budget.arn_entry(budget.KEY_ARN)
        elif key_arn not in key_statement.resources:
            cost += budget.arn_entry(budget.KEY_ARN)
    return cost


def policies_needed(arn_lengths: Sequence[int], *, encrypted: bool, read_admin_length: Optional[int]) -> int:
    """How many managed policies a role needs to rotate secrets of these ARN lengths (a dry run of
    :class:`DatadogRotationRole`'s packing, so a family can check its size before building)."""
    key = "key" if encrypted else None
    chunks: list[dict[str, Any]] = [{}]
    sizes = [budget.POLICY_OVERHEAD]
    entries = [(_ROTATE, length) for length in arn_lengths]
    if read_admin_length is not None:
        entries.insert(1, (_READ_ADMIN, read_admin_length))
    for grant, length in entries:
        cost = grant_cost(chunks[-1], grant, length, key)
        if sizes[-1] + cost > budget.MANAGED_POLICY_LIMIT:
            chunks.append({})
            sizes.append(budget.POLICY_OVERHEAD)
            cost = grant_cost(chunks[-1], grant, length, key)
        chunks[-1].setdefault(grant.sid, _Statement())
        if key is not None:
            chunks[-1].setdefault(grant.key_sid, _Statement(resources=[key]))
        sizes[-1] += cost
    return len(chunks)


class DatadogRotationRole(Construct):
    """An IAM role for Secrets Manager managed rotation of Datadog secrets.

    It starts with no permission and trusts no secret; each secret construct given this role
    (``rotation_role=``) adds exactly what its rotation needs. Share one role between API and
    application keys if you like; an admin secret needs a role of its own (the default).
    """

    @gives_back_if_not_built
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        description: Optional[str] = None,
        allow_get_random_password: bool = True,
    ) -> None:
        """
        :param scope: the parent construct.
        :param construct_id: the construct id (public API: renaming it replaces the role).
        :param description: the role's description.
            Default: - says that Secrets Manager assumes it to rotate Datadog secrets
        :param allow_get_random_password: allow ``secretsmanager:GetRandomPassword`` (on ``*``: it
            has no resource-level permissions), in a managed policy of its own. AWS's documented
            managed-rotation role and the role of the seed article both have it; whether Datadog
            rotation needs it is UNVERIFIED (reference section 8). Default: True
        """
        check_construct_id(scope, construct_id, "DatadogRotationRole")
        super().__init__(scope, construct_id)
        problems = Problems()
        text_ok = problems.check_text(
            "description", description, "a description string", max_length=ROLE_DESCRIPTION_LIMIT
        )
        literal = description if isinstance(description, str) and not is_unresolved(description) else None
        if text_ok and literal is None and description is not None:
            problems.skip("description", "characters IAM accepts in a description: tabs, line ends and Latin-1")
        elif text_ok and literal is not None and not _ROLE_DESCRIPTION.fullmatch(literal):
            problems.add(
                "description",
                describe(description),
                "a description IAM accepts: tabs, line ends and the characters of Latin-1 (no en dash, "
                "no emoji, no control character)",
            )
        allow_get_random_password = check_flag(problems, "allow_get_random_password", allow_get_random_password)
        problems.raise_if_any(self)
        stack = Stack.of(self)
        self._use: Optional[str] = None
        self._trusted: list[str] = []
        self._trust_size = budget.TRUST_OVERHEAD
        self._trust_fallback: list[str] = []
        principal = iam.ServicePrincipal(SECRETS_MANAGER).with_conditions(
            {
                "StringEquals": {"aws:SourceAccount": stack.account},
                "ArnLike": {"aws:SourceArn": Lazy.uncached_list(_TrustedArns(self))},
            }
        )
        self._role = iam.Role(
            self,
            "Resource",
            assumed_by=principal,
            description=description
            or "Assumed by Secrets Manager to rotate Datadog managed external secrets (ddsecrets-constructs).",
        )
        self._role_arn = self._role.role_arn  # read once: every schedule the role rotates needs it
        self._chunks = [_Chunk(self._new_policy("Policy"))]
        # Which policy already grants a secret (by statement id and ARN): a secret granted twice,
        # e.g. the admin read by every child, is looked up, not searched for in every policy.
        self._granted: dict[tuple[str, str], _Chunk] = {}
        self._get_random_password: Optional[iam.CfnManagedPolicy] = None
        self._admins_read: dict[str, object] = {}  # ARN as granted -> the admin secret whose keys this role rotates
        if allow_get_random_password:
            # An L1 policy: it has no add_statements, so nothing can join the acknowledged wildcard.
            self._get_random_password = iam.CfnManagedPolicy(
                self,
                "GetRandomPassword",
                roles=[self._role.role_name],
                description="GetRandomPassword for Datadog secret rotation (ddsecrets-constructs).",
                policy_document={
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": "GetRandomPassword",
                            "Effect": "Allow",
                            "Action": "secretsmanager:GetRandomPassword",
                            "Resource": "*",
                        }
                    ],
                },
            )
            _nag.acknowledge_wildcard(self._get_random_password, "*", GET_RANDOM_PASSWORD_REASON)
        self.node.add_validation(_RoleIsUsed(self))

    @property
    def role(self) -> iam.IRole:
        """The IAM role."""
        return self._role

    @property
    def role_arn(self) -> str:
        """The role ARN, as the rotation schedules' ``ExternalSecretRotationRoleArn``."""
        return self._role_arn

    @property
    def policy(self) -> iam.ManagedPolicy:
        """The first managed policy of the role (see :attr:`policies` for all of them)."""
        return self._chunks[0].policy

    @property
    def policies(self) -> Sequence[iam.ManagedPolicy]:
        """The managed policies holding the role's rotation permissions (``GetRandomPassword``, when
        allowed, is in a separate policy that cannot be changed)."""
        return [chunk.policy for chunk in self._chunks]

    @property
    def rotates(self) -> Optional[str]:
        """What the role rotates: ``"admin secrets"``, ``"API and application keys"``, or None yet."""
        return self._use

    def _check_rotation(self, problems: Problems, prop: str, *, rotates_admin: bool, arn_length: int) -> None:
        """Record why this role cannot also rotate one more secret, if it cannot (synth-time check).

        :param problems: where to record what is wrong.
        :param prop: the prop that passed this role, e.g. ``"rotation_role"``.
        :param rotates_admin: whether the secret is an admin secret.
        :param arn_length: upper bound of the secret's resolved ARN length.

        Only a secret given this role as ``rotation_role`` is checked here (a family checks its own
        keys): such a secret is never under a family's name prefixes (names are claimed app-wide), so
        its exact ARN must fit in the trust policy even when the role is a family's keys role.
        """
        use = ADMIN_SECRETS if rotates_admin else KEY_SECRETS
        if self._use is not None and self._use != use:
            problems.add(
                prop,
                f"the DatadogRotationRole at {self.node.path!r}, which already rotates {self._use}",
                "a role that rotates admin secrets only, or API and application keys only: a child's rotation "
                "session must never be able to write the admin secret it reads. Give the admin its own role "
                "(omit `rotation_role`) and share another role between the keys",
            )
        trusted = self._trust_size + budget.arn_entry(arn_length)
        if trusted > budget.TRUST_POLICY_LIMIT:
            problems.add(
                prop,
                f"the DatadogRotationRole at {self.node.path!r}, already trusted by {len(self._trusted)} secrets"
                + (" (a family's keys role, trusting its keys by their name prefixes)" if self._trust_fallback else ""),
                f"a role whose trust policy still fits IAM's {budget.TRUST_POLICY_LIMIT} characters with one more "
                "exact secret ARN; use another DatadogRotationRole, or a DatadogManagedSecrets family",
            )
        limit = self._policy_limit()
        if len(self._chunks) >= limit and not self._chunks[-1].takes(budget.STATEMENT_OVERHEAD):
            problems.add(
                prop,
                f"the DatadogRotationRole at {self.node.path!r}, whose {limit} managed policies are full",
                "a role with room left (IAM attaches at most 10 managed policies to a role); use another role",
            )

    def _policy_limit(self) -> int:
        return budget.MANAGED_POLICIES_PER_ROLE - (1 if self._get_random_password else 0)

    def _trust_name_prefixes(self, patterns: Sequence[str]) -> None:
        """Let the trust policy name these ARN patterns instead of exact ARNs once those no longer
        fit in 2,048 characters (a :class:`DatadogManagedSecrets` family's own prefixes).

        :param patterns: secret ARN patterns, e.g. ``arn:...:secret:<prefix>/api-keys/*``.
        """
        self._trust_fallback.extend(patterns)

    def _grant_rotation(
        self, secret_arn: str, *, arn_length: int, key_arn: Optional[str], rotates_admin: bool
    ) -> list[Construct]:
        """Let Secrets Manager rotate one secret with this role; return the policies it needs.

        Call :meth:`check_rotation` first: this does not check again.
        """
        self._use = ADMIN_SECRETS if rotates_admin else KEY_SECRETS
        self._trusted.append(secret_arn)
        self._trust_size += budget.arn_entry(arn_length)
        return self._grant(_ROTATE, secret_arn, arn_length, key_arn)

    def _grant_admin_read(
        self, admin: object, admin_arn: str, *, arn_length: int, key_arn: Optional[str]
    ) -> list[Construct]:
        """Let a child's rotation read (never write) the admin secret; return the policies it needs."""
        self._admins_read.setdefault(admin_arn, admin)
        return self._grant(_READ_ADMIN, admin_arn, arn_length, key_arn)

    def _other_admin_read(self, admin_arn: str) -> Optional[object]:
        """An admin secret of another ARN than ``admin_arn`` (as it would be granted) that this role
        already reads for the keys it rotates (one admin imported twice is one admin)."""
        return next((read for arn, read in self._admins_read.items() if arn != admin_arn), None)

    def _grant(self, grant: _Grant, secret_arn: str, arn_length: int, key_arn: Optional[str]) -> list[Construct]:
        chunk = self._granted.get((grant.sid, secret_arn))
        if chunk is None:
            chunk = self._chunks[-1]
            cost = grant_cost(chunk.statements, grant, arn_length, key_arn)
            if not chunk.takes(cost):
                chunk = _Chunk(self._new_policy(f"Policy{len(self._chunks) + 1}"))
                self._chunks.append(chunk)
                cost = grant_cost(chunk.statements, grant, arn_length, key_arn)
            chunk.size += cost
            self._statement(chunk, grant.sid, grant.actions).resources.append(secret_arn)
            if key_arn is not None:
                key_statement = self._statement(chunk, grant.key_sid, grant.key_actions, encryption_context=True)
                if key_arn not in key_statement.resources:
                    key_statement.resources.append(key_arn)
                key_statement.secret_arns.append(secret_arn)
            self._granted[grant.sid, secret_arn] = chunk
        needed: list[Construct] = [chunk.policy]
        return needed + ([self._get_random_password] if self._get_random_password else [])

    def _statement(
        self, chunk: _Chunk, sid: str, actions: Sequence[str], *, encryption_context: bool = False
    ) -> _Statement:
        found = chunk.statements.get(sid)
        if found is not None:
            return found
        found = chunk.statements[sid] = _Statement()
        conditions = None
        if encryption_context:
            # Only through Secrets Manager in this region, and only for these secrets' encryption
            # context (Secrets Manager encrypts with SecretARN = the secret's full ARN).
            conditions = {
                "StringEquals": {
                    "kms:ViaService": f"secretsmanager.{Stack.of(self).region}.amazonaws.com",
                    "kms:EncryptionContext:SecretARN": Lazy.list(_ListOf(found.secret_arns, chunk)),
                }
            }
        chunk.policy.add_statements(
            iam.PolicyStatement(
                sid=sid,
                actions=list(actions),
                resources=Lazy.list(_ListOf(found.resources, chunk)),
                conditions=conditions,
            )
        )
        return found

    def _new_policy(self, construct_id: str) -> iam.ManagedPolicy:
        return iam.ManagedPolicy(
            self,
            construct_id,
            roles=[self._role],
            description="Rotation of Datadog managed external secrets (ddsecrets-constructs).",
        )

    def _trusts_name_prefixes(self) -> bool:
        """Whether the trust policy names the fallback patterns: exact ARNs would not fit."""
        return bool(self._trust_fallback) and self._trust_size > budget.TRUST_POLICY_LIMIT

    def _trusted_arns(self) -> list[str]:
        """What the trust policy's ``aws:SourceArn`` lists: the exact ARNs, or the fallback patterns
        when the exact ARNs would not fit."""
        if self._trusts_name_prefixes():
            return list(self._trust_fallback)
        return list(self._trusted)


@jsii.implements(IListProducer)
class _TrustedArns:
    def __init__(self, role: DatadogRotationRole) -> None:
        self._role = role

    def produce(self, context: IResolveContext) -> Optional[list[str]]:
        return self._role._trusted_arns() or None


@jsii.implements(IValidation)
class _RoleIsUsed:
    """An unused role would synthesize a trust policy without ``aws:SourceArn``: refuse it."""

    def __init__(self, role: DatadogRotationRole) -> None:
        self._role = role

    def validate(self) -> list[str]:
        if self._role._trusted_arns():
            return []
        return [
            f"{self._role.node.path}: this DatadogRotationRole rotates no secret; pass it as `rotation_role` "
            "to a Datadog secret construct or remove it (an unused role would trust every secret of the account)"
        ]
