"""DatadogAdminKeySecret: the ``DatadogAdminKey`` secret that rotates itself and its children.

Its value is an API key + application key pair owned by a Datadog service account; the
application key needs the scopes ``api_keys_write``, ``api_keys_delete``, ``org_app_keys_read``,
``org_app_keys_write`` and ``service_account_write`` (reference section 1). It rotates itself:
its schedule has no ``adminSecretArn``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional, Protocol, Union

from aws_cdk import IResolvable, RemovalPolicy, SecretValue, Stack
from aws_cdk import aws_kms as kms
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct, IConstruct

from . import _datadog_budget as api_key_budget
from . import defaults
from ._admin_readers import watch_admin
from ._key_ids import check_key_id
from ._partitions import partition_of
from ._secret_base import DatadogKeySecretBase, SecretOptions, take_over
from ._secret_props import check_encryption_key, check_flag, check_rotation
from ._secret_string import PlainField
from ._stack_facts import check_construct_id, path_of
from .key_material import API_KEY, APP_KEY, check_key_material, check_uuid
from .rotation import KeyRotation, RenderedRotation
from .rotation_role import DatadogRotationRole
from .site import DatadogSite, SiteInput, resolve_site, site_of
from .validation import Problems, gives_back_if_not_built, is_unresolved

SECRET_TYPE = "DatadogAdminKey"

# A complete secret ARN ends with "-" and the 6 characters Secrets Manager appends to the name.
_SECRET_ARN = re.compile(
    r"arn:(?P<partition>[a-z-]+):secretsmanager:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):secret:(?P<name>.+)"
)
CROSS_ACCOUNT_REASON = (
    "AWS documents managed rotation only with the admin secret in the child's own account and region "
    "(its trust example binds aws:SourceAccount to that account); create an admin secret (and its "
    "Datadog admin keys) in each account and region"
)

# The characters of a secret name: no '*' or '?' (IAM would read them as wildcards) nor white space.
_NAME_CHARACTERS = re.compile(r"[A-Za-z0-9/_+=.@-]+")
_SUFFIX = re.compile(r".+-[A-Za-z0-9]{6}")


class IDatadogAdminKeySecret(IConstruct, Protocol):
    """An admin key secret, made in this app (:class:`DatadogAdminKeySecret`) or imported
    (:meth:`DatadogAdminKeySecret.from_admin_secret_attributes`)."""

    @property
    def secret(self) -> secretsmanager.ISecret:
        """The admin secret (an ``ISecret``)."""
        ...

    @property
    def secret_full_arn(self) -> str:
        """The complete ARN (with its 6-character suffix): the children's ``adminSecretArn``."""
        ...

    @property
    def secret_name(self) -> Optional[str]:
        """The secret name given at creation; None when generated or imported."""
        ...

    @property
    def service_account_id(self) -> str:
        """UUID of the service account that owns the admin keys (and must own the app keys)."""
        ...

    @property
    def encryption_key(self) -> Optional[kms.IKey]:
        """The customer-managed KMS key of the admin secret, if any."""
        ...

    @property
    def site(self) -> Optional[DatadogSite]:
        """The Datadog site of the admin's keys; None for an admin imported without ``site``."""
        ...


@dataclass(frozen=True)
class CheckedAdmin:
    """What was checked for an admin secret, once: the admin is built from it without checking its
    props again. A :class:`DatadogManagedSecrets` family hands it to its own admin, and annotates
    the admin's warnings on itself."""

    site: str
    rotation: KeyRotation
    rendered: RenderedRotation
    organization: api_key_budget.Organization


