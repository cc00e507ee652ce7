"""Valid-value strategies and boundary examples: pure functions of a schema."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings

from osb_conformance.fuzzing.budget import FuzzBudget, hypothesis_settings, make_budget
from osb_conformance.fuzzing.runner import show_input
from osb_conformance.fuzzing.strategies import (
    boundary_examples,
    edge_values,
    generic_objects,
    is_valid,
    non_ascii,
    unsupported_reason,
    valid_values,
)

DRAFT4 = "http://json-schema.org/draft-04/schema#"
SCHEMA = {
    "$schema": DRAFT4, "type": "object", "additionalProperties": False,
    "required": ["name"],
    "properties": {
        "name": {"type": "string", "minLength": 2, "maxLength": 8},
        "size": {"type": "integer", "minimum": 1, "maximum": 10},
        "ratio": {"type": "number", "minimum": 0, "maximum": 1, "exclusiveMaximum": True},
        "tier": {"enum": ["basic", "premium"]},
        "code": {"type": "string", "pattern": "^[a-z]+$"},
    },
}
FAST = settings(max_examples=25, database=None, deadline=None,
                suppress_health_check=list(HealthCheck))


@FAST
@given(valid_values(SCHEMA))
def test_valid_values_are_valid(value: object) -> None:
    assert is_valid(SCHEMA, value)


@FAST
@given(generic_objects())
def test_generic_objects_are_json_objects(value: object) -> None:
    assert isinstance(value, dict)


def test_boundary_examples_reach_each_edge_and_stay_valid() -> None:
    examples = {e.label: e.value for e in boundary_examples(SCHEMA)}
    assert all(is_valid(SCHEMA, v) for v in examples.values())
    assert examples["size: at minimum 1"]["size"] == 1
    assert examples["size: at maximum 10"]["size"] == 10
    assert len(examples["name: non-ASCII string at maxLength 8"]["name"]) == 8
    assert not examples["name: non-ASCII string at maxLength 8"]["name"].isascii()
    assert {"tier: enum value 'basic'", "tier: enum value 'premium'"} <= set(examples)
    assert not any(label.startswith("code") for label in examples), "patterned: no guess"
    assert not any("ratio: at maximum" in label for label in examples), "exclusive float max"


def test_edge_values_respect_exclusive_integer_bounds() -> None:
    draft4 = {"type": "integer", "minimum": 0, "exclusiveMinimum": True, "maximum": 5}
    draft6 = {"type": "integer", "exclusiveMinimum": 0, "exclusiveMaximum": 5}
    assert [v for _, v in edge_values(draft4)] == [1, 5]
    assert [v for _, v in edge_values(draft6)] == [1, 4]


def test_non_ascii_has_the_exact_length() -> None:
    for length in (1, 5, 40):
        assert len(non_ascii(length)) == length
    assert not non_ascii(10).isascii()


@pytest.mark.parametrize("schema, reason", [
    ({"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object"},
     "2020-12"),
    ({"$schema": "http://json-schema.org/draft-03/schema#", "type": "object"}, "draft-03"),
    ({"$schema": DRAFT4, "type": "object", "properties": {"a": {"$ref": "#"}}},
     "recursive"),
])
def test_unsupported_schemas_give_a_reason(schema: dict, reason: str) -> None:
    found = unsupported_reason(schema)
    assert found is not None and reason in found


def test_supported_schemas_give_no_reason() -> None:
    assert unsupported_reason(SCHEMA) is None
    assert unsupported_reason({"type": "object"}) is None


def test_budget_modes_and_overrides() -> None:
    assert not make_budget("off", None, 1).enabled
    quick, thorough = make_budget(None, None, 1), make_budget("thorough", None, 1)
    assert quick.mode == "quick" and quick.max_examples < thorough.max_examples
    assert make_budget("quick", 3, 1).max_examples == 3
    assert make_budget("quick", None, "7").seed == 7
    assert isinstance(make_budget("quick", None, None).seed, int)  # drawn when not given
    with pytest.raises(ValueError):
        make_budget("exhaustive", None, 1)


def test_hypothesis_settings_follow_the_budget() -> None:
    chosen = hypothesis_settings(FuzzBudget("quick", 4, 1))
    assert chosen.max_examples == 4 and chosen.database is None and chosen.deadline is None


def test_reproduce_hint_names_seed_mode_and_test() -> None:
    hint = FuzzBudget("thorough", None, 42).reproduce_hint("x.py::t[a]")
    assert "--hypothesis-seed=42" in hint and "--osb-fuzz=thorough" in hint and "x.py::t[a]" in hint


def test_shown_inputs_are_redacted() -> None:
    shown = show_input({"db_password": "hunter2-secret", "size": 3})
    assert "hunter2-secret" not in shown and '"size": 3' in shown
