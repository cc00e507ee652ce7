"""Records of HTTP exchanges with the broker, kept per test for the reports."""

from __future__ import annotations

import json
import shlex
from dataclasses import asdict, dataclass, field
from typing import Any

from .redaction import redact, redact_text

# What a transcript keeps of one body; a broker may answer megabytes.
BODY_CHARS_KEPT = 20_000


@dataclass
class Exchange:
    """One request and its response (or the transport error that replaced it)."""

    method: str
    url: str
    request_headers: dict[str, str]
    request_body: str | None
    status: int | None = None
    response_headers: dict[str, str] = field(default_factory=dict)
    response_body: str | None = None
    duration_ms: float = 0.0
    error: str | None = None

    def redacted(self) -> dict[str, Any]:
        """A JSON-ready copy with every secret removed."""
        data = asdict(self)
        data["url"] = redact_text(self.url)
        data["request_headers"] = redact(self.request_headers)
        data["response_headers"] = redact(self.response_headers)
        data["request_body"] = _redact_body(self.request_body)
        data["response_body"] = _redact_body(self.response_body)
        if self.error:
            data["error"] = redact_text(self.error)
        return data

    def summary(self) -> str:
        """One line: method, URL, status (or error) and duration."""
        outcome = self.status if self.error is None else f"ERROR {self.error}"
        return f"{self.method} {redact_text(self.url)} -> {outcome} ({self.duration_ms:.0f} ms)"


def _redact_body(body: str | None) -> str | None:
    if body is None:
        return None
    clipped = body if len(body) <= BODY_CHARS_KEPT else body[:BODY_CHARS_KEPT] + " …[truncated]"
    try:
        return json.dumps(redact(json.loads(clipped)), indent=2, ensure_ascii=False)
    except ValueError:
        return redact_text(clipped)


def format_exchange(data: dict[str, Any]) -> str:
    """Render a redacted exchange (from :meth:`Exchange.redacted`) as readable text."""
    lines = [f"> {data['method']} {data['url']}"]
    lines += [f"> {k}: {v}" for k, v in data["request_headers"].items()]
    if data["request_body"]:
        lines += ["> ", *("> " + line for line in data["request_body"].splitlines())]
    if data.get("error"):
        lines.append(f"< transport error after {data['duration_ms']:.0f} ms: {data['error']}")
        return "\n".join(lines)
    lines.append(f"< {data['status']} ({data['duration_ms']:.0f} ms)")
    lines += [f"< {k}: {v}" for k, v in data["response_headers"].items()]
    if data["response_body"]:
        lines += ["< ", *("< " + line for line in data["response_body"].splitlines())]
    return "\n".join(lines)


def format_transcript(exchanges: list[dict[str, Any]]) -> str:
    """Render a list of redacted exchanges, one block each."""
    return "\n\n".join(format_exchange(e) for e in exchanges)


def curl_command(data: dict[str, Any]) -> str:
    """A curl command that repeats a redacted exchange's request; credentials come from env."""
    parts = ["curl", "-i", "-X", data["method"], shlex.quote(data["url"])]
    for name, value in data["request_headers"].items():
        lowered = name.lower()
        if lowered == "authorization":
            parts.append('-u "$OSB_BROKER_USERNAME:$OSB_BROKER_PASSWORD"'
                         if str(value).lower().startswith("basic")
                         else '-H "Authorization: Bearer $OSB_BROKER_TOKEN"')
        elif lowered not in ("host", "content-length", "accept-encoding", "connection", "accept",
                             "user-agent"):
            parts += ["-H", shlex.quote(f"{name}: {value}")]
    if data["request_body"] is not None:
        parts += ["--data-raw", shlex.quote(data["request_body"])]
    return " ".join(parts)