class DatadogAdminKeySecret(DatadogKeySecretBase):
    """A ``DatadogAdminKey`` managed external secret, rotating itself on a schedule.

    Example::

        admin = DatadogAdminKeySecret(self, "DatadogAdmin",
            site=DatadogSite.US1,
            service_account_id="1b4e28ba-2fa1-11d2-883f-0016d3cca427",
            admin_api_key=SecretValue.cfn_parameter(admin_api_key_param),
            admin_api_key_id="...", admin_app_key=SecretValue.cfn_parameter(admin_app_key_param),
            admin_app_key_id="...")
    """

    @gives_back_if_not_built
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        site: SiteInput,
        service_account_id: str,
        admin_api_key: SecretValue,
        admin_api_key_id: str,
        admin_app_key: SecretValue,
        admin_app_key_id: str,
        rotation: Optional[KeyRotation] = None,
        rotation_role: Optional[DatadogRotationRole] = None,
        encryption_key: Optional[kms.IKey] = None,
        removal_policy: RemovalPolicy = defaults.REMOVAL_POLICY,
        secret_name: Optional[str] = None,
        description: Optional[str] = None,
        rotate_immediately_on_update: Union[bool, str, IResolvable] = defaults.ADMIN_ROTATES_IMMEDIATELY,
        validate_key_format: bool = True,
        datadog_organization: Optional[str] = None,
    ) -> None:
        """
        :param scope: the parent construct.
        :param construct_id: the construct id (public API: renaming it replaces the secret).
        :param site: the Datadog site of the organisation, e.g. ``DatadogSite.EU1``.
        :param service_account_id: UUID of the Datadog service account owning both admin keys.
        :param admin_api_key: the admin API key (a ``SecretValue``, e.g. from a NoEcho parameter).
        :param admin_api_key_id: UUID of the admin API key.
        :param admin_app_key: the admin application key (a ``SecretValue``).
        :param admin_app_key_id: UUID of the admin application key.
        :param rotation: when the admin key rotates.
            Default: - monthly on the 15th, 02:00-04:00 UTC (apart from the children's default)
        :param rotation_role: the role Secrets Manager assumes. Default: - a new DatadogRotationRole
        :param encryption_key: customer-managed KMS key of the secret. Default: - the AWS managed key
        :param removal_policy: what happens to the secret when it leaves the stack. Default: RemovalPolicy.RETAIN
        :param secret_name: the secret name. Default: - generated by CloudFormation
        :param description: the secret description. Default: - says what the secret is and who manages it
        :param rotate_immediately_on_update: rotate as soon as the schedule is created or changed; a
            deploy-time value (``Fn.condition_if(...)``, a parameter's value) is written as it is.
            Default: False (children rotate at creation and read this key; see defaults.py)
        :param validate_key_format: refuse literal keys that do not look like Datadog keys. Default: True
        :param datadog_organization: a label naming the Datadog organisation, for the app-wide API-key
            budget (at most 50 per organisation): give admins of one organisation with different service
            accounts the same label. Default: - the organisation is known by ``service_account_id``
        """
        check_construct_id(scope, construct_id, "DatadogAdminKeySecret")
        checked = take_over(scope, construct_id, CheckedAdmin)  # a family's admin: checked by the family
        super().__init__(scope, construct_id)
        self._arn_length = self._estimated_arn_length(secret_name)
        options = SecretOptions(
            rotation_role, encryption_key, removal_policy, secret_name, description, rotate_immediately_on_update
        )
        if checked is None:
            checked = self._check(
                site=site,
                service_account_id=service_account_id,
                admin_api_key=admin_api_key,
                admin_api_key_id=admin_api_key_id,
                admin_app_key=admin_app_key,
                admin_app_key_id=admin_app_key_id,
                rotation=rotation if rotation is not None else defaults.ADMIN_ROTATION,
                options=options,
                validate_key_format=validate_key_format,
                datadog_organization=datadog_organization,
            )
        site_value, rendered, rotation = checked.site, checked.rendered, checked.rotation
        api_key_budget.remember(self, checked.organization)
        api_key_budget.record(self, checked.organization, admin=path_of(self))

        self._service_account_id = service_account_id
        self._site = site_value
        self._create_secret(
            secret_type=SECRET_TYPE,
            fields={
                "adminApiKey": admin_api_key,
                "adminApiKeyId": PlainField(admin_api_key_id),
                "adminAppKey": admin_app_key,
                "adminAppKeyId": PlainField(admin_app_key_id),
                "serviceAccountId": PlainField(service_account_id),
                "site": PlainField(site_value),
            },
            options=options,
            default_description="Datadog admin API and application keys, rotated by Secrets Manager.",
        )
        self._create_rotation(
            rendered=rendered,
            rotation=rotation,
            options=options,
            admin_secret_arn=None,  # the admin rotates itself with its own keys
        )
        # Whoever else may read this secret can mint Datadog keys: say so (grant_read included).
        watch_admin(self._ref, self.node.path, self._cfn_secret, name_generated=self._secret_name is None)

    def _check(
        self,
        *,
        site: SiteInput,
        service_account_id: str,
        admin_api_key: SecretValue,
        admin_api_key_id: str,
        admin_app_key: SecretValue,
        admin_app_key_id: str,
        rotation: KeyRotation,
        options: SecretOptions,
        validate_key_format: bool,
        datadog_organization: Optional[str],
    ) -> CheckedAdmin:
        """Check every prop of an admin secret created on its own; raise one error for all problems."""
        problems = Problems()
        validate_key_format = check_flag(problems, "validate_key_format", validate_key_format)
        site_value, rendered = check_admin_props(
            self,
            problems,
            site=site,
            service_account_id=service_account_id,
            admin_api_key=admin_api_key,
            admin_api_key_id=admin_api_key_id,
            admin_app_key=admin_app_key,
            admin_app_key_id=admin_app_key_id,
            rotation=rotation,
            rotation_prop="rotation",
            validate_key_format=validate_key_format,
        )
        self._check_secret_props(problems, options, rotates_admin=True, arn_length=self._arn_length)
        org = api_key_budget.organization(
            problems,
            path_of(self),
            label=api_key_budget.check_label(problems, datadog_organization),
            service_account_id=service_account_id,
            site=site_value,
        )
        api_key_budget.check(problems, "service_account_id", self, org, admins=(path_of(self),))
        problems.raise_if_any(self)  # or annotate the warnings
        assert rendered is not None
        return CheckedAdmin(site_value, rotation, rendered, org)

    @property
    def service_account_id(self) -> str:
        """UUID of the Datadog service account that owns the admin keys (and must own the app keys)."""
        return self._service_account_id

    @property
    def site(self) -> DatadogSite:
        """The Datadog site stored in the secret (``.value`` is the string), e.g. ``DatadogSite.EU1``;
        ``is_custom`` for a site given with :meth:`DatadogSite.custom` or as a deploy-time value."""
        return site_of(self._site)

    @property
    def _arn_length_bound(self) -> int:
        """Upper bound of the secret's resolved ARN length (for the IAM size budgets of its readers)."""
        return self._arn_length

    @property
    def _checked_rotation(self) -> RenderedRotation:
        """The checked schedule, as the children compare theirs with it."""
        assert self._rendered_rotation is not None
        return self._rendered_rotation

    @staticmethod
    def from_admin_secret_attributes(
        scope: Construct,
        construct_id: str,
        *,
        secret_complete_arn: str,
        service_account_id: str,
        encryption_key: Optional[kms.IKey] = None,
        rotation: Optional[KeyRotation] = None,
        datadog_organization: Optional[str] = None,
        site: Optional[SiteInput] = None,
    ) -> IDatadogAdminKeySecret:
        """An admin secret made elsewhere (another stack, the console), for children in this stack.

        :param scope: the parent construct.
        :param construct_id: the construct id.
        :param secret_complete_arn: the full ARN, with the 6-character suffix Secrets Manager adds.
        :param service_account_id: UUID of the service account that owns the admin keys.
        :param encryption_key: the KMS key of the admin secret, if customer-managed, so that the
            children's rotation role may decrypt it. Default: - the AWS managed key
        :param rotation: the admin secret's rotation schedule as it is configured where the secret
            was made, so that the children's windows are checked against it.
            Default: - unknown: the check is skipped, with the ``adminRotationUnknown`` warning
        :param datadog_organization: a label naming the admin's Datadog organisation, for the API-key
            budget (see :class:`DatadogAdminKeySecret`). Default: - known by ``service_account_id``
        :param site: the Datadog site of the admin's keys, e.g. ``DatadogSite.EU1``, for the children's
            consumers (``x.site``). Default: - unknown: a child's ``site`` raises
        """
        return ImportedDatadogAdminKeySecret(
            scope,
            construct_id,
            secret_complete_arn=secret_complete_arn,
            service_account_id=service_account_id,
            encryption_key=encryption_key,
            rotation=rotation,
            datadog_organization=datadog_organization,
            site=site,
        )


