"""Framework-free request and response values passed between server, broker and mutants."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # lower-cased names
    body: bytes
    route: str = ""  # catalog, provision, update, fetch_instance, deprovision, ...
    instance_id: str = ""
    binding_id: str = ""

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    @property
    def accepts_incomplete(self) -> bool:
        return self.query.get("accepts_incomplete") == "true"


@dataclass
class Response:
    status: int
    body: Any = field(default_factory=dict)  # JSON-serialisable, or bytes sent as they are
    headers: dict[str, str] = field(default_factory=dict)


def error(status: int, description: str, code: str | None = None) -> Response:
    """An OSB error response."""
    body: dict[str, Any] = {"description": description}
    if code:
        body["error"] = code
    return Response(status, body)
