"""Pure rules for catalog values (spec #catalog-management): each returns what is wrong.

Kept apart from the scenarios so they can be unit-tested without a broker.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from .requirements import version_tuple

GUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
UNRESERVED = re.compile(r"[A-Za-z0-9._~-]+")
CLI_FRIENDLY = re.compile(r"[A-Za-z0-9.-]+")
# semver.org 2.0.0, the regular expression the specification itself recommends
SEMVER = re.compile(
    r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?"
)
PERMISSIONS = ("syslog_drain", "route_forwarding", "volume_mount")
MAX_SCHEMA_BYTES = 65_536
MAX_STRING_CHARS = 255

# Optional fields: (JSON type, first spec version that defines the field).
SERVICE_FIELDS: dict[str, tuple[str, str]] = {
    "tags": ("string array", "2.11"), "requires": ("string array", "2.11"),
    "metadata": ("object", "2.11"), "dashboard_client": ("object", "2.11"),
    "plan_updateable": ("boolean", "2.11"), "instances_retrievable": ("boolean", "2.14"),
    "bindings_retrievable": ("boolean", "2.14"), "allow_context_updates": ("boolean", "2.15"),
}
PLAN_FIELDS: dict[str, tuple[str, str]] = {
    "metadata": ("object", "2.11"), "free": ("boolean", "2.11"),
    "bindable": ("boolean", "2.11"), "schemas": ("object", "2.13"),
    "plan_updateable": ("boolean", "2.15"), "maximum_polling_duration": ("integer", "2.15"),
    "maintenance_info": ("object", "2.15"), "binding_rotatable": ("boolean", "2.17"),
}
SCHEMA_PATHS = (("service_instance", "create"), ("service_instance", "update"),
                ("service_binding", "create"))


def has_type(value: Any, kind: str) -> bool:
    """Whether ``value`` is of the catalog's declared JSON type ``kind``."""
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "object":
        return isinstance(value, dict)
    if kind == "string array":
        return isinstance(value, list) and all(isinstance(v, str) for v in value)
    raise ValueError(kind)


def type_problems(obj: dict[str, Any], fields: dict[str, tuple[str, str]],
                  api_version: str) -> list[str]:
    """Optional fields of ``obj`` that exist at ``api_version`` but have the wrong type."""
    problems = []
    for name, (kind, since) in fields.items():
        if name in obj and version_tuple(since) <= version_tuple(api_version) \
                and not has_type(obj[name], kind):
            problems.append(f"{name} should be {kind}, is {json.dumps(obj[name])[:80]}")
    return problems


def external_refs(schema: Any) -> list[str]:
    """Every ``$ref`` in ``schema`` that does not point inside the same document."""
    found = []
    for key, value in _walk(schema):
        if key == "$ref" and (not isinstance(value, str) or not value.startswith("#")):
            found.append(str(value))
    return found


def _walk(node: Any) -> Iterator[tuple[str, Any]]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield key, value
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def schema_size(schema: Any) -> int:
    """Bytes of the compact UTF-8 JSON serialisation."""
    return len(json.dumps(schema, separators=(",", ":"), ensure_ascii=False).encode())


def schemas_shape_problems(schemas: Any) -> list[str]:
    """What deviates from ``{service_instance: {create, update}, service_binding: {create}}``
    with each of these an object whose ``parameters`` is an object."""
    if not isinstance(schemas, dict):
        return [f"schemas is not an object: {json.dumps(schemas)[:80]}"]
    problems = []
    for group, actions in (("service_instance", ("create", "update")),
                           ("service_binding", ("create",))):
        if group not in schemas:
            continue
        node = schemas[group]
        if not isinstance(node, dict):
            problems.append(f"{group} is not an object")
            continue
        for action in actions:
            if action not in node:
                continue
            method = node[action]
            if not isinstance(method, dict):
                problems.append(f"{group}.{action} is not an object")
            elif "parameters" in method and not isinstance(method["parameters"], dict):
                problems.append(f"{group}.{action}.parameters is not an object")
    return problems


def dashboard_client_problems(client: Any) -> list[str]:
    if not isinstance(client, dict):
        return ["dashboard_client is not an object"]
    problems = [f"{name} must be a non-empty string" for name in ("id", "secret")
                if not isinstance(client.get(name), str) or not client.get(name)]
    if "redirect_uri" in client and not isinstance(client["redirect_uri"], str):
        problems.append("redirect_uri must be a string")
    return problems


def is_semver(value: Any) -> bool:
    return isinstance(value, str) and SEMVER.fullmatch(value) is not None


def is_guid(value: Any) -> bool:
    return isinstance(value, str) and GUID.fullmatch(value) is not None


def is_unreserved(value: Any) -> bool:
    return isinstance(value, str) and UNRESERVED.fullmatch(value) is not None


def is_cli_friendly(value: Any) -> bool:
    """Letters, digits, periods and hyphens only, and more than punctuation."""
    return isinstance(value, str) and CLI_FRIENDLY.fullmatch(value) is not None \
        and any(c.isalnum() for c in value)
