"""A small Datadog API on 127.0.0.1 for the ``preflight`` tests: a real HTTP peer, not a mock.

It answers the five endpoints ``ddsecrets preflight`` calls, with bodies shaped as in Datadog's
OpenAPI spec (the models of ``datadog-api-client`` parse and type-check every one), and can
misbehave on purpose: an IP allow-list (403 on every call made with an application key), slow
answers (timeouts), and a number of 5xx or 429 answers before it recovers.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any, Optional
from urllib.parse import parse_qs, urlparse

from tests.local_server import LocalServer

ORG = "9f1b7c2a-0d3e-11ef-9a4b-da7ad0900002"
FORBIDDEN = {"errors": ["Forbidden"]}
NOT_FOUND = {"errors": ["Not found"]}


@dataclass
class ApiKey:
    key: str
    revoked: bool = False


@dataclass
class AppKey:
    key: str
    owner: str
    scopes: Optional[list[str]] = None  # None: unrestricted
    revoked: bool = False


@dataclass
class Org:
    """What the fake Datadog organisation holds; tests change it between runs."""

    api_keys: dict[str, ApiKey] = field(default_factory=dict)
    app_keys: dict[str, AppKey] = field(default_factory=dict)
    extra_api_keys: int = 0
    """API keys that exist but are not used by the stack (for the budget count)."""
    ip_allow_list_blocks: bool = False
    slow_seconds: float = 0.0
    failures_left: int = 0
    failure_status: int = 503
    failure_headers: dict[str, str] = field(default_factory=dict)
    """Headers of the failure answers (a 429's ``X-Ratelimit-Reset``)."""
    requests: list[str] = field(default_factory=list)
    """Method and path of every request (never a header: those carry keys)."""
    request_times: list[float] = field(default_factory=list)
    """When each of ``requests`` arrived (``time.monotonic()``, this process's clock)."""

    def api_key_id(self, key: Optional[str]) -> Optional[str]:
        return next((i for i, k in self.api_keys.items() if k.key == key and not k.revoked), None)

    def app_key(self, key: Optional[str]) -> Optional[AppKey]:
        return next((k for k in self.app_keys.values() if k.key == key and not k.revoked), None)


def _application_key(key_id: str, key: AppKey) -> dict[str, Any]:
    attributes: dict[str, Any] = {
        "created_at": "2026-11-01T10:00:00.000000+00:00",
        "last4": key.key[-4:],
        "name": f"key {key_id[:8]}",
        "scopes": key.scopes,
    }
    return {
        "id": key_id,
        "type": "application_keys",
        "attributes": attributes,
        "relationships": {"owned_by": {"data": {"id": key.owner, "type": "users"}}},
    }


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # quiet: nothing of a request is logged
        pass

    def _send(self, status: int, body: Any, headers: Optional[dict[str, str]] = None) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        org: Org = self.server.org  # type: ignore[attr-defined]
        url = urlparse(self.path)
        org.request_times.append(time.monotonic())
        org.requests.append(f"GET {url.path}")
        if org.slow_seconds:
            time.sleep(org.slow_seconds)
        if org.failures_left > 0:
            org.failures_left -= 1
            self._send(org.failure_status, {"errors": ["Internal Server Error"]}, org.failure_headers)
            return
        api_key_id = org.api_key_id(self.headers.get("DD-API-KEY"))
        if url.path == "/api/v2/validate":
            if api_key_id is None:
                self._send(403, FORBIDDEN)
                return
            self._send(
                200,
                {
                    "data": {
                        "id": ORG,
                        "type": "validate_v2",
                        "attributes": {"api_key_id": api_key_id, "api_key_scopes": [], "valid": True},
                    }
                },
            )
            return
        app_key = org.app_key(self.headers.get("DD-APPLICATION-KEY"))
        if api_key_id is None or app_key is None or org.ip_allow_list_blocks:
            self._send(403, FORBIDDEN)
            return
        if url.path == "/api/v2/validate_keys":
            self._send(200, {"status": "ok"})
            return
        self._route(url.path, parse_qs(url.query), app_key)

    def _route(self, path: str, query: dict[str, list[str]], caller: AppKey) -> None:
        org: Org = self.server.org  # type: ignore[attr-defined]

        def allowed(scope: str) -> bool:
            return caller.scopes is None or scope in caller.scopes

        found = re.fullmatch(r"/api/v2/application_keys/([^/]+)", path)
        if found:
            if not allowed("org_app_keys_read"):
                self._send(403, FORBIDDEN)
                return
            key = org.app_keys.get(found.group(1))
            if key is None or key.revoked:
                self._send(404, NOT_FOUND)
                return
            body: dict[str, Any] = {"data": _application_key(found.group(1), key)}
            if query.get("include") == ["owned_by"]:
                body["included"] = [
                    {
                        "id": key.owner,
                        "type": "users",
                        "attributes": {"name": "rotation", "service_account": True, "status": "Active"},
                    }
                ]
            self._send(200, body)
            return
        found = re.fullmatch(r"/api/v2/service_accounts/([^/]+)/application_keys/([^/]+)", path)
        if found:
            if not allowed("service_account_write"):
                self._send(403, FORBIDDEN)
                return
            key = org.app_keys.get(found.group(2))
            if key is None or key.revoked or key.owner != found.group(1):
                self._send(404, NOT_FOUND)
                return
            self._send(200, {"data": _application_key(found.group(2), key)})
            return
        if path == "/api/v2/api_keys":
            if not allowed("api_keys_read"):
                self._send(403, FORBIDDEN)
                return
            live = [i for i, k in org.api_keys.items() if not k.revoked]
            self._send(
                200,
                {
                    "data": [
                        {
                            "id": live[0],
                            "type": "api_keys",
                            "attributes": {
                                "created_at": "2026-11-01T10:00:00.000000+00:00",
                                "last4": "abcd",
                                "name": "k",
                            },
                        }
                    ],
                    "meta": {"max_allowed": 50, "page": {"total_filtered_count": len(live) + org.extra_api_keys}},
                },
            )
            return
        self._send(404, NOT_FOUND)


class FakeDatadog(LocalServer):
    """The fake Datadog API; ``org`` is what it holds (tests replace or change it between runs)."""

    def __init__(self, org: Org) -> None:
        super().__init__(_Handler)
        self.org = org
        self.server.org = org  # type: ignore[attr-defined]

    def __setattr__(self, name: str, value: object) -> None:
        super().__setattr__(name, value)
        if name == "org" and "server" in self.__dict__:
            self.server.org = value  # type: ignore[attr-defined]

    def start(self) -> FakeDatadog:
        super().start()
        return self
