"""What the API key and application key secrets share: they rotate with an admin secret."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Optional

from aws_cdk import SecretValue, Stack
from aws_cdk import aws_kms as kms
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

if TYPE_CHECKING:  # imported where used: aws_ecs is 0.14 s of every synth that would not use it
    from aws_cdk import aws_ecs as ecs

from . import _iam_budget as budget
from . import defaults
from ._kms_keys import check_not_an_alias, key_arn_of
from ._secret_base import DatadogKeySecretBase, SecretOptions
from ._secret_props import check_flag, check_rotation
from ._secret_string import Field
from ._stack_facts import (
    MIXED_ENVIRONMENT_REASON,
    cannot_refer,
    check_reachable,
    elsewhere,
    facts_of,
    mixed_environment,
    path_of,
    same_stack,
    where_it_must_be,
)
from .admin_key import (
    CROSS_ACCOUNT_REASON,
    DatadogAdminKeySecret,
    IDatadogAdminKeySecret,
    ImportedDatadogAdminKeySecret,
)
from .rotation import KeyRotation, RenderedRotation, check_windows_apart
from .rotation_role import DatadogRotationRole
from .site import DatadogSite
from .validation import Problems, is_unresolved

ADMIN_ALLOWED = (
    "a DatadogAdminKeySecret, or DatadogAdminKeySecret.from_admin_secret_attributes(...) for an admin "
    "secret made elsewhere"
)


@dataclass(frozen=True)
class CheckedKey:
    """What was checked for a key, once: the key is built from it without checking its props again.

    A :class:`DatadogManagedSecrets` family checks its keys' props and hands this to each key
    (``by_family``); the family then annotates the warnings of all its secrets on itself, once, and
    acknowledges cdk-nag's rotation rules on its group of keys. A key built on its own checks its
    props, annotates its warnings and acknowledges the rules on its secret.
    """

    rotation: KeyRotation
    rendered: RenderedRotation
    service_account_id: Optional[str] = None
    """An application key's owner (the family's service account unless the spec names one)."""
    by_family: bool = False
    """Built by a family, which annotates the key's warnings and acknowledges its rotation rules."""


def check_child_rotation(
    problems: Problems,
    prop: str,
    rotation: KeyRotation,
    admin_rotation: Optional[RenderedRotation],
    *,
    given: bool = True,
) -> Optional[RenderedRotation]:
    """Check a child's schedule, and that its windows stay an hour away from its admin's
    (``given``: False for the default of a prop that was not given)."""
    if not check_rotation(problems, prop, rotation):
        return None
    rendered = rotation._render(problems, prop)
    check_windows_apart(problems, prop, rendered, admin_rotation, given=given)
    return rendered


def check_same_environment(
    problems: Problems, child: Construct, admin: DatadogAdminKeySecret, *, refers: bool = True
) -> None:
    """Refuse an admin in another account or region than the child, or else of another App, or of
    another Stage when ``child`` refers to it (said only when the account and region are the same:
    importing the admin would not do otherwise). A family without keys does not refer to its admin."""
    where = elsewhere(admin, child)
    if where is None and same_stack(child, admin):
        return  # one stack: one account and region
    found = len(problems)
    # An admin of another App is said to be that: no env would make it one the keys may use.
    mixed = mixed_environment(admin, child) if refers and where != "of another App" else None
    if mixed is not None:
        problems.add(
            "admin",
            f"the admin secret at {path_of(admin)!r}, {mixed}",
            f"an admin secret in a stack of the same env: {MIXED_ENVIRONMENT_REASON}, so the keys' rotation role "
            "could not read the admin; give both stacks the same env (the same account and region, or neither), "
            "or import the admin by its full ARN with DatadogAdminKeySecret.from_admin_secret_attributes(...)",
        )
        return
    mine, theirs = facts_of(child), facts_of(admin)
    for what, a, b in (("account", mine.account, theirs.account), ("region", mine.region, theirs.region)):
        if is_unresolved(a) or is_unresolved(b):
            if a != b:
                problems.skip("admin", f"same {what} as the admin secret (an environment-agnostic stack)")
        elif a != b:
            problems.add(
                "admin",
                f"the admin secret at {admin.node.path!r}, in {what} {b!r} (this stack: {a!r})",
                f"an admin secret in the same account and region: {CROSS_ACCOUNT_REASON}",
            )
    if where is not None and len(problems) == found and (refers or where == "of another App"):
        here = where_it_must_be(where)
        problems.add(
            "admin",
            f"the DatadogAdminKeySecret at {path_of(admin)!r}, {where}",
            f"an admin secret of {here}: {cannot_refer(where)}; build the admin in {here}, or import it with "
            "DatadogAdminKeySecret.from_admin_secret_attributes(...)",
        )


