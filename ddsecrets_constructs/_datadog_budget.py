"""Datadog's API-key budget: at most 50 API keys per organisation, counted over the whole app.

Datadog: "Your org must have at least one API key and at most 50 API keys" (reference section 8).
A rotated ``DatadogApiKey`` secret keeps up to two keys alive (rotation deletes the key two
generations back), and an admin secret's API key is replaced by rotation the same way, so an
organisation holds ``2 x API-key secrets + 2 x admin secrets`` keys. Application keys do not count.

Where the count is kept: in a registry per construct tree root (the ``App``), so every stack and
every ``Stage`` of the app adds to the same count. Each secret construct counts itself when it is
created; counts only grow, so checking at each addition refuses exactly the construct that takes
an organisation past the limit (a :class:`DdSecretsValidationError` naming it, with the arithmetic
and every secret counted), and a family checks all its API keys before it builds any.

Which organisation: the admin's ``datadog_organization`` label when given (two service accounts
of one organisation), otherwise its service account id (a Datadog UUID belongs to one organisation,
so this counts at least what "same site and same service account" would). A deploy-time service
account id without a label cannot be compared: that admin's secrets are counted as an organisation
of their own, and the admin says so in the ``apiKeyBudgetPerAdmin`` warning.
"""

from __future__ import annotations

import functools
import re
import weakref
from dataclasses import dataclass, field
from typing import Optional

from aws_cdk import Token
from constructs import IConstruct

from ._stack_facts import facts_of, path_of
from .validation import Problems, describe, undo_if_not_built

LIMIT_CONTEXT_KEY = "ddsecrets:datadogApiKeyLimit"
"""Context key overriding the per-organisation API-key limit (for an org whose limit Datadog raised)."""
DEFAULT_LIMIT = 50
KEYS_PER_SECRET = 2
"""API keys one rotated API-key secret (or admin secret) keeps alive at once."""

_LABEL = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
LABEL_ALLOWED = "a literal label of 1-64 letters, digits and ._- (starting with a letter or digit), e.g. 'acme-prod'"


@dataclass(frozen=True)
class Organization:
    """Who shares one API-key budget, and how a person recognises it in a message."""

    key: str
    shown: str


@dataclass
class _Count:
    admins: list[str] = field(default_factory=list)
    api_keys: list[str] = field(default_factory=list)


_COUNTS: weakref.WeakKeyDictionary[IConstruct, dict[str, _Count]] = weakref.WeakKeyDictionary()
_ORGS: weakref.WeakKeyDictionary[IConstruct, Organization] = weakref.WeakKeyDictionary()


def check_label(problems: Problems, label: object) -> Optional[str]:
    """The ``datadog_organization`` prop: None, or a literal label (it decides a synth-time count)."""
    if label is None:
        return None
    if not problems.refuse_key_shapes("datadog_organization", label, f"{LABEL_ALLOWED}, not a key"):
        return None
    if not isinstance(label, str) or Token.is_unresolved(label) or not _LABEL.fullmatch(label):
        problems.add("datadog_organization", describe(label), LABEL_ALLOWED)
        return None
    return label


def organization(
    problems: Problems, admin_path: str, *, label: Optional[str], service_account_id: object, site: Optional[str]
) -> Organization:
    """The organisation of an admin secret; warn when it can only be counted per admin."""
    at = f" (site {site})" if isinstance(site, str) and not Token.is_unresolved(site) else ""
    if label is not None:
        return Organization(f"label:{label}", f"the Datadog organisation labelled {label!r}{at}")
    if isinstance(service_account_id, str) and not Token.is_unresolved(service_account_id):
        return Organization(
            f"sa:{service_account_id}", f"the Datadog organisation of service account {service_account_id!r}{at}"
        )
    problems.warn(
        "apiKeyBudgetPerAdmin",
        "The service account id is a deploy-time value, so the Datadog API-key budget (at most "
        f"{DEFAULT_LIMIT} API keys per organisation; each API-key or admin secret keeps up to 2) was counted "
        "for this admin secret and its own keys only, not together with other admins of the same Datadog "
        "organisation. Pass the same `datadog_organization='<label>'` to every admin of one organisation "
        "to have their keys counted together.",
    )
    return Organization(f"admin:{admin_path}", f"the Datadog organisation of the admin secret {admin_path!r}")