def check_admin_props(
    scope: Construct,
    problems: Problems,
    *,
    site: SiteInput,
    service_account_id: str,
    admin_api_key: SecretValue,
    admin_api_key_id: str,
    admin_app_key: SecretValue,
    admin_app_key_id: str,
    rotation: KeyRotation,
    rotation_prop: str,
    validate_key_format: bool,
    owner_path: Optional[str] = None,
) -> tuple[str, Optional[RenderedRotation]]:
    """Check what goes into an admin secret; return the site string and the checked schedule.
    ``owner_path``: the path of the secret when ``scope`` is the family about to create it."""
    site_value = resolve_site(problems, "site", site)
    if site_value and not is_unresolved(site_value):
        problems.refuse_key_shapes("site", site_value, "a Datadog site")
    check_uuid(problems, "service_account_id", service_account_id)
    check_key_material(
        scope,
        problems,
        "admin_api_key",
        admin_api_key,
        API_KEY,
        validate_format=validate_key_format,
        owner_path=owner_path,
    )
    check_key_id(problems, "admin_api_key_id", scope, admin_api_key_id, owner_path=owner_path)
    check_key_material(
        scope,
        problems,
        "admin_app_key",
        admin_app_key,
        APP_KEY,
        validate_format=validate_key_format,
        owner_path=owner_path,
    )
    check_key_id(problems, "admin_app_key_id", scope, admin_app_key_id, owner_path=owner_path)
    if not check_rotation(problems, rotation_prop, rotation):
        return site_value, None
    return site_value, rotation._render(problems, rotation_prop)


