"""The OSB client: every request the suite sends to a broker goes through here.

One place for the API-version, auth, request-identity and originating-identity
headers, JSON bodies, bounded timeouts, capped body reads and the transcript.
"""

from __future__ import annotations

import base64
import codecs
import json
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

# httpx imports httpcore lazily and maps its exceptions through a table built once; a
# nested in-process run (pytester) that re-imported httpcore would get exceptions the
# table no longer knows. Importing it here, at plugin load, keeps one httpcore.
import httpcore  # noqa: F401
import httpx

from .errors import BrokerResponseError, BrokerTimeout, BrokerTransportError, TimeBoundSpent
from .instance_changes import InstanceChanges
from .redaction import REDACTOR, redact_text
from .request_slots import RequestSlots
from .run_stats import RunStats
from .settings import Settings
from .tls import ssl_context
from .transcript import Exchange

# A response body larger than this is cut: a broker answering gigabytes must not sink the run.
MAX_BODY_BYTES = 1_048_576
_UNSET: Any = object()


@dataclass
class BrokerResponse:
    """A broker's answer, with lazy and tolerant JSON access."""

    status: int
    headers: httpx.Headers
    text: str
    exchange: Exchange
    _json: Any = field(default=_UNSET, repr=False)

    @property
    def is_json(self) -> bool:
        try:
            self.json()
        except BrokerResponseError:
            return False
        return True

    def json(self) -> Any:
        """The parsed body; a body that is not JSON fails the check that needed it."""
        if self._json is _UNSET:
            try:
                self._json = json.loads(self.text)
            except ValueError as exc:
                raise BrokerResponseError(
                    f"response body is not JSON ({exc}): {self.preview()}", self.exchange
                ) from None
        return self._json

    def json_object(self) -> dict[str, Any]:
        """The body as a JSON object; anything else fails the check that needed it."""
        data = self.json()
        if not isinstance(data, dict):
            raise BrokerResponseError(
                f"response body is JSON but not an object: {self.preview()}", self.exchange
            )
        return data

    def body_object(self) -> dict[str, Any]:
        """The body as an object, or ``{}`` when it is absent or not an object (never raises)."""
        try:
            data = self.json()
        except BrokerResponseError:
            return {}
        return data if isinstance(data, dict) else {}

    @property
    def error_code(self) -> str | None:
        value = self.body_object().get("error")
        return value if isinstance(value, str) else None

    def preview(self, limit: int = 300) -> str:
        text = self.text if len(self.text) <= limit else self.text[:limit] + "…"
        return redact_text(text) or "(empty body)"

    def describe(self) -> str:
        """Status and body preview, for 'observed' in a finding."""
        location = self.headers.get("location")
        if 300 <= self.status < 400 and location:  # redirects are never followed: say so
            return f"{self.status} redirect to {redact_text(location)} (not followed)"
        return f"{self.status} {self.preview()}"


