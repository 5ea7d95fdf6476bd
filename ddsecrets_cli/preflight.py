"""``ddsecrets preflight``: check the values a deploy will store against Datadog itself.

The synthesized template says which fields each Datadog secret holds and which parameter (or
literal) fills each; the caller supplies the parameter values (see :mod:`ddsecrets_cli.parameters`).
Every check is one line with pass/fail and the fix. Datadog calls and the permission each needs:
reference section 8.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Optional

from ddsecrets_cli.assembly import Computed, DatadogSecret, Literal, Param, StackTemplate
from ddsecrets_cli.datadog import Answer, Datadog, Endpoint
from ddsecrets_cli.report import Check, Progress, Status, UsageError
from ddsecrets_cli.windows import Nearest, nearest_window

ADMIN_SCOPES = ("api_keys_write", "api_keys_delete", "org_app_keys_read", "org_app_keys_write", "service_account_write")
API_KEY_LIMIT = 50
"""Datadog: "Your org must have at least one API key and at most 50 API keys" (reference section 8)."""
FORBIDDEN_HINT = (
    "Datadog refused it (401/403): the key is mistyped, revoked, or of another Datadog site; or a Datadog "
    "IP allow-list blocks this machine (Datadog does not say which)"
)

DatadogFactory = Callable[[Endpoint, str, Optional[str]], Datadog]


@dataclass
class _Admin:
    subject: str
    site: str
    service_account_id: str
    api_key: str
    app_key: str
    endpoint: Endpoint
    datadog: Datadog
    usable: bool = False
    """True once the admin key pair was accepted: the child checks run with it."""


def parameters_needed(stack: StackTemplate) -> set[str]:
    """Every parameter that fills a field of a Datadog secret."""
    return {source.name for s in stack.secrets for source in s.fields.values() if isinstance(source, Param)}


def run(
    stack: StackTemplate,
    values: Mapping[str, str],
    *,
    endpoint_for: Callable[[str], Endpoint],
    site: Optional[str] = None,
    now: Optional[dt.datetime] = None,
    progress: Optional[Progress] = None,
    datadog_factory: Optional[DatadogFactory] = None,
) -> list[Check]:
    """The preflight checks of ``stack`` with parameter ``values``."""
    if not stack.secrets:
        raise UsageError(f"stack {stack.name} has no Datadog secret (no AWS::SecretsManager::Secret of a Datadog Type)")
    progress = progress or Progress(enabled=False)
    factory = datadog_factory or Datadog
    now = now or dt.datetime.now(dt.UTC)
    checks: list[Check] = []
    resolved = {s.logical_id: _resolve(s, values, checks) for s in stack.secrets}
    checks += _check_key_ids(stack, resolved)
    admins: dict[str, _Admin] = {}
    clients: list[Datadog] = []
    try:
        for secret in stack.admins:
            fields = resolved[secret.logical_id]
            if fields is None:
                continue
            endpoint = endpoint_for(fields["site"])
            client = factory(endpoint, fields["adminApiKey"], fields["adminAppKey"])
            clients.append(client)
            admin = _Admin(
                _subject(secret),
                fields["site"],
                fields["serviceAccountId"],
                fields["adminApiKey"],
                fields["adminAppKey"],
                endpoint,
                client,
            )
            admins[secret.logical_id] = admin
            checks += _check_admin(admin, fields, progress, factory, endpoint_for)
        for secret in stack.secrets:
            fields = resolved[secret.logical_id]
            if secret.type == "DatadogAdminKey" or fields is None:
                continue
            admin_of = admins.get(secret.schedule.admin_ref or "") if secret.schedule else None
            if secret.type == "DatadogApplicationKey":
                checks += _check_application_key(secret, fields, admin_of, progress, factory)
            else:
                child_site = admin_of.site if admin_of else site
                checks += _check_api_key(secret, fields, child_site, progress, factory, endpoint_for)
        checks += _check_budget(stack, admins, progress)
        checks += _check_time(stack, now)
    finally:
        for client in clients:
            client.close()
        progress.done()
    return checks


_KEY_ID_FIELDS = ("adminApiKeyId", "adminAppKeyId", "appKeyId", "apiKeyId")


def _check_key_ids(stack: StackTemplate, resolved: Mapping[str, Optional[dict[str, str]]]) -> list[Check]:
    """Each Datadog key held by one secret: a rotation deletes the key its secret held, so a key id
    given to two secrets (or twice to one) leaves the other holding a deleted key. The library
    refuses literal duplicates at synth; parameters are known here."""
    holders: dict[str, list[str]] = {}
    for secret in stack.secrets:
        fields = resolved[secret.logical_id]
        for name in _KEY_ID_FIELDS:
            if fields is not None and name in fields:
                holders.setdefault(fields[name].lower(), []).append(f"{secret.logical_id}.{name}")
    subject = f"{stack.name} (key ids)"
    shared = {key_id: where for key_id, where in holders.items() if len(where) > 1}
    if not shared:
        return [Check(subject, "each key held by one secret", Status.PASS, f"{len(holders)} key ids, all different")]
    detail = "; ".join(f"{key_id} in {' and '.join(where)}" for key_id, where in shared.items())
    return [
        Check(
            subject,
            "each key held by one secret",
            Status.FAIL,
            f"one key id given to several secrets: {detail}",
            "give each secret the id of its own Datadog key: a rotation deletes the key its secret held",
        )
    ]


def _subject(secret: DatadogSecret) -> str:
    return f"{secret.logical_id} ({secret.kind})"


def _resolve(secret: DatadogSecret, values: Mapping[str, str], checks: list[Check]) -> Optional[dict[str, str]]:
    """The secret's field values, or None (with a failed check) when one cannot be known before deploy."""
    out: dict[str, str] = {}
    for name, source in secret.fields.items():
        if isinstance(source, Literal):
            out[name] = source.value
        elif isinstance(source, Param):
            out[name] = values[source.name]
        elif isinstance(source, Computed):
            # An import from another stack, a dynamic reference: only CloudFormation knows the value.
            checks.append(
                _skipped(
                    _subject(secret),
                    f"field {name}",
                    f"computed by CloudFormation at deploy time ({source.expression[:80]}): this secret's checks "
                    "need it and are skipped; check it by hand or with preflight on the stack it comes from",
                )
            )
            return None
    return out