class ImportedDatadogAdminKeySecret(Construct):
    """An admin secret that this app does not manage; see :meth:`DatadogAdminKeySecret.from_admin_secret_attributes`."""

    @gives_back_if_not_built
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        secret_complete_arn: str,
        service_account_id: str,
        encryption_key: Optional[kms.IKey] = None,
        rotation: Optional[KeyRotation] = None,
        datadog_organization: Optional[str] = None,
        site: Optional[SiteInput] = None,
    ) -> None:
        """
        :param scope: the parent construct.
        :param construct_id: the construct id.
        :param secret_complete_arn: the full ARN, with the 6-character suffix Secrets Manager adds.
        :param service_account_id: UUID of the service account that owns the admin keys.
        :param encryption_key: the KMS key of the admin secret, if customer-managed.
            Default: - the AWS managed key
        :param rotation: the admin secret's rotation schedule, to check the children's windows against.
            Default: - unknown: the check is skipped, with the ``adminRotationUnknown`` warning
        :param datadog_organization: a label naming the admin's Datadog organisation, for the API-key
            budget. Default: - known by ``service_account_id``
        :param site: the Datadog site of the admin's keys, for the children's consumers.
            Default: - unknown
        """
        check_construct_id(scope, construct_id, "ImportedDatadogAdminKeySecret")
        super().__init__(scope, construct_id)
        problems = Problems()
        _check_complete_arn(self, problems, "secret_complete_arn", secret_complete_arn)
        check_uuid(problems, "service_account_id", service_account_id)
        # An alias is refused where a key uses this admin (check_admin_reachable): only the keys'
        # rotation roles name its key in IAM.
        check_encryption_key(problems, encryption_key, named_in_iam=False)
        self._site = resolve_site(problems, "site", site) if site is not None else None
        self._rotation = rotation
        self._rendered_rotation = _check_imported_rotation(problems, rotation)
        # The imported admin's own API key lives in the organisation too: it is counted (once per ARN).
        org = api_key_budget.organization(
            problems,
            self.node.path,
            label=api_key_budget.check_label(problems, datadog_organization),
            service_account_id=service_account_id,
            site=self._site,
        )
        counted_as = api_key_budget.imported_admin_id(secret_complete_arn, self.node.path)
        api_key_budget.check(problems, "secret_complete_arn", self, org, admins=(counted_as,))
        problems.raise_if_any(self)
        api_key_budget.remember(self, org)
        api_key_budget.record(self, org, admin=counted_as)
        self._service_account_id = service_account_id
        self._secret = secretsmanager.Secret.from_secret_attributes(
            self, "Resource", secret_complete_arn=secret_complete_arn, encryption_key=encryption_key
        )
        self._secret_full_arn = secret_complete_arn

    @property
    def secret(self) -> secretsmanager.ISecret:
        """The imported secret (an ``ISecret``)."""
        return self._secret

    @property
    def secret_full_arn(self) -> str:
        """The complete ARN it was imported by (its children's ``adminSecretArn``)."""
        return self._secret_full_arn

    @property
    def secret_name(self) -> Optional[str]:
        """Always None: an admin imported by ARN is not named in this app."""
        return None

    @property
    def service_account_id(self) -> str:
        """UUID of the service account that owns the admin keys (and must own the app keys)."""
        return self._service_account_id

    @property
    def encryption_key(self) -> Optional[kms.IKey]:
        """The customer-managed KMS key it was imported with, if any."""
        return self._secret.encryption_key

    @property
    def rotation(self) -> Optional[KeyRotation]:
        """The admin's rotation schedule as given, or None when unknown."""
        return self._rotation

    @property
    def site(self) -> Optional[DatadogSite]:
        """The Datadog site it was imported with, or None when unknown."""
        return site_of(self._site) if self._site else None

    @property
    def _checked_rotation(self) -> Optional[RenderedRotation]:
        """The checked schedule the children compare theirs with, or None when unknown."""
        return self._rendered_rotation


