"""Checks of OSB error response bodies (spec #service-broker-errors), usable on any 4xx.

A scenario that induced an error calls ``check_error_body(check, response)``; the test's
requirement marker must name ``ERROR_BODY_REQUIREMENTS`` (``@requirement(*ERROR_BODY_
REQUIREMENTS, ...)``). The rules themselves are the pure function ``error_body_problems``.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlsplit

from .checks import CheckRecorder
from .client import BrokerResponse

ERROR_BODY_REQUIREMENTS = (
    "ERR-002A", "ERR-002B", "ERR-003", "ERR-004A", "ERR-004B", "ERR-005A", "ERR-005B",
    "ERR-006", "ERR-009",
)
# The error codes the spec names; their spelling is exact and case-sensitive.
SPEC_ERROR_CODES = ("AsyncRequired", "ConcurrencyError", "RequiresApp", "MaintenanceInfoConflict")
_CAMEL_CASE = re.compile(r"[A-Za-z][A-Za-z0-9]*")
# instance_usable may appear for failed updates and deprovisions, update_repeatable for
# failed updates only (#service-broker-errors).
_INSTANCE_USABLE_ROUTES = ("update", "deprovision")
_UPDATE_REPEATABLE_ROUTES = ("update",)

_EXPECTED = {
    "ERR-002A": "error, when present, is a non-empty string",
    "ERR-002B": "error is one camel-case word (letters and digits, starting with a letter)",
    "ERR-003": "description, when present, is a non-empty string",
    "ERR-004A": "no instance_usable in errors of operations other than update or deprovision",
    "ERR-004B": "instance_usable, when present, is a JSON boolean",
    "ERR-005A": "no update_repeatable in errors of operations other than update",
    "ERR-005B": "update_repeatable, when present, is a JSON boolean",
    "ERR-006": f"a spec-named error code spelled exactly: {', '.join(SPEC_ERROR_CODES)}",
    "ERR-009": "an error body is a JSON object sent as Content-Type application/json",
}


def route_of(method: str, url: str) -> str:
    """The OSB route a request went to: catalog, provision, update, ..., or ``unknown``."""
    parts = [p for p in urlsplit(url).path.split("/") if p]
    if parts[-1:] == ["catalog"]:
        return "catalog"
    try:
        start = parts.index("service_instances")
    except ValueError:
        return "unknown"
    rest = parts[start + 1:]
    polling = rest[-1:] == ["last_operation"]
    if polling:
        rest = rest[:-1]
    if len(rest) == 1:
        if polling:
            return "instance_last_operation"
        return {"PUT": "provision", "PATCH": "update", "GET": "fetch_instance",
                "DELETE": "deprovision"}.get(method, "unknown")
    if len(rest) == 3 and rest[1] == "service_bindings":
        if polling:
            return "binding_last_operation"
        return {"PUT": "bind", "GET": "fetch_binding", "DELETE": "unbind"}.get(method, "unknown")
    return "unknown"


def is_json_media_type(content_type: str | None) -> bool:
    """``application/json``, with or without parameters such as charset."""
    if not content_type:
        return False
    return content_type.split(";")[0].strip().lower() == "application/json"


def error_body_problems(route: str, text: str, content_type: str | None) -> dict[str, str | None]:
    """For each error-body requirement, what is wrong with this error answer (None: fine)."""
    problems: dict[str, str | None] = dict.fromkeys(ERROR_BODY_REQUIREMENTS)
    if not text.strip():
        return problems  # no body: nothing to judge (all fields are optional)
    body = _parsed(text)
    if not isinstance(body, dict) or not is_json_media_type(content_type):
        shape = "a JSON object" if isinstance(body, dict) else "not a JSON object"
        problems["ERR-009"] = f"Content-Type {content_type!r}, body {shape}"
    if not isinstance(body, dict):
        return problems
    code = body.get("error")
    if "error" in body and (not isinstance(code, str) or not code):
        problems["ERR-002A"] = f"error = {code!r}"
    elif isinstance(code, str) and not _CAMEL_CASE.fullmatch(code):
        problems["ERR-002B"] = f"error = {code!r}"
    if isinstance(code, str):
        misspelt = [c for c in SPEC_ERROR_CODES if c.lower() == code.lower() and c != code]
        if misspelt:
            problems["ERR-006"] = f"error = {code!r}, the spec's code is {misspelt[0]!r}"
    description = body.get("description")
    if "description" in body and (not isinstance(description, str) or not description):
        problems["ERR-003"] = f"description = {description!r}"
    _flag_problems(problems, body, route, "instance_usable", "ERR-004A", "ERR-004B",
                   _INSTANCE_USABLE_ROUTES)
    _flag_problems(problems, body, route, "update_repeatable", "ERR-005A", "ERR-005B",
                   _UPDATE_REPEATABLE_ROUTES)
    return problems


def _flag_problems(
    problems: dict[str, str | None], body: dict[str, Any], route: str, name: str,
    placement_id: str, type_id: str, allowed_routes: tuple[str, ...],
) -> None:
    if name not in body:
        return
    if route not in allowed_routes:
        problems[placement_id] = f"{name} = {body[name]!r} in an error of {route}"
    if not isinstance(body[name], bool):
        problems[type_id] = f"{name} = {body[name]!r}"


def check_error_body(check: CheckRecorder, response: BrokerResponse) -> None:
    """Check the body of an error answer (4xx other than 410, or 5xx) against the
    error-body requirements; other answers are left alone."""
    if response.status < 400 or response.status == 410:
        return  # not an error: 410 Gone is a defined result of deletes and their polling
    exchange = response.exchange
    route = route_of(exchange.method, exchange.url)
    problems = error_body_problems(route, response.text, response.headers.get("content-type"))
    for requirement_id, problem in problems.items():
        check(requirement_id, problem is None, expected=_EXPECTED[requirement_id],
              observed=f"{exchange.method} {route}: {problem or 'as expected'}; "
                       f"answer {response.describe()}")


def _parsed(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return None