def _attr(value: Any, *path: str) -> Any:
    for name in path:
        if value is None:
            return None
        value = value.get(name) if isinstance(value, dict) else getattr(value, name, None)
    return value


def _check_api_key_itself(
    subject: str, what: str, key: str, key_id: str, client: Datadog, progress: Progress
) -> tuple[Check, bool]:
    progress.step(f"Datadog: GET /api/v2/validate ({subject}, {what})")
    answer = client.validate_api_key()
    name = f"{what} valid, id matches"
    if not answer.ok:
        return _refused(
            subject, name, answer, f"check the {what} and the site; create a new key if it was revoked"
        ), False
    actual = _attr(answer.body, "data", "attributes", "api_key_id")
    if actual != key_id:
        return (
            Check(
                subject,
                name,
                Status.FAIL,
                f"the key is valid, but its id is {actual}, not {key_id}",
                f"pass the Key ID shown next to this {what} in Datadog (Organization Settings → API Keys)",
            ),
            False,
        )
    return Check(subject, name, Status.PASS, f"valid, id {key_id}"), True


def _refused(subject: str, check: str, answer: Answer, fix: str) -> Check:
    if answer.unreachable:
        return Check(
            subject,
            check,
            Status.FAIL,
            answer.describe(),
            "check the network path to the Datadog site (proxy, firewall) and retry; "
            "--timeout and --retries bound each call",
        )
    if answer.status in (401, 403):
        return Check(subject, check, Status.FAIL, f"{answer.describe()}: {FORBIDDEN_HINT}", fix)
    if answer.status == 404:
        return Check(subject, check, Status.FAIL, f"{answer.describe()}: not found", fix)
    if answer.status is not None and answer.status >= 500:
        detail = f"{answer.describe()}: a Datadog server error, still failing after the retries"
        return Check(subject, check, Status.FAIL, detail, "retry later (status.datadoghq.com)")
    return Check(subject, check, Status.FAIL, answer.describe(), fix)


