"""Small parameter objects derived from a plan's JSON Schema: one the schema accepts and
one it rejects. Every candidate is confirmed with a validator, so a schema too rich for
these simple rules gives None (the scenario is then N/A) rather than a wrong guess."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from jsonschema import exceptions as schema_exceptions
from jsonschema import validators

UNEXPECTED_KEY = "osbc_unexpected_parameter"
_WRONG_TYPE_VALUES: dict[str, Any] = {
    "string": 12345, "integer": "osbc-not-a-number", "number": "osbc-not-a-number",
    "boolean": "osbc-not-a-boolean", "object": "osbc-not-an-object",
    "array": "osbc-not-an-array",
}


def accepts(schema: dict[str, Any], value: Any) -> bool | None:
    """Whether ``schema`` accepts ``value`` (None if the schema itself is unusable)."""
    try:
        validator_class = validators.validator_for(schema)
        validator_class.check_schema(schema)
        return bool(validator_class(schema).is_valid(value))
    except schema_exceptions.SchemaError:
        return None
    except Exception:  # noqa: BLE001 - a broker's odd schema (bad $ref...) must not crash
        return None


def valid_sample(schema: dict[str, Any] | None) -> dict[str, Any] | None:
    """A small non-empty parameters object ``schema`` accepts, or None."""
    if not isinstance(schema, dict):
        return None
    properties = schema.get("properties")
    if not isinstance(properties, dict):
        return None
    for name, subschema in properties.items():
        for value in _valid_values(subschema):
            candidate = {name: value}
            if accepts(schema, candidate):
                return candidate
    return None


def invalid_sample(schema: dict[str, Any] | None) -> dict[str, Any] | None:
    """A parameters object ``schema`` rejects, or None (no schema, or none found)."""
    if not isinstance(schema, dict):
        return None
    for candidate in _invalid_candidates(schema):
        if accepts(schema, candidate) is False:
            return candidate
    return None


def _valid_values(subschema: Any) -> Iterator[Any]:
    if not isinstance(subschema, dict):
        return
    if isinstance(subschema.get("enum"), list) and subschema["enum"]:
        yield subschema["enum"][0]
    if "const" in subschema:
        yield subschema["const"]
    kind = subschema.get("type")
    if kind in ("integer", "number"):
        low = subschema.get("minimum")
        yield low if isinstance(low, (int, float)) and not isinstance(low, bool) else 1
    elif kind == "string":
        yield "osbc"
    elif kind == "boolean":
        yield True


def _invalid_candidates(schema: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield {UNEXPECTED_KEY: "osbc"}  # rejected where additionalProperties is false
    properties = schema.get("properties")
    if isinstance(properties, dict):
        for name, subschema in properties.items():
            if not isinstance(subschema, dict):
                continue
            kind = subschema.get("type")
            if isinstance(kind, str) and kind in _WRONG_TYPE_VALUES:
                yield {name: _WRONG_TYPE_VALUES[kind]}
            if isinstance(subschema.get("enum"), list):
                yield {name: "osbc-not-in-enum"}