def remember(admin: IConstruct, org: Organization) -> None:
    """Record the organisation of an admin secret, for its children."""
    _ORGS[admin] = org


def organization_of(admin: IConstruct) -> Organization:
    found = _ORGS.get(admin)
    if found is None:  # not built in this process's app: known by its path alone
        path = path_of(admin)
        found = Organization(f"admin:{path}", f"the Datadog organisation of {path!r}")
    return found


def limit(problems: Problems, scope: IConstruct) -> int:
    """The per-organisation limit: the context key, or 50."""
    value = scope.node.try_get_context(LIMIT_CONTEXT_KEY)
    if value is None:
        return DEFAULT_LIMIT
    number = int(value) if isinstance(value, str) and value.isascii() and value.isdigit() else value
    if isinstance(number, int) and not isinstance(number, bool) and number >= KEYS_PER_SECRET:
        return number
    problems.add(
        f"context {LIMIT_CONTEXT_KEY}",
        describe(value),
        f"a whole number of at least {KEYS_PER_SECRET}: the most API keys Datadog allows your organisation "
        f"(default {DEFAULT_LIMIT})",
    )
    return DEFAULT_LIMIT


def check(
    problems: Problems,
    prop: str,
    scope: IConstruct,
    org: Organization,
    *,
    admins: tuple[str, ...] = (),
    api_keys: tuple[str, ...] = (),
) -> None:
    """Record a problem when adding these admin and API-key secrets (construct paths) would take
    ``org`` past its API-key limit. Counts nothing: each construct calls :func:`record` once built."""
    if not admins and not api_keys:
        return
    allowed = limit(problems, scope)
    counted = _COUNTS.get(facts_of(scope).root, {}).get(org.key, _Count())
    all_admins = counted.admins + [a for a in admins if a not in counted.admins]
    all_api = counted.api_keys + [k for k in api_keys if k not in counted.api_keys]
    total = KEYS_PER_SECRET * (len(all_admins) + len(all_api))
    if total <= allowed:
        return
    listed = "; ".join([f"admin {p!r}" for p in all_admins] + [f"API key {p!r}" for p in all_api])
    problems.add(
        prop,
        f"{len(api_keys)} more API-key secret{'s' if len(api_keys) != 1 else ''}"
        + (f" and {len(admins)} admin secret{'s' if len(admins) != 1 else ''}" if admins else "")
        + f" for {org.shown}",
        f"at most {allowed} API keys per Datadog organisation, and each rotated API-key secret or admin secret "
        f"keeps up to {KEYS_PER_SECRET} alive: {KEYS_PER_SECRET} x {len(all_api)} API-key secrets + "
        f"{KEYS_PER_SECRET} x {len(all_admins)} admin secrets = {total} > {allowed}. Counted over the whole app: "
        f"{listed}. Use application keys where a machine can, one API key per environment rather than per "
        "service, or a Datadog child organisation (docs/scaling.md); if Datadog raised your organisation's "
        f"limit, set the context key {LIMIT_CONTEXT_KEY}",
    )


def record(scope: IConstruct, org: Organization, *, admin: Optional[str] = None, api_key: Optional[str] = None) -> None:
    """Count one built admin or API-key secret (by construct path) for ``org``."""
    counted = _COUNTS.setdefault(facts_of(scope).root, {}).setdefault(org.key, _Count())
    for path, paths in ((admin, counted.admins), (api_key, counted.api_keys)):
        if path is not None and path not in paths:
            paths.append(path)
            undo_if_not_built(functools.partial(paths.remove, path))  # not counted if it fails to build


def imported_admin_id(arn: object, path: str) -> str:
    """What an imported admin is counted as: its ARN when literal (two imports of one secret are
    one admin), else its construct path."""
    return arn if isinstance(arn, str) and not Token.is_unresolved(arn) else path
