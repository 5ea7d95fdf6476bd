"""DatadogManagedSecrets: one admin secret and its named API and application keys.

The admin rotates with a role of its own (``Admin/RotationRole``); the keys share one role
(``RotationRole``) that lists each key's exact ARN, split over as many managed policies as IAM's
size limit needs, and may only read the admin secret. Secrets are named under a prefix the family
owns (``<prefix>/admin``, ``<prefix>/application-keys/<name>``, ``<prefix>/api-keys/<name>``); no
other construct of the app may use a name under it, and the keys role's trust policy falls back to
``secret:<prefix>/application-keys/*`` and ``.../api-keys/*`` only when the exact ARNs no longer
fit its 2,048 characters. The names also make the Datadog keys that rotation creates readable
(``aws-sm-app-key-<secret name>-YYYYMMDD-XXXXXX``).

A family can also add keys to an admin secret it does not own (``admin=``: an admin of this app in
another stack, or :meth:`DatadogAdminKeySecret.from_admin_secret_attributes`), so that one Datadog
organisation's keys can be spread over several stacks; it then has no ``Admin`` child and its keys
role reads that admin.

Construct ids (public API): ``Admin``, ``RotationRole``, ``ApplicationKeys/<name>``, ``ApiKeys/<name>``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Optional, TypeVar, Union

from aws_cdk import Annotations, RemovalPolicy, SecretValue, Stack
from aws_cdk import aws_events as events
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from constructs import Construct

from . import _cfn_limits as cfn_limits
from . import _datadog_budget as api_key_budget
from . import _iam_budget as budget
from . import _nag, defaults, key_material
from ._arns import secret_arn_by_name
from ._child_secret import (
    ADMIN_ALLOWED,
    CheckedKey,
    admin_arn_length,
    check_admin_reachable,
    check_child_rotation,
)
from ._names import claim
from ._secret_base import check_secret_name, hand_over
from ._secret_props import check_description, check_encryption_key, check_flag, check_removal_policy
from ._stack_facts import adopt, check_construct_id, facts_of, path_of
from .admin_key import (
    CheckedAdmin,
    DatadogAdminKeySecret,
    IDatadogAdminKeySecret,
    ImportedDatadogAdminKeySecret,
    check_admin_props,
)
from .alerts import DatadogRotationAlerts
from .api_key import DatadogApiKeySecret, check_api_key_props
from .application_key import DatadogApplicationKeySecret, check_application_key_props
from .rotation import KeyRotation, RenderedRotation
from .rotation_role import DatadogRotationRole, policies_needed
from .site import SiteInput
from .validation import WARNING_PREFIX, Problems, gives_back_if_not_built, is_unresolved, redact

APPLICATION_KEYS = "application-keys"
API_KEYS = "api-keys"

# Child names become construct ids and secret names: keep them to characters valid in both.
_CHILD_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.@+=-]{0,63}")
_CHILD_NAME_ALLOWED = "1-64 characters: letters, digits and _.@+=- (starting with a letter or digit)"

# The props that describe the family's own admin secret; `admin=` replaces all of them.
_ADMIN_PROPS = ("site", "service_account_id", "admin_api_key", "admin_api_key_id", "admin_app_key", "admin_app_key_id")
_ADMIN_ONLY_PROPS = (*_ADMIN_PROPS, "admin_rotation", "datadog_organization")

AnyAdmin = Union[DatadogAdminKeySecret, ImportedDatadogAdminKeySecret]


@dataclass(frozen=True)
class ApplicationKeySpec:
    """One application key of a :class:`DatadogManagedSecrets` family.

    :param app_key: the application key (a ``SecretValue``).
    :param app_key_id: UUID of the application key.
    :param service_account_id: owner of the key; must be the family's. Default: - the family's
    :param rotation: this key's schedule. Default: - the family's ``key_rotation``
    :param description: the secret description. Default: - says what the secret is
    """

    app_key: SecretValue
    app_key_id: str
    service_account_id: Optional[str] = None
    rotation: Optional[KeyRotation] = None
    description: Optional[str] = None


@dataclass(frozen=True)
class ApiKeySpec:
    """One API key of a :class:`DatadogManagedSecrets` family.

    :param api_key: the API key (a ``SecretValue``).
    :param api_key_id: UUID of the API key.
    :param rotation: this key's schedule. Default: - the family's ``key_rotation``
    :param description: the secret description. Default: - says what the secret is
    """

    api_key: SecretValue
    api_key_id: str
    rotation: Optional[KeyRotation] = None
    description: Optional[str] = None


class DatadogManagedSecrets(Construct):
    """A Datadog admin key secret with its API and application key secrets, rotated by one role.

    Example::

        family = DatadogManagedSecrets(self, "Datadog",
            site=DatadogSite.EU1, service_account_id=service_account_id,
            admin_api_key=SecretValue.cfn_parameter(p1), admin_api_key_id=api_key_id,
            admin_app_key=SecretValue.cfn_parameter(p2), admin_app_key_id=app_key_id,
            api_keys={"agent": ApiKeySpec(api_key=SecretValue.cfn_parameter(p3), api_key_id=...)})
        family.api_key("agent").grant_read(task_role)

    Keys of the same admin in another stack (the admin's props are then left out)::

        DatadogManagedSecrets(team_stack, "Datadog", admin=family.admin,
            api_keys={"team-a": ApiKeySpec(...)})
    """

    @gives_back_if_not_built
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        site: Optional[SiteInput] = None,
        service_account_id: Optional[str] = None,
        admin_api_key: Optional[SecretValue] = None,
        admin_api_key_id: Optional[str] = None,
        admin_app_key: Optional[SecretValue] = None,
        admin_app_key_id: Optional[str] = None,
        admin: Optional[IDatadogAdminKeySecret] = None,
        application_keys: Optional[Mapping[str, ApplicationKeySpec]] = None,
        api_keys: Optional[Mapping[str, ApiKeySpec]] = None,
        admin_rotation: Optional[KeyRotation] = None,
        key_rotation: Optional[KeyRotation] = None,
        encryption_key: Optional[kms.IKey] = None,
        removal_policy: RemovalPolicy = defaults.REMOVAL_POLICY,
        secret_name_prefix: Optional[str] = None,
        validate_key_format: bool = True,
        datadog_organization: Optional[str] = None,
    ) -> None:
        """
        :param scope: the parent construct.
        :param construct_id: the construct id (public API: renaming it replaces every secret).
        :param site: the Datadog site, e.g. ``DatadogSite.US1``.
            Default: - none: required unless ``admin`` is given
        :param service_account_id: UUID of the service account owning the admin and application keys.
            Default: - none: required unless ``admin`` is given
        :param admin_api_key: the admin API key (a ``SecretValue``).
            Default: - none: required unless ``admin`` is given
        :param admin_api_key_id: UUID of the admin API key.
            Default: - none: required unless ``admin`` is given
        :param admin_app_key: the admin application key (a ``SecretValue``).
            Default: - none: required unless ``admin`` is given
        :param admin_app_key_id: UUID of the admin application key.
            Default: - none: required unless ``admin`` is given
        :param admin: an existing admin secret whose keys rotate this family's keys: a
            ``DatadogAdminKeySecret`` of this app (another stack of the same account and region, or
            another family's ``admin``) or ``DatadogAdminKeySecret.from_admin_secret_attributes(...)``.
            Excludes ``site``, ``service_account_id``, ``admin_api_key(_id)``, ``admin_app_key(_id)``,
            ``admin_rotation`` and ``datadog_organization`` (they belong to that admin).
            Default: - the family creates its own admin secret from the admin props
        :param application_keys: application keys by name. Default: - none
        :param api_keys: API keys by name. Default: - none
        :param admin_rotation: the admin's schedule. Default: - monthly on the 15th, 02:00-04:00 UTC
        :param key_rotation: the keys' schedule. Default: - monthly on the 1st, 06:00-08:00 UTC
        :param encryption_key: customer-managed KMS key of every secret. Default: - the AWS managed key
        :param removal_policy: what happens to the secrets when they leave the stack. Default: RemovalPolicy.RETAIN
        :param secret_name_prefix: prefix of the secret names, owned by this family alone.
            Default: - ``<stack name>/<construct id>``
        :param validate_key_format: refuse literal keys that do not look like Datadog keys. Default: True
        :param datadog_organization: label of the Datadog organisation of the family's admin, for the
            app-wide API-key budget (see :class:`DatadogAdminKeySecret`). Default: - known by ``service_account_id``
        """
        check_construct_id(scope, construct_id, "DatadogManagedSecrets")
        super().__init__(scope, construct_id)
        adopt(self, scope, construct_id)
        # Check every prop of the family and its secrets first, once: one error lists all problems,
        # the warnings of the family and of all its secrets are annotated on the family (naming each
        # prop as given to it; identical ones once), and each secret is then built from what was
        # checked for it (CheckedAdmin, CheckedKey).
        problems = Problems()
        application_keys = _check_mapping(problems, "application_keys", application_keys, "ApplicationKeySpec")
        api_keys = _check_mapping(problems, "api_keys", api_keys, "ApiKeySpec")
        validate_key_format = check_flag(problems, "validate_key_format", validate_key_format)
        check_encryption_key(problems, encryption_key, user=self)
        check_removal_policy(problems, removal_policy)
        key_rotation_given = key_rotation is not None
        key_rotation = key_rotation if key_rotation is not None else defaults.KEY_ROTATION
        prefix = secret_name_prefix if secret_name_prefix is not None else _default_prefix(self)
        own_admin: dict[str, Any] = {
            "site": site,
            "service_account_id": service_account_id,
            "admin_api_key": admin_api_key,
            "admin_api_key_id": admin_api_key_id,
            "admin_app_key": admin_app_key,
            "admin_app_key_id": admin_app_key_id,
            "admin_rotation": admin_rotation,
            "datadog_organization": datadog_organization,
        }
        if admin is not None:
            checked_admin = _check_existing_admin(
                self, problems, admin, own_admin, has_keys=bool(application_keys or api_keys)
            )
        else:
            checked_admin = _check_own_admin(self, problems, own_admin, validate_key_format)
        # What checking `key_rotation` skips or warns is said only when a key rotates on it, and
        # its distance from the admin's windows is checked only then.
        on_family_schedule = any(
            getattr(spec, "rotation", None) is None for spec in (*application_keys.values(), *api_keys.values())
        )
        key_rendered = check_child_rotation(
            problems if on_family_schedule else problems.problems_only(),
            "key_rotation",
            key_rotation,
            checked_admin.rendered if on_family_schedule else None,
            given=key_rotation_given,
        )
        _check_prefix(self, problems, prefix)
        if admin is None and isinstance(prefix, str):
            claim(problems, "secret_name_prefix", self, f"{prefix}/admin", owner_path=checked_admin.new_admins[0])
        key_material.resolve_ahead(
            facts_of(self).stack,
            [getattr(spec, "app_key", None) for spec in application_keys.values()]
            + [getattr(spec, "api_key", None) for spec in api_keys.values()],
        )
        keys = _KeyChecks(self, problems, prefix, validate_key_format, checked_admin)
        family_schedule = (key_rotation, key_rendered)
        checked_apps = keys.application_keys(application_keys, family_schedule)
        checked_apis = keys.api_keys(api_keys, family_schedule)
        admin_length = (
            admin_arn_length(self, admin)
            if isinstance(admin, (DatadogAdminKeySecret, ImportedDatadogAdminKeySecret))
            else None
        )
        _check_keys_role_fits(
            self, problems, prefix, application_keys, api_keys, encryption_key is not None, admin_length
        )
        if checked_admin.organization is not None:
            api_key_budget.check(
                problems,
                "api_keys",
                self,
                checked_admin.organization,
                admins=checked_admin.new_admins,
                api_keys=tuple(f"{path_of(self)}/ApiKeys/{name}" for name in api_keys),
            )
        # One error for every problem, or the warnings of the family and of all its secrets: here,
        # once (a warning per secret would say the same a hundred times, a jsii round trip each).
        problems.raise_if_any(self)
        cfn_limits.watch(self, keys=len(application_keys) + len(api_keys))

        self._secret_name_prefix = prefix
        # The keys' KMS key: with `admin=`, the admin's key may be another one.
        self._encryption_key = encryption_key
        # The admin rotates with a role of its own (Admin/RotationRole); the keys share this one,
        # which may only read the admin secret.
        self._rotation_role: Optional[DatadogRotationRole] = None
        if application_keys or api_keys:
            self._rotation_role = DatadogRotationRole(self, "RotationRole")
            stack = Stack.of(self)
            self._rotation_role._trust_name_prefixes(
                [secret_arn_by_name(stack, f"{prefix}/{group}/*") for group in (APPLICATION_KEYS, API_KEYS)]
            )
        self._admin: AnyAdmin
        if checked_admin.existing is not None:
            self._admin = checked_admin.existing
        else:
            hand_over(self, "Admin", checked_admin.handed_over())
            self._admin = DatadogAdminKeySecret(
                self,
                "Admin",
                **checked_admin.props,
                rotation=checked_admin.rotation,
                encryption_key=encryption_key,
                removal_policy=removal_policy,
                secret_name=f"{prefix}/admin",
                validate_key_format=validate_key_format,
                datadog_organization=datadog_organization,
            )
        shared: dict[str, Any] = {
            "admin": self._admin,
            "rotation_role": self._rotation_role,
            "encryption_key": encryption_key,
            "removal_policy": removal_policy,
            "validate_key_format": validate_key_format,
        }
        self._application_keys: dict[str, DatadogApplicationKeySecret] = {}
        self._api_keys: dict[str, DatadogApiKeySecret] = {}
        if application_keys:
            group = Construct(self, "ApplicationKeys")
            adopt(group, self, "ApplicationKeys")
            # Once for all its keys, every one rotated; the stack's validation refuses another secret in it.
            _nag.acknowledge_key_group(group, path_of(group), facts_of(self).stack)
            for name, app in application_keys.items():
                hand_over(group, name, checked_apps[name])
                self._application_keys[name] = DatadogApplicationKeySecret(
                    group,
                    name,
                    app_key=app.app_key,
                    app_key_id=app.app_key_id,
                    service_account_id=app.service_account_id,
                    rotation=checked_apps[name].rotation,
                    secret_name=f"{prefix}/{APPLICATION_KEYS}/{name}",
                    description=app.description,
                    **shared,
                )
        if api_keys:
            group = Construct(self, "ApiKeys")
            adopt(group, self, "ApiKeys")
            # Once for all its keys, every one rotated; the stack's validation refuses another secret in it.
            _nag.acknowledge_key_group(group, path_of(group), facts_of(self).stack)
            for name, api in api_keys.items():
                hand_over(group, name, checked_apis[name])
                self._api_keys[name] = DatadogApiKeySecret(
                    group,
                    name,
                    api_key=api.api_key,
                    api_key_id=api.api_key_id,
                    rotation=checked_apis[name].rotation,
                    secret_name=f"{prefix}/{API_KEYS}/{name}",
                    description=api.description,
                    **shared,
                )
        if self._rotation_role is not None and self._rotation_role._trusts_name_prefixes():
            _warn_trust_by_prefix(self._rotation_role, prefix, len(application_keys) + len(api_keys))

    @property
    def admin(self) -> AnyAdmin:
        """The admin key secret: the family's own (``Admin``), or the one passed as ``admin``."""
        return self._admin

    @property
    def owns_admin(self) -> bool:
        """True when the family created its admin secret (``Admin``); False with ``admin=``."""
        return self._admin.node.scope is self

    @property
    def rotation_role(self) -> Optional[DatadogRotationRole]:
        """The role Secrets Manager assumes to rotate the family's API and application keys (None
        without keys); it may only read the admin secret. The admin has its own:
        ``family.admin.rotation_role``."""
        return self._rotation_role

    @property
    def secret_name_prefix(self) -> str:
        """The prefix of every secret name in the family."""
        return self._secret_name_prefix

    @property
    def application_keys(self) -> Mapping[str, DatadogApplicationKeySecret]:
        """The application key secrets, by name."""
        return dict(self._application_keys)

    @property
    def api_keys(self) -> Mapping[str, DatadogApiKeySecret]:
        """The API key secrets, by name."""
        return dict(self._api_keys)

    def add_rotation_alerts(
        self,
        construct_id: str = "RotationAlerts",
        *,
        include_succeeded: bool = False,
        include_label_updated: bool = False,
        rotation_check: bool = False,
        targets: Optional[Sequence[events.IRuleTarget]] = None,
        topic: Optional[sns.ITopic] = None,
        encryption_key: Optional[kms.IKey] = None,
        use_family_key: bool = False,
    ) -> DatadogRotationAlerts:
        """Alert on failed or abandoned rotations of every secret of the family.

        The rules match the family's name prefix, so their size does not grow with the family.

        :param construct_id: id of the :class:`DatadogRotationAlerts` child. Default: "RotationAlerts"
        :param include_succeeded: also send ``RotationSucceeded`` events. Default: False
        :param include_label_updated: also send ``Secret Label Updated`` events (``AWSCURRENT`` moved).
            Default: False
        :param rotation_check: add the AWS Config rule ``secretsmanager-scheduled-rotation-success-check``
            scoped to the family's secrets by a tag. Default: False
        :param targets: where to send the events instead of an SNS topic. Default: - a new SNS topic
        :param topic: an existing SNS topic to send the events to. Default: - a new SNS topic
        :param encryption_key: KMS key of the new topic. Default: - a new customer-managed key
        :param use_family_key: encrypt the new topic with the family's ``encryption_key`` instead of a
            new key (EventBridge may then use that key, for these rules only). Default: False
        """
        problems = Problems()
        if use_family_key and (encryption_key is not None or self._encryption_key is None):
            problems.add(
                "use_family_key",
                "True with `encryption_key`" if encryption_key is not None else "True without a family key",
                "use_family_key only for a family created with `encryption_key`, and without `encryption_key` here",
            )
        problems.raise_if_any(self)
        alerts = DatadogRotationAlerts(
            self,
            construct_id,
            secret_name_prefixes=[self._secret_name_prefix],
            include_succeeded=include_succeeded,
            include_label_updated=include_label_updated,
            targets=targets,
            topic=topic,
            encryption_key=self._encryption_key if use_family_key else encryption_key,
        )
        if rotation_check:
            alerts._check_rotation_of(self)
        return alerts

    def application_key(self, name: str) -> DatadogApplicationKeySecret:
        """The application key secret called ``name``; KeyError naming the known ones otherwise.

        :param name: the key of ``application_keys``.
        """
        return _lookup(self._application_keys, name, "application key")

    def api_key(self, name: str) -> DatadogApiKeySecret:
        """The API key secret called ``name``; KeyError naming the known ones otherwise.

        :param name: the key of ``api_keys``.
        """
        return _lookup(self._api_keys, name, "API key")


def _default_prefix(family: Construct) -> str:
    """``<stack name>/<path below the stack>``: unique per construct path. For a family created
    directly in a stack that is ``<stack name>/<construct id>``, as in 0.1.0."""
    stack = facts_of(family).stack
    below = path_of(family)[len(path_of(stack)) + 1 :]
    return f"{stack.stack_name}/{below}"


def _check_prefix(family: Construct, problems: Problems, prefix: str) -> None:
    if isinstance(prefix, str) and is_unresolved(prefix):
        problems.add(
            "secret_name_prefix",
            "a deploy-time value",
            "a literal prefix: it decides which secrets the family's rotation role may be trusted by, which "
            "must be known (and checked) at synth time",
        )
        return
    # Leave room for "/application-keys/<64-character name>" within the 512-character limit.
    check_secret_name(problems, "secret_name_prefix", prefix, max_length=400, is_prefix=True)
    if isinstance(prefix, str) and prefix.endswith("/"):
        problems.add("secret_name_prefix", repr(prefix), "a prefix without a trailing '/' (it is added)")
    elif isinstance(prefix, str):
        claim(problems, "secret_name_prefix", family, prefix, is_prefix=True)


def _key_rotation(
    entry: Problems,
    rotation: Optional[KeyRotation],
    family_schedule: tuple[KeyRotation, Optional[RenderedRotation]],
    admin_rendered: Optional[RenderedRotation],
) -> tuple[KeyRotation, Optional[RenderedRotation]]:
    """A key's own schedule, checked, or the family's ``key_rotation`` (checked once for all)."""
    if rotation is None:
        return family_schedule
    return rotation, check_child_rotation(entry, "rotation", rotation, admin_rendered)


def _claim_key_name(family: Construct, problems: Problems, prefix: object, group: str, name: object) -> None:
    """Claim a key's secret name for the key the family is about to build (see :func:`claim`)."""
    if isinstance(prefix, str) and isinstance(name, str):
        child = "ApplicationKeys" if group == APPLICATION_KEYS else "ApiKeys"
        claim(
            problems,
            f"{'application_keys' if group == APPLICATION_KEYS else 'api_keys'} key",
            family,
            f"{prefix}/{group}/{name}",
            owner_path=f"{path_of(family)}/{child}/{name}",
        )


def _check_keys_role_fits(
    family: Construct,
    problems: Problems,
    prefix: object,
    application_keys: Mapping[str, object],
    api_keys: Mapping[str, object],
    encrypted: bool,
    existing_admin_length: Optional[int],
) -> None:
    """The keys role holds one exact ARN per key: refuse a family whose policies would not fit the
    role's 10 managed policies (one of them GetRandomPassword's)."""
    if not isinstance(prefix, str) or not (application_keys or api_keys):
        return
    stack = Stack.of(family)
    names = [f"{prefix}/{APPLICATION_KEYS}/{n}" for n in application_keys] + [
        f"{prefix}/{API_KEYS}/{n}" for n in api_keys
    ]
    lengths = [budget.secret_arn_length(stack, len(str(name))) for name in names]
    admin_length = existing_admin_length or budget.secret_arn_length(stack, len(f"{prefix}/admin"))
    needed = policies_needed(lengths, encrypted=encrypted, read_admin_length=admin_length)
    allowed = budget.MANAGED_POLICIES_PER_ROLE - 1
    if needed > allowed:
        problems.add(
            "application_keys/api_keys",
            f"{len(names)} keys named under {prefix!r}",
            f"a family whose keys role fits {allowed} managed policies of 6,144 characters (it would need "
            f"{needed}: each key's exact ARN is listed); split the keys over several families or use a shorter "
            "`secret_name_prefix`",
        )


@dataclass
class _CheckedAdminSide:
    """What the family checked of its admin: an existing one (``admin=``), or the props of its own."""

    existing: Optional[AnyAdmin] = None
    rendered: Optional[RenderedRotation] = None
    """The admin's schedule, for the keys' windows to keep away from."""
    service_account_id: Optional[str] = None
    organization: Optional[api_key_budget.Organization] = None
    new_admins: tuple[str, ...] = ()
    """The path of the admin the family creates, for the API-key budget and the name claim."""
    # Only for the family's own admin:
    props: dict[str, Any] = field(default_factory=dict)
    site: Optional[str] = None
    rotation: Optional[KeyRotation] = None

    def handed_over(self) -> CheckedAdmin:
        """What the family's own admin is built from: all its props were checked, none failed."""
        assert self.site is not None
        assert self.rendered is not None
        assert self.rotation is not None
        assert self.organization is not None
        return CheckedAdmin(self.site, self.rotation, self.rendered, self.organization)


def _check_existing_admin(
    family: Construct, problems: Problems, admin: object, own_admin: Mapping[str, object], *, has_keys: bool
) -> _CheckedAdminSide:
    """``admin=``: an admin secret of the same account and region, and none of the admin props; one
    that the family's keys could not refer to (:func:`check_admin_reachable`) only when it has keys."""
    if not problems.check_type("admin", admin, (DatadogAdminKeySecret, ImportedDatadogAdminKeySecret), ADMIN_ALLOWED):
        return _CheckedAdminSide()
    assert isinstance(admin, (DatadogAdminKeySecret, ImportedDatadogAdminKeySecret))
    given = [prop for prop in _ADMIN_ONLY_PROPS if own_admin[prop] is not None]
    if given:
        problems.add(
            "admin",
            f"an admin secret together with {', '.join(f'`{p}`' for p in given)}",
            "either `admin=` (an existing admin secret, whose own props stay with it) or the props of a new "
            f"admin secret ({', '.join(f'`{p}`' for p in _ADMIN_PROPS)}), not both",
        )
    check_admin_reachable(problems, family, admin, refers=has_keys)
    return _CheckedAdminSide(
        existing=admin,
        rendered=admin._checked_rotation,
        service_account_id=admin.service_account_id,
        organization=api_key_budget.organization_of(admin),
    )


def _check_own_admin(
    family: Construct, problems: Problems, own_admin: Mapping[str, Any], validate_key_format: bool
) -> _CheckedAdminSide:
    """The admin props of the family's own admin secret: all given, each checked once."""
    rotation = own_admin["admin_rotation"]
    rotation = rotation if rotation is not None else defaults.ADMIN_ROTATION
    missing = [prop for prop in _ADMIN_PROPS if own_admin[prop] is None]
    for prop in missing:
        problems.add(
            prop,
            "nothing",
            "the family's admin secret needs it; or pass `admin=` (an existing admin secret) instead of "
            f"the admin props ({', '.join(f'`{p}`' for p in _ADMIN_PROPS)})",
        )
    props = {prop: own_admin[prop] for prop in _ADMIN_PROPS}
    site_value, rendered = None, None
    new_admins = (f"{path_of(family)}/Admin",)
    if not missing:
        site_value, rendered = check_admin_props(
            family,
            problems,
            **props,
            rotation=rotation,
            rotation_prop="admin_rotation",
            validate_key_format=validate_key_format,
            owner_path=new_admins[0],
        )
    organization = api_key_budget.organization(
        problems,
        new_admins[0],
        label=api_key_budget.check_label(problems, own_admin["datadog_organization"]),
        service_account_id=own_admin["service_account_id"],
        site=site_value,
    )
    return _CheckedAdminSide(
        rendered=rendered,
        service_account_id=own_admin["service_account_id"],
        organization=organization,
        new_admins=new_admins,
        props=props,
        site=site_value,
        rotation=rotation,
    )


class _KeyChecks:
    """The checks of a family's keys, each prop once, into what each key is built from."""

    def __init__(
        self,
        family: Construct,
        problems: Problems,
        prefix: object,
        validate_key_format: bool,
        admin: _CheckedAdminSide,
    ) -> None:
        self._family = family
        self._problems = problems
        self._prefix = prefix
        self._validate_key_format = validate_key_format
        self._admin = admin

    def application_keys(
        self, specs: Mapping[str, Any], family_schedule: tuple[KeyRotation, Optional[RenderedRotation]]
    ) -> dict[str, CheckedKey]:
        checked: dict[str, CheckedKey] = {}
        for name, app in specs.items():
            entry = self._problems.within(f"application_keys[{name!r}].")
            _check_child_name(self._problems, "application_keys", name)
            if not isinstance(app, ApplicationKeySpec):
                self._problems.wrong_type(
                    f"application_keys[{name!r}]", app, "an ApplicationKeySpec(app_key=..., app_key_id=...)"
                )
                continue
            check_description(entry, app.description)
            owner = check_application_key_props(
                self._family,
                entry,
                app_key=app.app_key,
                app_key_id=app.app_key_id,
                service_account_id=app.service_account_id,
                admin_service_account_id=self._admin.service_account_id,
                validate_key_format=self._validate_key_format,
                owner_path=f"{path_of(self._family)}/ApplicationKeys/{name}",
            )
            rotation, rendered = _key_rotation(entry, app.rotation, family_schedule, self._admin.rendered)
            _claim_key_name(self._family, self._problems, self._prefix, APPLICATION_KEYS, name)
            if rendered is not None and owner is not None:  # else a problem is recorded: the family raises
                checked[name] = CheckedKey(rotation, rendered, owner, by_family=True)
        return checked

    def api_keys(
        self, specs: Mapping[str, Any], family_schedule: tuple[KeyRotation, Optional[RenderedRotation]]
    ) -> dict[str, CheckedKey]:
        checked: dict[str, CheckedKey] = {}
        for name, api in specs.items():
            entry = self._problems.within(f"api_keys[{name!r}].")
            _check_child_name(self._problems, "api_keys", name)
            if not isinstance(api, ApiKeySpec):
                self._problems.wrong_type(f"api_keys[{name!r}]", api, "an ApiKeySpec(api_key=..., api_key_id=...)")
                continue
            check_description(entry, api.description)
            check_api_key_props(
                self._family,
                entry,
                api_key=api.api_key,
                api_key_id=api.api_key_id,
                validate_key_format=self._validate_key_format,
                owner_path=f"{path_of(self._family)}/ApiKeys/{name}",
            )
            rotation, rendered = _key_rotation(entry, api.rotation, family_schedule, self._admin.rendered)
            _claim_key_name(self._family, self._problems, self._prefix, API_KEYS, name)
            if rendered is not None:  # else a problem is recorded: the family raises
                checked[name] = CheckedKey(rotation, rendered, by_family=True)
        return checked


def _check_mapping(problems: Problems, prop: str, value: object, spec: str) -> dict[str, Any]:
    """The children by name, or none when ``value`` is not a mapping (recorded as a problem)."""
    allowed = f"a mapping of name to {spec}, e.g. {{'ci': {spec}(...)}}"
    if not problems.check_type(prop, value, Mapping, allowed, optional=True):
        return {}
    assert value is None or isinstance(value, Mapping)
    return dict(value or {})


def _check_child_name(problems: Problems, prop: str, name: object) -> None:
    if not isinstance(name, str) or is_unresolved(name) or not _CHILD_NAME.fullmatch(name):
        problems.add(f"{prop} key", repr(name), _CHILD_NAME_ALLOWED)
    else:
        check_secret_name(problems, f"{prop} key", name)  # e.g. no "-abc123" ending


_Child = TypeVar("_Child", DatadogApplicationKeySecret, DatadogApiKeySecret)


def _lookup(children: Mapping[str, _Child], name: str, kind: str) -> _Child:
    if name not in children:
        # Redacted: a key pasted where its name belongs must not be echoed.
        raise KeyError(redact(f"no {kind} named {name!r}; known: {sorted(children)}"))
    return children[name]


TRUSTS_PREFIXES = f"{WARNING_PREFIX}:keysRoleTrustsPrefixes"


def _warn_trust_by_prefix(role: DatadogRotationRole, prefix: str, keys: int) -> None:
    """The keys role trusts the family's name prefixes: say what that lets a neighbour do, and the way out."""
    Annotations.of(role).add_warning_v2(
        TRUSTS_PREFIXES,
        f"The exact ARNs of this family's {keys} keys do not fit in the keys role's 2048-character trust "
        f"policy, so it trusts any secret named {prefix}/{APPLICATION_KEYS}/* or {prefix}/{API_KEYS}/*. A "
        "principal that may create such a secret and pass this role (iam:PassRole) could make Secrets Manager "
        "assume it to rotate that secret: the role can neither read nor write it, but it can read the admin "
        "secret (whether Secrets Manager would then create a Datadog key before failing is UNVERIFIED). To "
        "trust exact ARNs only, split the keys over several families that share this admin "
        "(DatadogManagedSecrets(..., admin=family.admin)), each with its own keys role; or acknowledge this "
        "warning.",
    )
