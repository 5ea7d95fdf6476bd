"""The few Datadog API calls ``preflight`` makes, through the official ``datadog-api-client``.

Endpoints and the permission each needs: reference section 8 (v2 only: v1 application-key
endpoints are disabled in One-Time Read mode). Each call is bounded: ``timeout`` seconds per
attempt, and up to ``retries`` retries on a timeout, a 429 or a 5xx (the client's own urllib3
retry policy). Keys go into request headers only; nothing here logs or prints them.
"""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass
from typing import Any, Optional

import urllib3
from datadog_api_client import ApiClient, Configuration
from datadog_api_client.exceptions import ApiException
from datadog_api_client.rest import ClientRetry
from datadog_api_client.v2.api.key_management_api import KeyManagementApi
from datadog_api_client.v2.api.service_accounts_api import ServiceAccountsApi

DEFAULT_TIMEOUT = 10.0
DEFAULT_RETRIES = 2


@dataclass(frozen=True)
class Answer:
    """What Datadog said: a body (``ok``), an HTTP status, or no answer at all (``unreachable``)."""

    status: Optional[int]
    body: Any = None
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    @property
    def unreachable(self) -> bool:
        return self.status is None

    def describe(self) -> str:
        if self.unreachable:
            return f"no answer from Datadog ({self.error})"
        return f"HTTP {self.status}" + (f" {self.error}" if self.error else "")


@dataclass(frozen=True)
class Endpoint:
    """Where and how to call Datadog."""

    site: str
    url: Optional[str] = None
    """Base URL instead of ``https://api.<site>`` (a proxy, or a local test server)."""
    timeout: float = DEFAULT_TIMEOUT
    retries: int = DEFAULT_RETRIES
    backoff: float = 0.5

    @property
    def base_url(self) -> str:
        return self.url or f"https://api.{self.site}"


class Datadog:
    """Calls made with one API key and, optionally, one application key."""

    def __init__(self, endpoint: Endpoint, api_key: str, app_key: Optional[str] = None) -> None:
        configuration = Configuration(  # type: ignore[no-untyped-call]
            host=endpoint.base_url,
            request_timeout=endpoint.timeout,
            # The client's own retry class (it honours Datadog's X-Ratelimit-Reset on 429), given as a
            # policy because enable_retry refuses a backoff factor below 2 s, with that wait bounded.
            retry_policy=bounded_retry(endpoint),
        )
        configuration.api_key["apiKeyAuth"] = api_key
        if app_key is not None:
            configuration.api_key["appKeyAuth"] = app_key
        # GET /api/v2/validate returns the key's id; the client marks it unstable.
        configuration.unstable_operations["validate"] = True  # "v2.validate" raises KeyError in 2.62
        self._client = ApiClient(configuration)
        self._keys = KeyManagementApi(self._client)  # type: ignore[no-untyped-call]
        self._service_accounts = ServiceAccountsApi(self._client)  # type: ignore[no-untyped-call]

    def close(self) -> None:
        self._client.close()

    def validate_api_key(self) -> Answer:
        """``GET /api/v2/validate``: the API key is valid; ``data.attributes.api_key_id`` is its id."""
        with warnings.catch_warnings():
            # Enabled on purpose above; the client would print "Using unstable operation" each time.
            warnings.filterwarnings("ignore", message="Using unstable operation")
            return _call(self._keys.validate)

    def validate_key_pair(self) -> Answer:
        """``GET /api/v2/validate_keys``: the API key and the application key are both valid."""
        return _call(self._keys.validate_api_key)

    def application_key(self, app_key_id: str) -> Answer:
        """``GET /api/v2/application_keys/{id}?include=owned_by``: scopes, ``last4`` and owner."""
        return _call(self._keys.get_application_key, app_key_id, include="owned_by")

    def service_account_application_key(self, service_account_id: str, app_key_id: str) -> Answer:
        """``GET /api/v2/service_accounts/{sa}/application_keys/{id}``: 404 when not that account's key."""
        return _call(self._service_accounts.get_service_account_application_key, service_account_id, app_key_id)

    def count_api_keys(self) -> Answer:
        """``GET /api/v2/api_keys?page[size]=1``: ``meta.page.total_filtered_count`` and ``meta.max_allowed``."""
        return _call(self._keys.list_api_keys, page_size=1)


def bounded_retry(endpoint: Endpoint) -> ClientRetry:
    """The client's retry policy, waiting at most ``endpoint.timeout`` seconds before a retry: a
    429's ``X-Ratelimit-Reset`` counts the seconds until Datadog's rate-limit period ends (up to an
    hour for some limits), which the client would otherwise sleep in full, once per retry."""

    class BoundedRetry(ClientRetry):
        # urllib3 makes each next attempt's policy with type(self)(...): the bound stays.
        def get_retry_after(self, response: Any) -> Optional[float]:
            seconds = super().get_retry_after(response)  # type: ignore[no-untyped-call]
            return None if seconds is None else min(float(seconds), endpoint.timeout)

    return BoundedRetry(total=endpoint.retries, backoff_factor=endpoint.backoff)


def _call(method: Any, *args: Any, **kwargs: Any) -> Answer:
    try:
        return Answer(200, method(*args, **kwargs))
    except ApiException as error:
        return Answer(error.status, error=_first_error(error.body))
    except urllib3.exceptions.HTTPError as error:
        # Timeouts, refused connections and 5xx after the last retry all end here.
        return Answer(None, error=type(getattr(error, "reason", None) or error).__name__)


def _first_error(body: Any) -> str:
    """The first message of Datadog's ``{"errors": [...]}`` body (never echoes a request header)."""
    try:
        errors = json.loads(body).get("errors", [])
    except (TypeError, ValueError, AttributeError):
        return ""
    return str(errors[0])[:200] if errors else ""
