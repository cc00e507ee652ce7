"""The pure catalog rules of osb_conformance.catalog_rules."""

from __future__ import annotations

import pytest

from osb_conformance import catalog_rules as rules


@pytest.mark.parametrize("version", ["1.0.0", "0.0.1-alpha.1", "2.3.4+build.7", "1.0.0-rc.1+x"])
def test_semver_accepts(version: str) -> None:
    assert rules.is_semver(version)


@pytest.mark.parametrize("version", ["1.0", "v1.0.0", "01.0.0", "1.0.0-", 1, None])
def test_semver_rejects(version: object) -> None:
    assert not rules.is_semver(version)


def test_guid_unreserved_and_cli_friendly() -> None:
    assert rules.is_guid("3f0b7a38-5d55-4d7c-9f4b-2a61f3c2b001")
    assert not rules.is_guid("sync-plan")
    assert rules.is_unreserved("op-1.a_b~c") and not rules.is_unreserved("op 1")
    assert not rules.is_unreserved("a/b")
    assert rules.is_cli_friendly("reference-db.v2")
    assert not rules.is_cli_friendly("Sync Plan")
    assert not rules.is_cli_friendly("-")
    assert not rules.is_cli_friendly("a_b")


def test_type_problems_respect_the_version_of_each_field() -> None:
    plan = {"binding_rotatable": "yes", "free": "no", "maximum_polling_duration": True}
    assert rules.type_problems(plan, rules.PLAN_FIELDS, "2.17") == [
        "free should be boolean, is \"no\"",
        "maximum_polling_duration should be integer, is true",
        "binding_rotatable should be boolean, is \"yes\"",
    ]
    assert rules.type_problems(plan, rules.PLAN_FIELDS, "2.14") == [
        "free should be boolean, is \"no\""]
    assert rules.type_problems({"tags": ["a", 1]}, rules.SERVICE_FIELDS, "2.17")


def test_external_refs() -> None:
    schema = {"properties": {"a": {"$ref": "#/definitions/a"},
                             "b": {"items": [{"$ref": "other.json#/x"}]}}}
    assert rules.external_refs(schema) == ["other.json#/x"]
    assert rules.external_refs({"$ref": "#"}) == []


def test_schema_size_counts_compact_utf8() -> None:
    assert rules.schema_size({"a": "é"}) == len('{"a":"é"}'.encode())


def test_schemas_shape_problems() -> None:
    good = {"service_instance": {"create": {"parameters": {}}, "update": {}},
            "service_binding": {"create": {"parameters": {"type": "object"}}}}
    assert rules.schemas_shape_problems(good) == []
    assert rules.schemas_shape_problems([]) != []
    assert rules.schemas_shape_problems({"service_instance": {"update": "x"}}) == [
        "service_instance.update is not an object"]
    assert rules.schemas_shape_problems({"service_binding": {"create": {"parameters": []}}}) == [
        "service_binding.create.parameters is not an object"]


def test_dashboard_client_problems() -> None:
    assert rules.dashboard_client_problems({"id": "a", "secret": "b"}) == []
    assert rules.dashboard_client_problems({"id": "a"}) == ["secret must be a non-empty string"]
    assert rules.dashboard_client_problems({"id": "a", "secret": "b", "redirect_uri": 3}) == [
        "redirect_uri must be a string"]