def _check_admin(
    admin: _Admin,
    fields: dict[str, str],
    progress: Progress,
    factory: DatadogFactory,
    endpoint_for: Callable[[str], Endpoint],
) -> list[Check]:
    subject = admin.subject
    api_only = factory(endpoint_for(admin.site), admin.api_key, None)
    try:
        first, _ = _check_api_key_itself(
            subject, "admin API key", admin.api_key, fields["adminApiKeyId"], api_only, progress
        )
    finally:
        api_only.close()
    checks = [first]
    progress.step(f"Datadog: GET /api/v2/validate_keys ({subject})")
    pair = admin.datadog.validate_key_pair()
    if not pair.ok:
        checks.append(
            _refused(
                subject, "admin key pair valid", pair, "check the admin application key; create a new one if revoked"
            )
        )
        checks.append(_skipped(subject, "admin application key scopes and owner", "needs a valid admin key pair"))
        return checks
    admin.usable = True
    checks.append(
        Check(subject, "admin key pair valid", Status.PASS, "the admin API and application keys work together")
    )
    checks += _check_app_key_identity(
        subject, "admin application key", fields["adminAppKeyId"], admin.app_key, admin, progress
    )
    progress.step(f"Datadog: GET /api/v2/application_keys/{fields['adminAppKeyId']}?include=owned_by ({subject})")
    answer = admin.datadog.application_key(fields["adminAppKeyId"])
    if not answer.ok:
        checks.append(_refused(subject, "admin scopes", answer, "the admin application key needs org_app_keys_read"))
        return checks
    scopes = _attr(answer.body, "data", "attributes", "scopes")
    if scopes is None:
        checks.append(Check(subject, "admin scopes", Status.PASS, "unrestricted (every scope of its owner)"))
        return checks
    missing = [s for s in ADMIN_SCOPES if s not in scopes]
    checks.append(
        Check(
            subject,
            "admin scopes",
            Status.FAIL if missing else Status.PASS,
            f"missing {', '.join(missing)}" if missing else f"has {', '.join(ADMIN_SCOPES)}",
            "edit the admin application key's scopes in Datadog (Organization Settings → Service Accounts "
            f"→ the account → Application Keys): {', '.join(ADMIN_SCOPES)}",
        )
    )
    return checks


def _check_app_key_identity(
    subject: str, what: str, app_key_id: str, app_key: str, admin: _Admin, progress: Progress
) -> list[Check]:
    """The key with this id exists, is the given key (same last 4 characters) and is owned by the
    admin's service account."""
    progress.step(f"Datadog: GET /api/v2/service_accounts/…/application_keys/{app_key_id} ({subject})")
    owned = admin.datadog.service_account_application_key(admin.service_account_id, app_key_id)
    name = f"{what} owned by service account"
    if owned.ok:
        last4 = _attr(owned.body, "data", "attributes", "last4")
        checks = [Check(subject, name, Status.PASS, f"id {app_key_id} belongs to {admin.service_account_id}")]
        if last4 is not None and not app_key.endswith(str(last4)):
            checks.append(
                Check(
                    subject,
                    f"{what} matches its id",
                    Status.FAIL,
                    f"the key given does not end like the key with id {app_key_id}",
                    "pass the Key ID of this very key (or the key of this id): they are listed together in Datadog",
                )
            )
        return checks
    if owned.status != 404:
        return [_refused(subject, name, owned, "retry; the admin key needs the service_account_write scope")]
    progress.step(f"Datadog: GET /api/v2/application_keys/{app_key_id}?include=owned_by ({subject})")
    anywhere = admin.datadog.application_key(app_key_id)
    if anywhere.ok:
        owner = _attr(anywhere.body, "data", "relationships", "owned_by", "data", "id")
        detail = f"key {app_key_id} is owned by {owner}, not by the admin's service account {admin.service_account_id}"
        fix = (
            "create the key under the admin's service account (AWS refuses to rotate it otherwise: "
            "\"Admin key's serviceAccountId must match the Application key's serviceAccountId\")"
        )
        return [Check(subject, name, Status.FAIL, detail, fix)]
    if anywhere.status == 404:
        return [
            Check(
                subject,
                name,
                Status.FAIL,
                f"Datadog has no application key with id {app_key_id} (mistyped id, or the key was revoked)",
                "pass the Key ID shown in Datadog; create a new key under the service account if it was revoked",
            )
        ]
    return [_refused(subject, name, anywhere, "retry; the admin key needs the org_app_keys_read scope")]


def _check_application_key(
    secret: DatadogSecret, fields: dict[str, str], admin: Optional[_Admin], progress: Progress, factory: DatadogFactory
) -> list[Check]:
    subject = _subject(secret)
    if admin is None or not admin.usable:
        why = "its admin is not in this stack" if admin is None else "the admin key pair was refused"
        return [_skipped(subject, "application key owned by the admin's service account", why)]
    checks: list[Check] = []
    if fields.get("serviceAccountId") != admin.service_account_id:
        checks.append(
            Check(
                subject,
                "same service account as the admin",
                Status.FAIL,
                f"serviceAccountId {fields.get('serviceAccountId')} differs from the admin's "
                f"{admin.service_account_id}",
                "use the admin's service account: AWS refuses to rotate otherwise",
            )
        )
    checks += _check_app_key_identity(subject, "application key", fields["appKeyId"], fields["appKey"], admin, progress)
    return checks + _check_app_key_works(subject, fields["appKey"], admin, progress, factory)