KEYS_ROLE_READS_TWO_ADMINS = "keysRoleReadsTwoAdmins"


def _warn_if_role_reads_another_admin(problems: Problems, child: Construct, role: object, admin: object) -> None:
    """A keys role shared by the keys of two admins lets each key's rotation read both admin secrets."""
    if not isinstance(role, DatadogRotationRole) or not isinstance(
        admin, (DatadogAdminKeySecret, ImportedDatadogAdminKeySecret)
    ):
        return
    other = role._other_admin_read(admin_arn_for(child, admin))
    if isinstance(other, Construct):  # an admin secret construct of this library
        problems.warn(
            KEYS_ROLE_READS_TWO_ADMINS,
            f"`{problems.name('rotation_role')}` already rotates keys of the admin secret at {path_of(other)!r}: "
            "shared with the keys of this admin, every rotation it runs may read both admin secrets (each "
            "admin's keys can create and delete keys in its Datadog organisation). Give the keys of each admin "
            "a DatadogRotationRole of their own.",
        )


def check_admin_reachable(problems: Problems, user: Construct, admin: object, *, refers: bool = True) -> None:
    """``admin`` as ``user`` would use it: an admin of this app by its App, Stage, account and region
    (:func:`check_same_environment`); an imported one by the KMS key it was given, which ``user``'s
    rotation role is granted (a key of another App or Stage fails at synthesis). ``refers``: whether
    ``user`` refers to the admin (a family without keys does not: what it could not refer to is
    accepted, as it synthesizes)."""
    if isinstance(admin, DatadogAdminKeySecret):
        check_same_environment(problems, user, admin, refers=refers)
    elif refers and isinstance(admin, ImportedDatadogAdminKeySecret):
        key = admin.encryption_key  # a jsii read: once
        check_not_an_alias(problems, "admin", key, imported_admin=True)
        if isinstance(key, kms.Key):
            check_reachable(
                problems,
                "admin",
                key,
                user,
                "KMS key (the imported admin's encryption_key)",
                instead="the admin imported with encryption_key=kms.Key.from_key_arn(...)",
            )


def admin_arn_for(child: Construct, admin: IDatadogAdminKeySecret) -> str:
    """The admin's ARN as ``child`` names it (its schedule's ``adminSecretArn``, its role's grant)."""
    return admin._arn_for(child) if isinstance(admin, DatadogAdminKeySecret) else admin.secret_full_arn


def admin_arn_length(scope: Construct, admin: IDatadogAdminKeySecret) -> int:
    """Upper bound of the admin secret's resolved ARN, for the readers' IAM size budgets."""
    if isinstance(admin, DatadogAdminKeySecret):  # its ARN is a token: the bound it computed
        return admin._arn_length_bound
    arn = admin.secret_full_arn
    if not is_unresolved(arn):
        return len(arn)
    return budget.secret_arn_length(Stack.of(scope), budget.MAX_SECRET_NAME)