def _check_imported_rotation(problems: Problems, rotation: object) -> Optional[RenderedRotation]:
    if rotation is None:
        problems.warn(
            "adminRotationUnknown",
            "The rotation schedule of this imported admin secret is unknown, so the windows of its children are "
            "not checked against it (a child rotating while the admin rotates fails). Pass "
            "`rotation=KeyRotation...` (the admin's schedule as configured where the secret was made) to "
            "DatadogAdminKeySecret.from_admin_secret_attributes to have them checked.",
        )
        return None
    if not check_rotation(problems, "rotation", rotation):
        return None
    assert isinstance(rotation, KeyRotation)
    return rotation._render(problems, "rotation")


def _check_complete_arn(scope: Construct, problems: Problems, prop: str, arn: object) -> None:
    allowed = (
        "the complete secret ARN, e.g. 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:datadog-admin-AbC123'"
    )
    if not isinstance(arn, str):
        problems.wrong_type(prop, arn, allowed)
        return
    if not problems.refuse_key_shapes(prop, arn, allowed):
        return
    if is_unresolved(arn):
        problems.skip(prop, "complete ARN with suffix, same partition and region")
        return
    match = _SECRET_ARN.fullmatch(arn)
    if not match:
        problems.add(prop, repr(arn), allowed)
        return
    if not _NAME_CHARACTERS.fullmatch(match["name"]):
        problems.add(
            prop,
            repr(arn),
            "a secret name of letters, digits and /_+=.@- only: '*' and '?' would be wildcards in the rotation "
            "role's policy and in adminSecretArn, and white space is never part of a secret name",
        )
        return
    if not _SUFFIX.fullmatch(match["name"]):
        problems.add(
            prop,
            repr(arn),
            "a partial ARN (no '-' and 6-character suffix after the name): rotation needs the complete "
            "ARN in adminSecretArn; copy it from the console or `aws secretsmanager describe-secret`",
        )
    stack = Stack.of(scope)
    if is_unresolved(stack.region):
        problems.skip(prop, "same region and partition as the stack (the stack is environment-agnostic)")
    else:
        if match["region"] != stack.region:
            problems.add(
                prop, repr(arn), f"an admin secret in the stack's region {stack.region!r}, not {match['region']!r}"
            )
        partition = partition_of(stack.region)
        if partition and match["partition"] != partition:
            problems.add(
                prop, repr(arn), f"an admin secret in the stack's partition {partition!r}, not {match['partition']!r}"
            )
    if is_unresolved(stack.account):
        problems.skip(prop, "same account as the stack (the stack's account is known only at deploy time)")
    elif match["account"] != stack.account:
        problems.add(prop, repr(arn), f"an admin secret in the stack's account {stack.account}: {CROSS_ACCOUNT_REASON}")
