"""Parameter values that violate a plan's schema in exactly one way.

Each kind of violation is a small pure function from a property's schema to bad
values with a label. :func:`mutations` turns them into changes of a valid object;
applied to the minimal valid value they give explicit examples, applied to values
Hypothesis draws they give generated ones. A result still valid under the schema
(a constraint elsewhere may allow it) is dropped, so every example is invalid.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from .strategies import (
    Example,
    is_valid,
    minimal_value,
    properties_of,
    schema_key,
    types_of,
    valid_values,
)

EXTRA_PROPERTY = "osbc_unexpected_property"
# A value of each JSON type, for "wrong type".
_SAMPLE_OF_TYPE: dict[str, Any] = {
    "string": "osbc-not-a-number", "integer": 12345, "number": 1.5, "boolean": True,
    "object": {"osbc": 1}, "array": [1], "null": None,
}
_PATTERN_MISSES = ("", " ", "!", "osbc pattern miss ✗", "0", "#", "\n")


@dataclass(frozen=True)
class Mutation:
    """One way to make a valid object invalid."""

    label: str
    kind: str  # wrong type | out of range | too long | too short | pattern miss | ...
    apply: Callable[[dict[str, Any]], dict[str, Any]]


def wrong_type(prop: dict[str, Any]) -> list[tuple[str, Any]]:
    allowed = types_of(prop)
    if not allowed:
        return []
    if "number" in allowed:
        allowed |= {"integer"}
    other = next((t for t in ("string", "integer", "object", "boolean") if t not in allowed),
                 None)
    return [(f"a {other} instead of {'/'.join(sorted(types_of(prop)))}",
             _SAMPLE_OF_TYPE[other])] if other else []


def out_of_range(prop: dict[str, Any]) -> list[tuple[str, Any]]:
    bad = []
    for bound, exclusive_key, sign in (("minimum", "exclusiveMinimum", -1),
                                       ("maximum", "exclusiveMaximum", 1)):
        value = prop.get(bound)
        exclusive = prop.get(exclusive_key)
        if isinstance(exclusive, (int, float)) and not isinstance(exclusive, bool):
            bad.append((f"at exclusive {bound} {exclusive}", exclusive))
            continue
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            continue
        if exclusive is True:
            bad.append((f"at exclusive {bound} {value}", value))
        else:
            beyond = value + sign
            bad.append((f"{'below' if sign < 0 else 'above'} {bound} {value}: {beyond}", beyond))
    return bad


def too_long(prop: dict[str, Any]) -> list[tuple[str, Any]]:
    longest = prop.get("maxLength")
    if not isinstance(longest, int):
        return []
    return [(f"{longest + 1} characters, over maxLength {longest}", "x" * (longest + 1))]


def too_short(prop: dict[str, Any]) -> list[tuple[str, Any]]:
    shortest = prop.get("minLength")
    if not isinstance(shortest, int) or shortest <= 0:
        return []
    return [(f"{shortest - 1} characters, under minLength {shortest}", "x" * (shortest - 1))]


def pattern_miss(prop: dict[str, Any]) -> list[tuple[str, Any]]:
    pattern = prop.get("pattern")
    if not isinstance(pattern, str):
        return []
    try:
        compiled = re.compile(pattern)
    except re.error:
        return []
    miss = next((s for s in _PATTERN_MISSES if not compiled.search(s)), None)
    return [(f"{miss!r} does not match pattern {pattern!r}", miss)] if miss is not None else []


def enum_miss(prop: dict[str, Any]) -> list[tuple[str, Any]]:
    allowed = prop.get("enum")
    if not isinstance(allowed, list) or not allowed:
        return []
    first = allowed[0]
    candidate: Any = f"{first}-osbc-not-in-enum" if isinstance(first, str) else "osbc-not-in-enum"
    return [(f"{candidate!r} is not one of {allowed!r}", candidate)]


PROPERTY_VIOLATIONS: dict[str, Callable[[dict[str, Any]], list[tuple[str, Any]]]] = {
    "wrong type": wrong_type,
    "out of range": out_of_range,
    "too long": too_long,
    "too short": too_short,
    "pattern miss": pattern_miss,
    "enum miss": enum_miss,
}


def mutations(schema: dict[str, Any]) -> list[Mutation]:
    """Every one-way violation the schema's top-level keywords allow."""
    found = []
    for name, prop in properties_of(schema).items():
        for kind, make in PROPERTY_VIOLATIONS.items():
            for label, value in make(prop):
                found.append(Mutation(f"{name}: {label}", kind, _setter(name, value)))
    required = schema.get("required")
    for name in required if isinstance(required, list) else []:
        if isinstance(name, str):
            found.append(Mutation(f"required {name!r} missing", "missing required",
                                  _remover(name)))
    if schema.get("additionalProperties") is False and not schema.get("patternProperties"):
        found.append(Mutation(f"extra property {EXTRA_PROPERTY!r} where "
                              "additionalProperties is false", "extra property",
                              _setter(EXTRA_PROPERTY, 1)))
    return found


def violation_examples(schema: dict[str, Any]) -> list[Example]:
    """Each mutation applied to the minimal valid value; only results that are invalid."""
    base = minimal_value(schema_key(schema))
    if not isinstance(base, dict):
        return []
    examples = []
    for mutation in mutations(schema):
        value = mutation.apply(base)
        if not is_valid(schema, value):
            examples.append(Example(mutation.label, value))
    return examples


def violating_values(schema: dict[str, Any]) -> st.SearchStrategy[Example]:
    """A value Hypothesis draws from the schema, then broken in one way."""
    found = mutations(schema)
    if not found:
        return st.nothing()
    return st.tuples(valid_values(schema).filter(lambda v: isinstance(v, dict)),
                     st.sampled_from(found)).map(
        lambda pair: Example(pair[1].label, pair[1].apply(pair[0]))).filter(
        lambda example: not is_valid(schema, example.value))


def _setter(name: str, value: Any) -> Callable[[dict[str, Any]], dict[str, Any]]:
    return lambda obj: {**obj, name: value}


def _remover(name: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    return lambda obj: {k: v for k, v in obj.items() if k != name}
