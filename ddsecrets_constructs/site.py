"""Datadog sites: the ``site`` field of an admin key secret.

Source: reference section 3 (Datadog site list). AWS does not document which sites managed
rotation supports, so a site outside the list is possible through :meth:`DatadogSite.custom`,
which warns instead of failing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import ClassVar, Union

from .validation import Problems, describe, is_unresolved

# A bare lower-case host name: labels of letters, digits and hyphens, at least one dot.
_HOST = re.compile(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+")


@dataclass(frozen=True)
class DatadogSite:
    """A Datadog site, e.g. ``DatadogSite.EU1`` (``.value == "datadoghq.eu"``).

    Use the constants for the known sites; :meth:`custom` is the escape hatch for a site this
    library does not list, and makes the construct emit a warning.

    :param value: the site string, e.g. ``"datadoghq.eu"``.
    :param is_custom: whether the site is outside the known list. Default: False
    """

    value: str
    """The site as Secrets Manager expects it in the secret (``datadoghq.com``, not a URL)."""
    is_custom: bool = False
    """True for a site given through :meth:`custom`."""

    US1: ClassVar[DatadogSite]
    US3: ClassVar[DatadogSite]
    US5: ClassVar[DatadogSite]
    EU1: ClassVar[DatadogSite]
    AP1: ClassVar[DatadogSite]
    AP2: ClassVar[DatadogSite]
    US1_FED: ClassVar[DatadogSite]
    US2_FED: ClassVar[DatadogSite]
    UK1: ClassVar[DatadogSite]

    @classmethod
    def custom(cls, site: str) -> DatadogSite:
        """A site not in this library's list. It must still be a bare lower-case host name.

        :param site: the site, e.g. ``"us7.datadoghq.com"``.
        """
        return cls(site, is_custom=True)

    @classmethod
    def known(cls) -> tuple[DatadogSite, ...]:
        """Every site this library knows, in documentation order."""
        return _KNOWN

    def __repr__(self) -> str:
        """``DatadogSite.EU1``, or ``DatadogSite.custom('us7.datadoghq.com')``: what the user wrote."""
        name = _NAME_OF.get(self.value) if isinstance(self.value, str) and not self.is_custom else None
        return f"DatadogSite.{name}" if name else f"DatadogSite.custom({describe(self.value)})"

    @property
    def api_host(self) -> str:
        """The API host of the site (``api.<site>``)."""
        return f"api.{self.value}"


DatadogSite.US1 = DatadogSite("datadoghq.com")
DatadogSite.US3 = DatadogSite("us3.datadoghq.com")
DatadogSite.US5 = DatadogSite("us5.datadoghq.com")
DatadogSite.EU1 = DatadogSite("datadoghq.eu")
DatadogSite.AP1 = DatadogSite("ap1.datadoghq.com")
DatadogSite.AP2 = DatadogSite("ap2.datadoghq.com")
DatadogSite.US1_FED = DatadogSite("ddog-gov.com")
DatadogSite.US2_FED = DatadogSite("us2.ddog-gov.com")
DatadogSite.UK1 = DatadogSite("uk1.datadoghq.com")

_NAMES = ("US1", "US3", "US5", "EU1", "AP1", "AP2", "US1_FED", "US2_FED", "UK1")
_KNOWN: tuple[DatadogSite, ...] = tuple(getattr(DatadogSite, name) for name in _NAMES)
_NAME_OF = {getattr(DatadogSite, name).value: name for name in _NAMES}
_ALLOWED = "one of " + ", ".join(f"DatadogSite.{n} ({getattr(DatadogSite, n).value!r})" for n in _NAMES)

SiteInput = Union[DatadogSite, str]
_BARE_DOMAIN = "The site is the bare domain, without scheme, path, 'app.' or 'api.' host or upper case"


def _normalised_guess(site: str) -> str:
    """What the user probably meant: no scheme, no path, lower case, no ``app.``/``api.`` host."""
    guess = re.sub(r"^[a-z]+://", "", site.strip().lower()).split("/")[0]
    guess = re.sub(r"^(app|api)\.", "", guess)
    return "datadoghq.com" if guess == "datadog.com" else guess


def resolve_site(problems: Problems, prop: str, site: SiteInput) -> str:
    """Check ``site`` and return the string to store in the secret."""
    if isinstance(site, DatadogSite):
        if not site.is_custom:
            return site.value
        return _resolve_custom(problems, prop, site)
    if not isinstance(site, str):
        problems.wrong_type(prop, site, f"a DatadogSite: {_ALLOWED}")
        return ""
    if is_unresolved(site):
        problems.skip(prop, "known Datadog site")
        return site
    if site in _NAME_OF:
        return site
    guess = _normalised_guess(site)
    hint = (
        f"did you mean DatadogSite.{_NAME_OF[guess]} ({guess!r})? {_BARE_DOMAIN}"
        if guess in _NAME_OF
        else f"use {_ALLOWED}, or DatadogSite.custom('...') for a site not in this list"
    )
    problems.add(prop, describe(site), hint)
    return site


def _resolve_custom(problems: Problems, prop: str, site: DatadogSite) -> str:
    """The escape hatch gets every check a site string gets, except the list of known sites."""
    value = site.value
    if not isinstance(value, str):
        problems.add(prop, repr(site), "DatadogSite.custom() takes the site as a string, e.g. 'us7.datadoghq.com'")
        return ""
    if is_unresolved(value):
        problems.skip(prop, "custom site format")
    elif not _HOST.fullmatch(value):
        problems.add(
            prop,
            repr(site),
            "a custom site must be a bare lower-case host name such as 'us7.datadoghq.com' "
            "(no scheme, path, upper case or 'app.' host)",
        )
    elif value in _NAME_OF:
        pass  # a known site given the long way: nothing to warn about
    elif _normalised_guess(value) in _NAME_OF:
        guess = _normalised_guess(value)
        problems.add(prop, repr(site), f"did you mean DatadogSite.{_NAME_OF[guess]} ({guess!r})? {_BARE_DOMAIN}")
    else:
        problems.warn(
            "customSite",
            f"`{problems.name(prop)}` is {site!r}, which this library does not know; "
            "check that Secrets Manager rotation supports it before relying on it.",
        )
    return value


def site_of(value: str) -> DatadogSite:
    """The DatadogSite for a stored site string: the known constant, else a custom site (which is
    also how a deploy-time site is shown)."""
    name = _NAME_OF.get(value)
    return getattr(DatadogSite, name) if name is not None else DatadogSite.custom(value)