class OSBClient:
    """Talks OSB to one broker; keeps the transcript of the current test."""

    def __init__(self, settings: Settings, http: httpx.Client | None = None) -> None:
        self.settings = settings
        self._http = http or httpx.Client(
            timeout=httpx.Timeout(settings.timeout),
            follow_redirects=False,
            verify=ssl_context(settings.verify, settings.client_cert),
        )
        self.base_url = settings.broker_url.rstrip("/")
        self.exchanges: list[Exchange] = []
        # The per-test watchdog: after this moment no request is sent (see start_test_clock).
        self._test_deadline: float | None = None
        # Requests in a row that timed out: a broker that stopped answering ends the run.
        self.unanswered_in_a_row = 0
        self.stats = RunStats()  # what the run cost the broker (see run_stats.py)
        self.slots = RequestSlots(None, 1)  # the run's bound on requests in flight
        self.changes = InstanceChanges()  # which instances may no longer be as provisioned

    def start_test_clock(self, seconds: float) -> None:
        """From now on, the current test may send requests for ``seconds`` more."""
        self._test_deadline = time.monotonic() + seconds

    def test_time_left(self) -> float | None:
        """Seconds the current test may still send requests (None: unbounded), e.g. for a
        fuzzer to stop generating examples before the watchdog refuses its requests."""
        if self._test_deadline is None:
            return None
        return max(0.0, self._test_deadline - time.monotonic())

    def stop_test_clock(self) -> None:
        """No per-test bound (cleanup and session-level requests have their own)."""
        self._test_deadline = None

    def close(self) -> None:
        self._http.close()

    def take_exchanges(self) -> list[Exchange]:
        """Hand over the exchanges recorded since the last call, and start afresh."""
        taken, self.exchanges = self.exchanges, []
        return taken

    # -- the ten routes -------------------------------------------------------------------
    def catalog(self, **kw: Any) -> BrokerResponse:
        kw.setdefault("originating_identity", False)
        return self.request("GET", "/v2/catalog", **kw)

    def provision(
        self, instance_id: str, body: Any, accepts_incomplete: bool | None = None, **kw: Any
    ) -> BrokerResponse:
        return self.request(
            "PUT", _instance_path(instance_id), json_body=body,
            params=_incomplete(accepts_incomplete), **kw,
        )

    def update(
        self, instance_id: str, body: Any, accepts_incomplete: bool | None = None, **kw: Any
    ) -> BrokerResponse:
        return self.request(
            "PATCH", _instance_path(instance_id), json_body=body,
            params=_incomplete(accepts_incomplete), **kw,
        )

    def deprovision(
        self, instance_id: str, service_id: str | None, plan_id: str | None,
        accepts_incomplete: bool | None = None, **kw: Any,
    ) -> BrokerResponse:
        params = _ids(service_id, plan_id) | _incomplete(accepts_incomplete)
        return self.request("DELETE", _instance_path(instance_id), params=params, **kw)

    def fetch_instance(
        self, instance_id: str, service_id: str | None = None, plan_id: str | None = None,
        **kw: Any,
    ) -> BrokerResponse:
        params = _ids(service_id, plan_id)
        return self.request("GET", _instance_path(instance_id), params=params, **kw)

    def instance_last_operation(
        self, instance_id: str, service_id: str | None, plan_id: str | None,
        operation: str | None = None, **kw: Any,
    ) -> BrokerResponse:
        params = _ids(service_id, plan_id) | _operation(operation)
        path = _instance_path(instance_id) + "/last_operation"
        return self.request("GET", path, params=params, **kw)

    def bind(
        self, instance_id: str, binding_id: str, body: Any,
        accepts_incomplete: bool | None = None, **kw: Any,
    ) -> BrokerResponse:
        return self.request(
            "PUT", _binding_path(instance_id, binding_id), json_body=body,
            params=_incomplete(accepts_incomplete), **kw,
        )

    def fetch_binding(
        self, instance_id: str, binding_id: str, service_id: str | None = None,
        plan_id: str | None = None, **kw: Any,
    ) -> BrokerResponse:
        params = _ids(service_id, plan_id)
        return self.request("GET", _binding_path(instance_id, binding_id), params=params, **kw)

    def unbind(
        self, instance_id: str, binding_id: str, service_id: str | None, plan_id: str | None,
        accepts_incomplete: bool | None = None, **kw: Any,
    ) -> BrokerResponse:
        params = _ids(service_id, plan_id) | _incomplete(accepts_incomplete)
        return self.request(
            "DELETE", _binding_path(instance_id, binding_id), params=params, **kw
        )

    def binding_last_operation(
        self, instance_id: str, binding_id: str, service_id: str | None, plan_id: str | None,
        operation: str | None = None, **kw: Any,
    ) -> BrokerResponse:
        params = _ids(service_id, plan_id) | _operation(operation)
        path = _binding_path(instance_id, binding_id) + "/last_operation"
        return self.request("GET", path, params=params, **kw)

    # -- the one way out ------------------------------------------------------------------
    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        json_body: Any = _UNSET,
        content: bytes | str | None = None,
        headers: Mapping[str, str | None] | None = None,
        auth: Any = True,
        originating_identity: bool = True,
    ) -> BrokerResponse:
        """Send one request and record it.

        ``auth``: True for the run's credentials, False for none, a ``(user, password)``
        pair for other basic credentials, or a string for a raw ``Authorization`` value.
        A header given as ``None`` in ``headers`` is left out.
        """
        body = _encode_body(json_body, content)
        sent_headers = self._headers(auth, originating_identity, body is not None)
        for name, value in (headers or {}).items():
            _set_header(sent_headers, name, value)
        url = self.base_url + path
        if params:
            url += "?" + "&".join(f"{k}={quote(str(v), safe='')}" for k, v in params.items())
        return self._send(method, url, sent_headers, body)

    def _headers(self, auth: Any, originating_identity: bool, has_body: bool) -> dict[str, str]:
        headers = {
            "X-Broker-API-Version": self.settings.api_version,
            "X-Broker-API-Request-Identity": str(uuid.uuid4()),
            "Accept": "application/json",
        }
        if has_body:
            headers["Content-Type"] = "application/json"
        if originating_identity:
            identity = originating_identity_header(self.settings.platform)
            headers["X-Broker-API-Originating-Identity"] = identity
            REDACTOR.add_literals([identity.split(" ", 1)[-1]])  # also where a broker echoes it
        authorization = self._authorization(auth)
        if authorization:
            headers["Authorization"] = authorization
        return headers

    def _authorization(self, auth: Any) -> str | None:
        if auth is False or auth is None:
            return None
        if isinstance(auth, str):
            return auth
        if isinstance(auth, tuple):
            return basic_authorization(*auth)
        if self.settings.token:
            return f"Bearer {self.settings.token}"
        if self.settings.username is not None and self.settings.password is not None:
            return basic_authorization(self.settings.username, self.settings.password)
        return None

    def _send(
        self, method: str, url: str, headers: dict[str, str], body: bytes | None
    ) -> BrokerResponse:
        exchange = Exchange(
            method=method, url=url, request_headers=dict(headers),
            request_body=body.decode("utf-8", "replace") if body is not None else None,
        )
        self.exchanges.append(exchange)
        try:
            return self._carry_out(exchange, method, url, headers, body)
        finally:
            self.changes.note(method, url, body, exchange.status)

    def _carry_out(
        self, exchange: Exchange, method: str, url: str, headers: dict[str, str],
        body: bytes | None,
    ) -> BrokerResponse:
        started = time.monotonic()
        timeout = self._request_timeout(method, url, exchange, started)
        try:
            with self.slots.held():
                status, response_headers, raw = self._stream(
                    method, url, headers, body, started, timeout)
        except httpx.TimeoutException as exc:
            self.stats.count_exchange(method, url, None, time.monotonic() - started, body)
            self.unanswered_in_a_row += 1
            exchange.duration_ms = (time.monotonic() - started) * 1000
            exchange.error = f"timed out ({type(exc).__name__}, limit {timeout:g}s)"
            bound = f"{timeout:.3g}s" if timeout >= self.settings.timeout else (
                f"{timeout:.3g}s, the rest of the test's time bound of "
                f"{self.settings.test_timeout:g}s (--osb-test-timeout)")
            raise BrokerTimeout(
                f"{method} {redact_text(url)}: the broker gave no complete response within "
                f"{bound} ({type(exc).__name__})", exchange,
            ) from None
        except (httpx.HTTPError, OSError) as exc:
            self.stats.count_exchange(method, url, None, time.monotonic() - started, body)
            exchange.duration_ms = (time.monotonic() - started) * 1000
            exchange.error = f"{type(exc).__name__}: {exc}"
            raise BrokerTransportError(
                f"{method} {redact_text(url)}: {type(exc).__name__}: {redact_text(str(exc))}",
                exchange,
            ) from None
        self.unanswered_in_a_row = 0
        self.stats.count_exchange(method, url, status, time.monotonic() - started, body)
        exchange.duration_ms = (time.monotonic() - started) * 1000
        exchange.status = status
        exchange.response_headers = dict(response_headers)
        text = raw.decode(_charset(response_headers), "replace")
        exchange.response_body = text
        response = BrokerResponse(status, response_headers, text, exchange)
        REDACTOR.learn_from(response.body_object())
        return response

    def _request_timeout(
        self, method: str, url: str, exchange: Exchange, started: float
    ) -> float:
        """The request's timeout: the run's, or less when the test's bound is near."""
        if self._test_deadline is None:
            return self.settings.timeout
        remaining = self._test_deadline - started
        if remaining <= 0:
            exchange.error = "not sent: the test used up its time bound"
            raise TimeBoundSpent(
                f"{method} {redact_text(url)}: not sent, the test used up its time bound of "
                f"{self.settings.test_timeout:g}s (--osb-test-timeout)", exchange)
        return min(self.settings.timeout, remaining)

    def _stream(
        self, method: str, url: str, headers: dict[str, str], body: bytes | None, started: float,
        timeout: float,
    ) -> tuple[int, httpx.Headers, bytes]:
        # A body trickling in byte by byte never trips the read timeout: bound the whole.
        deadline = started + request_bound(timeout)
        with self._http.stream(method, url, headers=headers, content=body,
                               timeout=httpx.Timeout(timeout)) as response:
            chunks: list[bytes] = []
            size = 0
            for chunk in response.iter_raw():
                chunks.append(chunk)
                size += len(chunk)
                if size >= MAX_BODY_BYTES:
                    chunks.append(b"\n...[body cut at 1 MiB by osb-conformance]")
                    break
                if time.monotonic() > deadline:
                    raise httpx.ReadTimeout("body still arriving after the overall deadline")
            return response.status_code, response.headers, b"".join(chunks)


