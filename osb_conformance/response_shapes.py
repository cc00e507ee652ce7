"""Shape rules for fields of instance and binding responses, as pure functions.

Each function takes a response body (a dict) and returns what is wrong with one field,
or None. Scenarios call them and hand the result to ``check``; the rules live here so
that unit tests can pin them down without a broker.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

OPERATION_MAX_CHARS = 10_000
VOLUME_MODES = ("r", "rw")
ENDPOINT_PROTOCOLS = ("tcp", "udp", "all")
# Fields that carry binding information: a 202 bind answer must carry none of them.
BINDING_INFORMATION = ("credentials", "syslog_drain_url", "route_service_url",
                       "volume_mounts", "endpoints")
# yyyy-mm-ddThh:mm:ss.sZ (the spec's pattern; one or more fraction digits accepted)
_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d+Z")
_PORT = r"(\d{1,5})"
_PORT_OR_RANGE = re.compile(rf"{_PORT}(?:-{_PORT})?")


def dashboard_url_problem(body: dict[str, Any]) -> str | None:
    """dashboard_url, when present, is a string or null."""
    if "dashboard_url" not in body or body["dashboard_url"] is None:
        return None
    value = body["dashboard_url"]
    return None if isinstance(value, str) else f"dashboard_url = {value!r} is not a string"


def operation_problem(body: dict[str, Any], max_chars: int | None = OPERATION_MAX_CHARS,
                      null_allowed: bool = True) -> str | None:
    """operation, when present, is a string (of at most ``max_chars``); null only where
    ``null_allowed`` (instances: yes; bindings: 'if present, MUST be a string')."""
    if "operation" not in body or (body["operation"] is None and null_allowed):
        return None
    value = body["operation"]
    if not isinstance(value, str):
        return f"operation = {value!r:.80} is not a string"
    if max_chars is not None and len(value) > max_chars:
        return f"operation has {len(value)} characters, more than {max_chars}"
    return None


def metadata_problem(body: dict[str, Any]) -> str | None:
    """metadata, when present, is an object whose labels and attributes are objects."""
    if "metadata" not in body:
        return None
    metadata = body["metadata"]
    if not isinstance(metadata, dict):
        return f"metadata = {metadata!r:.80} is not an object"
    for member in ("labels", "attributes"):
        if member in metadata and not isinstance(metadata[member], dict):
            return f"metadata.{member} = {metadata[member]!r:.80} is not an object"
    return None


def credentials_problem(body: dict[str, Any]) -> str | None:
    if "credentials" in body and not isinstance(body["credentials"], dict):
        return f"credentials = {type(body['credentials']).__name__}, not an object"
    return None


def required_string_problem(body: dict[str, Any], field: str, required: bool,
                            declared: bool) -> str | None:
    """syslog_drain_url / route_service_url: present only if declared, a string, and
    present whenever ``required``."""
    if field not in body:
        return f"no {field} although the offering requires it" if required else None
    if not declared:
        return f"{field} returned although the catalog does not declare the feature"
    if not isinstance(body[field], str):
        return f"{field} = {body[field]!r:.80} is not a string"
    return None


def volume_mounts_problem(body: dict[str, Any], declared: bool) -> str | None:
    """volume_mounts: only with requires volume_mount, always then, each entry well formed."""
    if "volume_mounts" not in body:
        return "no volume_mounts although the offering requires volume_mount" \
            if declared else None
    if not declared:
        return "volume_mounts returned although the catalog does not declare volume_mount"
    mounts = body["volume_mounts"]
    if not isinstance(mounts, list):
        return f"volume_mounts = {mounts!r:.80} is not an array"
    for index, mount in enumerate(mounts):
        problem = _volume_mount_problem(mount)
        if problem:
            return f"volume_mounts[{index}]: {problem}"
    return None


def _volume_mount_problem(mount: Any) -> str | None:
    if not isinstance(mount, dict):
        return "not an object"
    for field in ("driver", "container_dir"):
        if not isinstance(mount.get(field), str):
            return f"{field} missing or not a string"
    if mount.get("mode") not in VOLUME_MODES:
        return f"mode = {mount.get('mode')!r}, not 'r' or 'rw'"
    if mount.get("device_type") != "shared":
        return f"device_type = {mount.get('device_type')!r}, not 'shared'"
    device = mount.get("device")
    if not isinstance(device, dict):
        return "device missing or not an object"
    if not isinstance(device.get("volume_id"), str):
        return "device.volume_id missing or not a string"
    if "mount_config" in device and not isinstance(device["mount_config"], dict):
        return "device.mount_config is not an object"
    return None


def endpoints_problem(body: dict[str, Any]) -> str | None:
    """endpoints, when present: host string, non-empty ports of ports/ranges, protocol."""
    if "endpoints" not in body:
        return None
    endpoints = body["endpoints"]
    if not isinstance(endpoints, list):
        return f"endpoints = {endpoints!r:.80} is not an array"
    for index, endpoint in enumerate(endpoints):
        problem = _endpoint_problem(endpoint)
        if problem:
            return f"endpoints[{index}]: {problem}"
    return None


def _endpoint_problem(endpoint: Any) -> str | None:
    if not isinstance(endpoint, dict):
        return "not an object"
    if not isinstance(endpoint.get("host"), str) or not endpoint["host"]:
        return "host missing or not a string"
    ports = endpoint.get("ports")
    if not isinstance(ports, list) or not ports:
        return f"ports = {ports!r:.80} is not a non-empty array"
    bad = [p for p in ports if not _is_port_or_range(p)]
    if bad:
        return f"ports {bad!r:.80} are not strings of a port or a port range"
    if "protocol" in endpoint and endpoint["protocol"] not in ENDPOINT_PROTOCOLS:
        return f"protocol = {endpoint['protocol']!r}, not one of {ENDPOINT_PROTOCOLS}"
    return None


def _is_port_or_range(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    match = _PORT_OR_RANGE.fullmatch(value)
    if not match:
        return False
    low = int(match[1])
    high = int(match[2]) if match[2] else low
    return 0 <= low <= high <= 65535


def binding_metadata_problem(body: dict[str, Any]) -> str | None:
    """metadata.expires_at / renew_before: the spec's timestamp form, renew <= expires."""
    metadata = body.get("metadata")
    if metadata is None:
        return None
    if not isinstance(metadata, dict):
        return f"metadata = {metadata!r:.80} is not an object"
    times = {}
    for field in ("expires_at", "renew_before"):
        if field not in metadata:
            continue
        value = metadata[field]
        parsed = parse_timestamp(value)
        if parsed is None:
            return f"metadata.{field} = {value!r:.60} is not of the form yyyy-mm-ddThh:mm:ss.sZ"
        times[field] = parsed
    if len(times) == 2 and times["renew_before"] > times["expires_at"]:
        return "metadata.renew_before is later than metadata.expires_at"
    return None


def parse_timestamp(value: Any) -> datetime | None:
    """A ``yyyy-mm-ddThh:mm:ss.sZ`` timestamp, or None if the value is not one."""
    if not isinstance(value, str) or not _TIMESTAMP.fullmatch(value):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def binding_information(body: dict[str, Any]) -> list[str]:
    """The binding-information fields a body carries."""
    return [field for field in BINDING_INFORMATION if field in body]
