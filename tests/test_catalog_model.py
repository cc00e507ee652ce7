"""The catalog model: spec defaults and precedence, tolerance of broken catalogs."""

from __future__ import annotations

import pytest
from jsonschema import validators

from osb_conformance.catalog import Catalog
from osb_conformance.client import OSBClient
from osb_conformance.ledger import Ledger
from osb_conformance.platform import Platform
from osb_conformance.settings import Settings


@pytest.mark.platform_obligation("CAT-014")
def test_plan_flags_override_service_flags_with_spec_defaults() -> None:
    catalog = Catalog.from_json({"services": [{
        "id": "s", "name": "svc", "bindable": True, "plan_updateable": True,
        "plans": [{"id": "p1", "name": "a"},
                  {"id": "p2", "name": "b", "bindable": False, "plan_updateable": False}],
    }]})
    first, second = catalog.plans
    assert (first.bindable, first.plan_updateable, first.binding_rotatable) == (True, True, False)
    assert (second.bindable, second.plan_updateable) == (False, False)
    assert not catalog.services[0].instances_retrievable
    assert first.other_plans() == [second]


def test_broken_catalogs_do_not_crash_the_model() -> None:
    for data in (None, [], {"services": "x"}, {"services": [1, {"plans": "x"}]}):
        Catalog.from_json(data)
    catalog = Catalog.from_json({"services": [{"id": 5, "plans": [{"id": None}, 3]}]})
    assert catalog.plans[0].id == "" and catalog.services[0].id == "5"


@pytest.mark.platform_obligation("CAT-016B", "CAT-016C")
@pytest.mark.parametrize("draft", ["http://json-schema.org/draft-04/schema#",
                                   "http://json-schema.org/draft-07/schema#",
                                   "https://json-schema.org/draft/2020-12/schema"])
def test_schemas_of_draft_4_and_later_are_understood(draft: str) -> None:
    schema = {"$schema": draft, "type": "object",
              "properties": {"size": {"type": "integer", "maximum": 3}}}
    validator = validators.validator_for(schema)
    validator.check_schema(schema)
    assert not validator(schema).is_valid({"size": 4})


@pytest.mark.platform_obligation("BND-012B")
def test_route_service_bindings_carry_the_route() -> None:
    catalog = Catalog.from_json({"services": [{
        "id": "s", "name": "svc", "bindable": True, "requires": ["route_forwarding"],
        "plans": [{"id": "p", "name": "a"}]}]})
    platform = Platform(OSBClient(Settings(broker_url="http://127.0.0.1:9")), Ledger(), "t")
    assert platform.bind_body(catalog.plans[0])["bind_resource"]["route"].startswith("https://")