def request_bound(timeout: float) -> float:
    """Seconds one request can take at most: each read within ``timeout``, all within this."""
    return max(timeout * 3, timeout + 5)


def basic_authorization(username: str, password: str) -> str:
    token = base64.b64encode(f"{username}:{password}".encode()).decode()
    return f"Basic {token}"


def originating_identity_header(platform: str) -> str:
    """An originating-identity value in the platform's profile format."""
    if platform == "kubernetes":
        identity = {"username": "osb-conformance", "uid": "osbc-uid-1",
                    "groups": ["osb-conformance"], "extra": {}}
    else:
        identity = {"user_id": "683ea748-3092-4ff4-b656-39cacc4d5360"}
    value = base64.b64encode(json.dumps(identity).encode()).decode()
    return f"{platform} {value}"


def _encode_body(json_body: Any, content: bytes | str | None) -> bytes | None:
    if content is not None:
        return content.encode() if isinstance(content, str) else content
    if json_body is _UNSET:
        return None
    return json.dumps(json_body).encode()


def _set_header(headers: dict[str, str], name: str, value: str | None) -> None:
    for existing in [k for k in headers if k.lower() == name.lower()]:
        del headers[existing]
    if value is not None:
        headers[name] = value


def _charset(headers: httpx.Headers) -> str:
    content_type = headers.get("content-type", "")
    for part in content_type.split(";")[1:]:
        key, _, value = part.strip().partition("=")
        if key.lower() == "charset" and value:
            try:
                return codecs.lookup(value.strip('"')).name
            except LookupError:
                break
    return "utf-8"


def _instance_path(instance_id: str) -> str:
    return f"/v2/service_instances/{quote(instance_id, safe='')}"


def _binding_path(instance_id: str, binding_id: str) -> str:
    return f"{_instance_path(instance_id)}/service_bindings/{quote(binding_id, safe='')}"


def _incomplete(accepts_incomplete: bool | None) -> dict[str, str]:
    if accepts_incomplete is None:
        return {}
    return {"accepts_incomplete": "true" if accepts_incomplete else "false"}


def _ids(service_id: str | None, plan_id: str | None) -> dict[str, str]:
    params = {}
    if service_id is not None:
        params["service_id"] = service_id
    if plan_id is not None:
        params["plan_id"] = plan_id
    return params


def _operation(operation: str | None) -> dict[str, str]:
    return {"operation": operation} if operation is not None else {}
