"""Malformed provision, update and bind requests, and odd ids and contexts.

A malformed request has exactly one defect that makes it malformed (a mandatory
field missing or of the wrong JSON type, a body that is not JSON or not an object),
and any amount of noise that must not matter: unknown extra top-level fields, an odd
but well-formed ``context`` object, an odd resource id.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

# The fields the spec makes mandatory in each request body (2.17).
MANDATORY_FIELDS = {
    "provision": ("service_id", "plan_id", "organization_guid", "space_guid"),
    "update": ("service_id",),
    "bind": ("service_id", "plan_id"),
}
KNOWN_FIELDS = frozenset({
    "service_id", "plan_id", "organization_guid", "space_guid", "context", "parameters",
    "maintenance_info", "previous_values", "bind_resource", "app_guid",
    "predecessor_binding_id",
})
RAW_BODIES = {
    "unparseable JSON": b'{"service_id": ',
    "empty body": b"",
    "a JSON array instead of an object": b"[]",
    "a JSON string instead of an object": b'"osbc"',
}
WRONG_TYPES: dict[str, Any] = {
    "a number": 42, "a boolean": True, "null": None, "an array": ["osbc"],
    "an object": {"id": "osbc"},
}
ODD_IDS = (
    "osbc-" + "x" * 250,                 # long
    "osbc-Grüße-世界-✓",                    # non-ASCII
    "osbc id with spaces",
    "osbc?query=1&x=#frag",              # reserved characters (sent percent-encoded)
    "osbc%2Fencoded%20already",
    "osbc;matrix=1",
    "osbc/slash",
)


@dataclass(frozen=True)
class OddRequest:
    """A request body (JSON value, or raw bytes) with its defect, and the id to send it to."""

    defect: str
    body: Any
    raw: bytes | None = None
    resource_id: str | None = None  # None: a fresh UUID

    def describe(self) -> str:
        where = f" to id {self.resource_id!r}" if self.resource_id else ""
        if self.raw is not None:
            return f"{self.defect}{where}: body {self.raw!r}"
        return f"{self.defect}{where}: body {json.dumps(self.body, ensure_ascii=False)}"


def json_values() -> st.SearchStrategy[Any]:
    scalars = st.none() | st.booleans() | st.integers() | st.text(max_size=12)
    return st.recursive(scalars, lambda inner: st.lists(inner, max_size=3)
                        | st.dictionaries(st.text(max_size=8), inner, max_size=3),
                        max_leaves=6)


def extra_fields() -> st.SearchStrategy[dict[str, Any]]:
    """Unknown top-level fields (a broker must ignore them)."""
    names = st.text(min_size=1, max_size=16).filter(lambda n: n not in KNOWN_FIELDS)
    return st.dictionaries(names, json_values(), max_size=3)


def odd_contexts(base: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    """The platform's context with odd but well-formed additions."""
    return st.dictionaries(st.text(min_size=1, max_size=12), json_values(), max_size=3).map(
        lambda extra: {**base, **extra})


def odd_ids() -> st.SearchStrategy[str | None]:
    """Mostly ordinary fresh ids, sometimes long, non-ASCII or reserved-character ones."""
    texts = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=40)
    return st.one_of(st.none(), st.sampled_from(ODD_IDS), texts.map(lambda t: "osbc-" + t))


def malformed_requests(operation: str, body: dict[str, Any],
                       with_odd_ids: bool = True) -> st.SearchStrategy[OddRequest]:
    """One defect each, plus noise, built on a well-formed ``body`` for ``operation``."""
    mandatory = MANDATORY_FIELDS[operation]
    missing = st.sampled_from(mandatory).map(
        lambda f: (f"missing {f}", {k: v for k, v in body.items() if k != f}))
    wrong = st.tuples(st.sampled_from(mandatory), st.sampled_from(sorted(WRONG_TYPES))).map(
        lambda p: (f"{p[0]} is {p[1]}", {**body, p[0]: WRONG_TYPES[p[1]]}))
    defective = st.one_of(missing, wrong)
    # Odd contexts only where the body has one: an update without changes gets none (UPD-014B).
    contexts = odd_contexts(body["context"]) if "context" in body else st.just(None)
    noisy = st.tuples(defective, extra_fields(), contexts).map(
        lambda t: (t[0][0], {**t[1], **t[0][1],
                             **({"context": t[2]} if t[2] is not None else {})}))
    ids = odd_ids() if with_odd_ids else st.none()
    structured = st.tuples(noisy, ids).map(
        lambda t: OddRequest(t[0][0], t[0][1], resource_id=t[1]))
    raw = st.tuples(st.sampled_from(sorted(RAW_BODIES)), ids).map(
        lambda t: OddRequest(t[0], None, RAW_BODIES[t[0]], t[1]))
    return st.one_of(structured, raw)


def explicit_malformed(operation: str, body: dict[str, Any]) -> list[OddRequest]:
    """Each defect once, on an ordinary id: the examples every run tries."""
    found = [OddRequest(f"missing {f}", {k: v for k, v in body.items() if k != f})
             for f in MANDATORY_FIELDS[operation]]
    found += [OddRequest(f"{f} is a number", {**body, f: 42})
              for f in MANDATORY_FIELDS[operation]]
    found += [OddRequest(defect, None, raw) for defect, raw in sorted(RAW_BODIES.items())]
    return found


def fresh_id(request: OddRequest) -> str:
    """The request's id: an odd one made unique (the suite never reuses an id), or a UUID."""
    if request.resource_id is None:
        return str(uuid.uuid4())
    return f"{request.resource_id}-{uuid.uuid4()}"


def is_ordinary_id(request: OddRequest) -> bool:
    return request.resource_id is None
