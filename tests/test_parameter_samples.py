"""Parameter objects derived from plan schemas: valid ones are valid, invalid ones invalid."""

from __future__ import annotations

from osb_conformance.parameter_samples import accepts, invalid_sample, valid_sample
from osb_conformance.reference_broker.catalog import BINDING_PARAMETERS, INSTANCE_PARAMETERS

DRAFT4 = "http://json-schema.org/draft-04/schema#"


def test_reference_schemas_give_both_samples() -> None:
    for schema in (INSTANCE_PARAMETERS, BINDING_PARAMETERS):
        good, bad = valid_sample(schema), invalid_sample(schema)
        assert good and accepts(schema, good) is True
        assert bad is not None and accepts(schema, bad) is False


def test_open_schema_is_violated_through_a_property_type() -> None:
    schema = {"$schema": DRAFT4, "type": "object", "properties": {"n": {"type": "integer"}}}
    bad = invalid_sample(schema)
    assert bad == {"n": "osbc-not-a-number"}


def test_schema_accepting_everything_gives_no_invalid_sample() -> None:
    assert invalid_sample({"$schema": DRAFT4, "type": "object"}) is None
    assert invalid_sample(None) is None


def test_no_valid_sample_when_simple_values_do_not_fit() -> None:
    schema = {"$schema": DRAFT4, "type": "object", "required": ["a", "b"],
              "properties": {"a": {"type": "string"}, "b": {"type": "string"}}}
    assert valid_sample(schema) is None  # one property at a time cannot satisfy "required"
    assert valid_sample({"type": "object"}) is None


def test_unusable_schema_is_neither_accepting_nor_rejecting() -> None:
    assert accepts({"type": 7}, {}) is None
    assert invalid_sample({"type": 7, "properties": {"a": {"type": "string"}}}) is None
