"""One-way schema violations: each kind alone, always invalid, labelled."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings

from osb_conformance.fuzzing.malformed import (
    MANDATORY_FIELDS,
    OddRequest,
    explicit_malformed,
    malformed_requests,
)
from osb_conformance.fuzzing.strategies import Example, is_valid, minimal_value, schema_key
from osb_conformance.fuzzing.violations import (
    EXTRA_PROPERTY,
    enum_miss,
    mutations,
    out_of_range,
    pattern_miss,
    too_long,
    too_short,
    violating_values,
    violation_examples,
    wrong_type,
)

SCHEMA = {
    "$schema": "http://json-schema.org/draft-04/schema#", "type": "object",
    "additionalProperties": False, "required": ["name"],
    "properties": {
        "name": {"type": "string", "minLength": 2, "maxLength": 8},
        "size": {"type": "integer", "minimum": 1, "maximum": 10},
        "tier": {"enum": ["basic", "premium"]},
        "code": {"type": "string", "pattern": "^[a-z]+$"},
    },
}
FAST = settings(max_examples=25, database=None, deadline=None,
                suppress_health_check=list(HealthCheck))


def test_each_property_violation_kind() -> None:
    assert [v for _, v in out_of_range({"minimum": 1, "maximum": 10})] == [0, 11]
    assert [v for _, v in out_of_range({"exclusiveMaximum": 5})] == [5]
    assert [v for _, v in too_long({"maxLength": 3})] == ["xxxx"]
    assert [v for _, v in too_short({"minLength": 3})] == ["xx"]
    assert too_short({"minLength": 0}) == []
    assert pattern_miss({"pattern": "^[a-z]+$"})[0][1] == ""
    assert enum_miss({"enum": ["a", "b"]})[0][1] not in ("a", "b")
    assert isinstance(wrong_type({"type": "integer"})[0][1], str)
    assert not isinstance(wrong_type({"type": "string"})[0][1], str)
    assert wrong_type({}) == []


def test_mutations_cover_required_and_closed_objects() -> None:
    kinds = {m.kind for m in mutations(SCHEMA)}
    assert kinds == {"wrong type", "out of range", "too long", "too short", "pattern miss",
                     "enum miss", "missing required", "extra property"}
    assert not any(m.kind == "extra property"
                   for m in mutations({**SCHEMA, "additionalProperties": True}))


def test_violation_examples_are_all_invalid_and_labelled() -> None:
    examples = violation_examples(SCHEMA)
    assert examples and all(not is_valid(SCHEMA, e.value) for e in examples)
    labels = " | ".join(e.label for e in examples)
    for expected in ("size: above maximum 10", "name: 9 characters", "required 'name' missing",
                     EXTRA_PROPERTY, "tier:", "code:"):
        assert expected in labels


def test_violations_differ_from_a_valid_value_in_one_place() -> None:
    for example in violation_examples(SCHEMA):
        valid = minimal_value(schema_key(SCHEMA))
        changed = {k for k in set(valid) | set(example.value)
                   if valid.get(k, "<absent>") != example.value.get(k, "<absent>")}
        assert len(changed) == 1, example


@FAST
@given(violating_values(SCHEMA))
def test_generated_violations_are_invalid(example: Example) -> None:
    assert not is_valid(SCHEMA, example.value)


def test_no_constraint_no_violation() -> None:
    assert violation_examples({"type": "object"}) == []


@FAST
@given(malformed_requests("provision", {"service_id": "s", "plan_id": "p",
                                        "organization_guid": "o", "space_guid": "g",
                                        "context": {"platform": "cloudfoundry"}}))
def test_malformed_provisions_have_exactly_their_defect(request: OddRequest) -> None:
    if request.raw is not None:
        assert request.body is None
        return
    body = request.body
    broken = [f for f in MANDATORY_FIELDS["provision"]
              if not isinstance(body.get(f), str) or not body.get(f)]
    assert len(broken) == 1, request
    assert broken[0] in request.defect
    assert isinstance(body["context"], dict)


def test_explicit_malformed_covers_every_mandatory_field() -> None:
    defects = {r.defect for r in explicit_malformed("bind", {"service_id": "s", "plan_id": "p"})}
    assert {"missing service_id", "missing plan_id", "service_id is a number",
            "plan_id is a number", "unparseable JSON", "empty body"} <= defects
