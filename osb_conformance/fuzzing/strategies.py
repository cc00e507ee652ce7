"""Valid parameter values from a plan's own schema, and generic JSON for plans without one.

Hypothesis-jsonschema draws the values; on top, :func:`boundary_examples` builds
explicit examples at the schema's edges (minimum, maximum, maxLength, each enum
value) and with non-ASCII strings, which random generation reaches only by luck.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from typing import Any

from hypothesis import strategies as st
from jsonschema import Draft4Validator, validators

# hypothesis-jsonschema generates for these drafts; a schema without $schema is read as
# draft 4, the version the OSB spec names for parameters schemas.
SUPPORTED_DRAFTS = ("draft-04", "draft-06", "draft-07")
NON_ASCII = "Grüße 世界 ✓ ñ Ωμέγα "
GENERIC_OBJECT_SIZE = 4


@dataclass(frozen=True)
class Example:
    """One explicit or generated parameters value, with what makes it interesting."""

    label: str
    value: Any
    # The examples this one combines (see grouped_examples); empty for a plain example.
    parts: tuple[Example, ...] = field(default=(), compare=False)


def unsupported_reason(schema: dict[str, Any]) -> str | None:
    """Why values cannot be generated from ``schema`` (unsupported draft, recursion), or None."""
    declared = schema.get("$schema")
    if isinstance(declared, str) and not any(d in declared for d in SUPPORTED_DRAFTS):
        return (f"the schema declares $schema {declared!r}; hypothesis-jsonschema generates "
                f"only for JSON Schema {', '.join(SUPPORTED_DRAFTS)}")
    try:
        minimal_value(schema_key(schema))  # forces resolution: the strategy is lazy
    except Exception as exc:  # noqa: BLE001 - any refusal is a reason, reported as N/A
        return f"hypothesis-jsonschema cannot generate from this schema: {exc}"[:500]
    return None


def is_valid(schema: dict[str, Any], value: Any) -> bool:
    """Whether ``value`` is valid under ``schema`` (the draft its $schema names, else 4)."""
    return _validator(schema_key(schema)).is_valid(value)


def valid_values(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Values valid under ``schema``, drawn by hypothesis-jsonschema."""
    return _schema_strategy(schema_key(schema)).filter(functools.partial(is_valid, schema))


def generic_objects() -> st.SearchStrategy[dict[str, Any]]:
    """Arbitrary JSON objects, for plans that declare no parameters schema."""
    scalars = st.none() | st.booleans() | st.integers() | st.text(max_size=20) \
        | st.floats(allow_nan=False, allow_infinity=False)
    values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3)
                          | st.dictionaries(st.text(max_size=10), inner, max_size=3),
                          max_leaves=8)
    return st.dictionaries(st.text(max_size=16), values, max_size=GENERIC_OBJECT_SIZE)


@functools.lru_cache(maxsize=64)
def minimal_value(schema_key: str) -> Any:
    """The smallest value valid under the schema (Hypothesis' shrunk first example)."""
    from hypothesis import HealthCheck, Phase, find, settings

    schema = json.loads(schema_key)
    # One example is enough: shrinking it gives the minimal one, more search adds nothing.
    return find(valid_values(schema), lambda _: True, settings=settings(
        database=None, max_examples=1, phases=(Phase.generate, Phase.shrink),
        suppress_health_check=list(HealthCheck)))


def boundary_examples(schema: dict[str, Any]) -> list[Example]:
    """Valid objects at the schema's edges: each one the minimal value with one property
    set to a minimum, a maximum, a longest or non-ASCII string, or an enum value."""
    base = minimal_value(schema_key(schema))
    if not isinstance(base, dict):
        return []
    examples = []
    for name, prop in properties_of(schema).items():
        for label, value in edge_values(prop):
            candidate = {**base, name: value}
            if is_valid(schema, candidate):
                examples.append(Example(f"{name}: {label}", candidate))
    return examples