def _check_app_key_works(
    subject: str, app_key: str, admin: _Admin, progress: Progress, factory: DatadogFactory
) -> list[Check]:
    """``validate_keys`` with the admin API key and this application key: the key itself is alive."""
    progress.step(f"Datadog: GET /api/v2/validate_keys ({subject})")
    client = factory(admin.endpoint, admin.api_key, app_key)
    try:
        answer = client.validate_key_pair()
    finally:
        client.close()
    if answer.ok:
        return [Check(subject, "application key valid", Status.PASS, "Datadog accepts it")]
    return [_refused(subject, "application key valid", answer, "check the key; create a new one if it was revoked")]


def _check_api_key(
    secret: DatadogSecret,
    fields: dict[str, str],
    site: Optional[str],
    progress: Progress,
    factory: DatadogFactory,
    endpoint_for: Callable[[str], Endpoint],
) -> list[Check]:
    subject = _subject(secret)
    if site is None:
        return [_skipped(subject, "API key valid, id matches", "its admin is not in this stack: pass --site")]
    client = factory(endpoint_for(site), fields["apiKey"], None)
    try:
        check, _ = _check_api_key_itself(subject, "API key", fields["apiKey"], fields["apiKeyId"], client, progress)
    finally:
        client.close()
    return [check]


def _check_budget(stack: StackTemplate, admins: Mapping[str, _Admin], progress: Progress) -> list[Check]:
    """Datadog allows at most 50 API keys; each rotated API-key secret keeps up to two alive, and an
    admin rotation creates its new API key before it deletes the old one."""
    api_key_secrets = sum(1 for s in stack.secrets if s.type == "DatadogApiKey")
    usable = [a for a in admins.values() if a.usable]
    subject = f"{stack.name} (organisation)"
    if not usable:
        return [_skipped(subject, "API key budget", "needs a valid admin key pair")]
    admin = usable[0]
    progress.step("Datadog: GET /api/v2/api_keys?page[size]=1 (API key budget)")
    answer = admin.datadog.count_api_keys()
    if not answer.ok:
        reason = (
            "the admin key may not read API keys (api_keys_read)" if answer.status in (401, 403) else answer.describe()
        )
        return [_skipped(subject, "API key budget", f"could not be checked: {reason}")]
    count = _attr(answer.body, "meta", "page", "total_filtered_count")
    limit = _attr(answer.body, "meta", "max_allowed") or API_KEY_LIMIT
    if not isinstance(count, int):
        return [_skipped(subject, "API key budget", "could not be checked: Datadog sent no key count")]
    peak = count + api_key_secrets + len(usable)
    detail = (
        f"{count} API keys now; rotation adds up to {api_key_secrets + len(usable)} "
        f"({api_key_secrets} API-key secret(s) keep two keys each, each admin rotation creates one first): "
        f"{peak} of {limit}"
    )
    return [
        Check(
            subject,
            "API key budget",
            Status.FAIL if peak > limit else Status.PASS,
            detail,
            "revoke unused API keys in Datadog (Organization Settings → API Keys) before deploying",
        )
    ]


def _check_time(stack: StackTemplate, now: dt.datetime) -> list[Check]:
    children = [s for s in stack.secrets if s.type != "DatadogAdminKey" and s.schedule is not None]
    if not children:
        return []
    checks: list[Check] = []
    admin_ids = {s.schedule.admin_ref for s in children if s.schedule}
    for admin_id in sorted(a for a in admin_ids if a):
        admin = stack.secret(admin_id)
        subject = f"{admin_id} (admin window)"
        if admin is None or admin.schedule is None or admin.schedule.expression is None:
            checks.append(
                _skipped(subject, "not in the admin's rotation window", "the admin's schedule is not in this stack")
            )
            continue
        nearest = nearest_window(admin.schedule.expression, admin.schedule.duration, now)
        fix = "deploy after the admin's window: the children rotate as soon as their schedules are created"
        if nearest.inside:
            checks.append(
                Check(subject, "not in the admin's rotation window", Status.WARN, _window(nearest, "inside"), fix)
            )
        elif nearest.soon:
            checks.append(
                Check(subject, "not in the admin's rotation window", Status.WARN, _window(nearest, "starts soon"), fix)
            )
        else:
            checks.append(Check(subject, "not in the admin's rotation window", Status.PASS, _window(nearest, "next")))
    return checks


def _window(nearest: Nearest, what: str) -> str:
    if nearest.start is None:
        return nearest.description
    return f"{what}: {nearest.start:%Y-%m-%d %H:%M}-{nearest.end:%H:%M} UTC ({nearest.description})"


def _skipped(subject: str, check: str, why: str) -> Check:
    return Check(subject, check, Status.SKIP, why)