class DatadogChildKeySecretBase(DatadogKeySecretBase):
    """Base of the secrets rotated with an admin secret (``adminSecretArn``)."""

    _admin: IDatadogAdminKeySecret
    KEY_FIELD: str
    """The JSON field of the secret value that holds the key (``apiKey`` or ``appKey``)."""

    def ecs_secret(self, task_definition: Optional[ecs.TaskDefinition] = None) -> ecs.Secret:
        """The key as an ECS container secret (``secrets={"DD_API_KEY": x.ecs_secret()}``).

        ECS reads the JSON field at task start, with the task's execution role, which this grants
        read access to this secret only (and KMS decrypt through Secrets Manager).

        :param task_definition: the task definition of the container, needed when it is in another
            stack and the secret has a customer-managed key (the grant then goes into the execution
            role's policy, see :meth:`grant_read`); with a customer-managed key, one of another account,
            or of a stack whose account or region is a deploy-time value where this secret's is not (or
            the other way round), is refused, as is one of another ``App`` or of another ``Stage`` of
            the same account.
            Default: - the task is in this stack
        """
        from aws_cdk import aws_ecs as ecs

        self._refuse_if_elsewhere("task_definition", task_definition, "task definition")
        if task_definition is None or same_stack(task_definition, self) or self._secret.encryption_key is None:
            return ecs.Secret.from_secrets_manager(self._secret, self.KEY_FIELD)
        self._refuse_consumer_out_of_reach("task_definition", task_definition, "task definition")
        self.grant_read(task_definition.obtain_execution_role())
        # The same secret, seen from the task's stack without its key: ECS's own grant then adds
        # only GetSecretValue, and nothing names the task's role in the key policy.
        seen = secretsmanager.Secret.from_secret_complete_arn(
            task_definition, f"DatadogSecret{self.node.addr}", self._secret.secret_arn
        )
        return ecs.Secret.from_secrets_manager(seen, self.KEY_FIELD)

    def _key_value(self) -> SecretValue:
        return self._secret.secret_value_from_json(self.KEY_FIELD)

    @property
    def admin(self) -> IDatadogAdminKeySecret:
        """The admin secret whose keys rotate this one."""
        return self._admin

    @property
    def site(self) -> DatadogSite:
        """The Datadog site of this key, its admin's (``.value`` is the string, e.g. ``"datadoghq.eu"``),
        for its consumers: a key is valid on its own site only, and a consumer not told it sends to
        ``datadoghq.com``. Raises :class:`DdSecretsValidationError` for an admin imported without
        ``site``."""
        site = self._admin.site
        if site is None:
            problems = Problems()
            problems.add(
                "admin",
                f"the admin imported at {path_of(self._admin)!r} without site",
                "an admin whose site is known: import it with DatadogAdminKeySecret.from_admin_secret_attributes("
                "..., site=DatadogSite.EU1) (its keys' site), or read the site where the admin is made",
            )
            problems.raise_if_any(self)
        assert site is not None
        return site

    def _check_props(
        self,
        check_key: Callable[[Problems, bool], Optional[str]],
        *,
        admin: object,
        rotation: Optional[KeyRotation],
        options: SecretOptions,
        validate_key_format: object,
    ) -> CheckedKey:
        """Check every prop of a key built on its own (not by a family); raise one error for all
        problems, or annotate the warnings. ``check_key(problems, validate_key_format)`` checks the
        key's own props and returns an application key's owner."""
        problems = Problems()
        validate = check_flag(problems, "validate_key_format", validate_key_format)
        problems.check_type("admin", admin, (DatadogAdminKeySecret, ImportedDatadogAdminKeySecret), ADMIN_ALLOWED)
        check_admin_reachable(problems, self, admin)
        self._check_secret_props(
            problems, options, rotates_admin=False, arn_length=self._estimated_arn_length(options.secret_name)
        )
        given = rotation is not None
        rotation = rotation if rotation is not None else defaults.KEY_ROTATION
        # An imported admin knows its schedule only when given one (it warns otherwise).
        rendered = check_child_rotation(
            problems, "rotation", rotation, getattr(admin, "_checked_rotation", None), given=given
        )
        owner = check_key(problems, validate)
        _warn_if_role_reads_another_admin(problems, self, options.rotation_role, admin)
        problems.raise_if_any(self)
        assert rendered is not None
        return CheckedKey(rotation, rendered, service_account_id=owner)

    def _create_child(
        self,
        *,
        admin: IDatadogAdminKeySecret,
        secret_type: str,
        fields: dict[str, Field],
        rendered: RenderedRotation,
        rotation: KeyRotation,
        options: SecretOptions,
        default_description: str,
        acknowledge_rotation: bool,
    ) -> None:
        self._admin = admin
        self._create_secret(
            secret_type=secret_type,
            fields=fields,
            options=options,
            default_description=default_description,
            acknowledge_rotation=acknowledge_rotation,
        )
        admin_arn = admin_arn_for(self, admin)
        self._create_rotation(rendered=rendered, rotation=rotation, options=options, admin_secret_arn=admin_arn)
        admin_key = admin.encryption_key
        self._wait_for(
            self._rotation_role._grant_admin_read(
                admin,
                admin_arn,
                arn_length=admin_arn_length(self, admin),
                key_arn=key_arn_of(admin_key),
            )
        )
        if isinstance(admin, DatadogAdminKeySecret) and same_stack(admin, self):
            # Create (and first rotate) children only once their admin's rotation is set up.
            self._wait_for([admin.rotation_schedule])