def grouped_examples(schema: dict[str, Any], examples: list[Example]) -> list[Example]:
    """Fewer objects that carry the same edge values: each example's properties merged
    into the first group that stays valid under ``schema`` (a group never holds two
    values for one property). A broker that accepts a group accepts each value in it, so
    a provision per group instead of per example loses no detection; a refused group is
    narrowed to its parts by the caller."""
    groups: list[tuple[list[Example], dict[str, Any]]] = []
    for example in examples:
        home = next((group for group in groups if isinstance(example.value, dict)
                     and _merges(schema, group[1], example.value)), None)
        if home is None:
            groups.append(([example], dict(example.value)
                           if isinstance(example.value, dict) else {}))
        else:
            home[0].append(example)
            home[1].update(example.value)
    return [members[0] if len(members) == 1 else
            Example("; ".join(m.label for m in members), value, tuple(members))
            for members, value in groups]


def _merges(schema: dict[str, Any], group: dict[str, Any], value: dict[str, Any]) -> bool:
    """Whether ``value`` can join ``group``: no property gets a second value, and the
    merged object stays valid (an empty group holds a non-object example: never)."""
    return bool(group) and all(group.get(k, v) == v for k, v in value.items()) \
        and is_valid(schema, {**group, **value})


def edge_values(prop: dict[str, Any]) -> list[tuple[str, Any]]:
    """Values at the edges of one property's schema (not all need be valid: callers check)."""
    edges: list[tuple[str, Any]] = []
    if isinstance(prop.get("enum"), list):
        edges += [(f"enum value {v!r}", v) for v in prop["enum"]]
    kinds = types_of(prop)
    if kinds & {"integer", "number"}:
        edges += _number_edges(prop, integer="integer" in kinds and "number" not in kinds)
    if "string" in kinds and "pattern" not in prop and "format" not in prop \
            and "enum" not in prop:
        longest = prop.get("maxLength")
        shortest = prop.get("minLength")
        if isinstance(longest, int):
            edges.append((f"non-ASCII string at maxLength {longest}", non_ascii(longest)))
        if isinstance(shortest, int) and shortest > 0:
            edges.append((f"non-ASCII string at minLength {shortest}", non_ascii(shortest)))
        if not isinstance(longest, int):
            edges.append(("non-ASCII string", non_ascii(max(len(NON_ASCII), shortest or 0))))
    return edges


def non_ascii(length: int) -> str:
    """A string of exactly ``length`` characters, most of them outside ASCII."""
    return (NON_ASCII * (length // len(NON_ASCII) + 1))[:length]


def _number_edges(prop: dict[str, Any], *, integer: bool) -> list[tuple[str, Any]]:
    edges = []
    step = 1 if integer else 0
    for bound, exclusive_key, sign in (("minimum", "exclusiveMinimum", 1),
                                       ("maximum", "exclusiveMaximum", -1)):
        value = prop.get(bound)
        exclusive = prop.get(exclusive_key)
        if isinstance(exclusive, (int, float)) and not isinstance(exclusive, bool):
            value, exclusive = exclusive, True  # draft 6+: the exclusive bound is the number
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            continue
        if exclusive is True:
            if not integer:
                continue  # no "next float" worth sending
            value = value + sign * step
        edges.append((f"at {bound} {value}", value))
    return edges


def properties_of(schema: dict[str, Any]) -> dict[str, dict[str, Any]]:
    props = schema.get("properties")
    if not isinstance(props, dict):
        return {}
    return {k: v for k, v in props.items() if isinstance(v, dict)}


def types_of(prop: dict[str, Any]) -> set[str]:
    kind = prop.get("type")
    if isinstance(kind, str):
        return {kind}
    if isinstance(kind, list):
        return {k for k in kind if isinstance(k, str)}
    return set()


def schema_key(schema: dict[str, Any]) -> str:
    """A hashable form of a schema, for the caches."""
    return json.dumps(schema, sort_keys=True)


@functools.lru_cache(maxsize=64)
def _schema_strategy(schema_key: str) -> st.SearchStrategy[Any]:
    from hypothesis_jsonschema import from_schema

    return from_schema(json.loads(schema_key))


@functools.lru_cache(maxsize=64)
def _validator(schema_key: str) -> Any:
    schema = json.loads(schema_key)
    return validators.validator_for(schema, default=Draft4Validator)(schema)
