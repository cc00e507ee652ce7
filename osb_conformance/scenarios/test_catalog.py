"""Catalog management (spec #catalog-management)."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from jsonschema import exceptions as schema_exceptions
from jsonschema import validators

from osb_conformance.checks import CheckRecorder
from osb_conformance.client import OSBClient

requirement = pytest.mark.requirement


def _catalog(osb: OSBClient, check: CheckRecorder) -> dict[str, Any]:
    response = osb.catalog()
    check("CAT-001", response.status == 200, expected="200 OK", observed=response.describe())
    return response.json_object()


def _services(body: dict[str, Any]) -> list[dict[str, Any]]:
    services = body.get("services")
    return [s for s in services if isinstance(s, dict)] if isinstance(services, list) else []


def _duplicates(values: list[Any]) -> list[Any]:
    return sorted(str(v) for v, n in Counter(values).items() if n > 1)


@requirement("CAT-001", "CAT-002")
def test_catalog_is_an_object_with_services(osb: OSBClient, check: CheckRecorder) -> None:
    body = _catalog(osb, check)
    services = body.get("services")
    check("CAT-002", isinstance(services, list),
          expected="an object with a 'services' array", observed=f"services = {services!r:.200}")


@requirement("CAT-001", "CAT-003", "CAT-008")
def test_services_have_required_fields(osb: OSBClient, check: CheckRecorder) -> None:
    for service in _services(_catalog(osb, check)):
        name = service.get("name")
        missing = [f for f in ("name", "id", "description")
                   if not isinstance(service.get(f), str) or not service.get(f)]
        if not isinstance(service.get("bindable"), bool):
            missing.append("bindable (boolean)")
        if not isinstance(service.get("plans"), list):
            missing.append("plans (array)")
        check("CAT-003", not missing, expected="name, id, description, bindable and plans",
              observed=f"service {name!r} lacks or mistypes {missing}")
        plans = service.get("plans")
        check("CAT-008", isinstance(plans, list) and len(plans) > 0,
              expected="at least one plan", observed=f"service {name!r} has plans {plans!r:.100}")


@requirement("CAT-001", "CAT-004", "CAT-005A")
def test_service_names_and_ids_are_unique(osb: OSBClient, check: CheckRecorder) -> None:
    services = _services(_catalog(osb, check))
    names = _duplicates([s.get("name") for s in services])
    check("CAT-004", not names, expected="unique service names", observed=f"duplicates {names}")
    ids = _duplicates([s.get("id") for s in services])
    check("CAT-005A", not ids, expected="unique service ids", observed=f"duplicates {ids}")


@requirement("CAT-001", "CAT-009", "CAT-010", "CAT-011")
def test_plans_have_required_fields_and_unique_ids(osb: OSBClient, check: CheckRecorder) -> None:
    plan_ids = []
    for service in _services(_catalog(osb, check)):
        plans = [p for p in service.get("plans") or [] if isinstance(p, dict)]
        for plan in plans:
            missing = [f for f in ("id", "name", "description")
                       if not isinstance(plan.get(f), str) or not plan.get(f)]
            check("CAT-009", not missing, expected="plan id, name and description",
                  observed=f"plan {plan.get('name')!r} of {service.get('name')!r} lacks {missing}")
        names = _duplicates([p.get("name") for p in plans])
        check("CAT-010", not names, expected="plan names unique within a service",
              observed=f"service {service.get('name')!r} repeats plan names {names}")
        plan_ids += [p.get("id") for p in plans]
    duplicates = _duplicates(plan_ids)
    check("CAT-011", not duplicates, expected="plan ids unique across the catalog",
          observed=f"duplicates {duplicates}")


def _plan_schemas(body: dict[str, Any]) -> list[tuple[str, dict[str, Any] | Any]]:
    found = []
    for service in _services(body):
        for plan in service.get("plans") or []:
            if not isinstance(plan, dict) or not isinstance(plan.get("schemas"), dict):
                continue
            for path in (("service_instance", "create"), ("service_instance", "update"),
                         ("service_binding", "create")):
                node: Any = plan["schemas"]
                for key in (*path, "parameters"):
                    node = node.get(key) if isinstance(node, dict) else None
                if node is not None:
                    label = f"{service.get('name')}/{plan.get('name')} {'.'.join(path)}"
                    found.append((label, node))
    return found


@requirement("CAT-001", "CAT-015", "CAT-016A")
def test_plan_schemas_are_valid_json_schemas(osb: OSBClient, check: CheckRecorder) -> None:
    for label, schema in _plan_schemas(_catalog(osb, check)):
        has_dollar_schema = isinstance(schema, dict) and isinstance(schema.get("$schema"), str)
        check("CAT-015", has_dollar_schema, expected="a $schema key in every parameters schema",
              observed=f"{label}: {str(schema)[:200]}")
        check("CAT-016A", _schema_problem(schema) is None,
              expected="a schema valid against its metaschema",
              observed=f"{label}: {_schema_problem(schema)}")


def _schema_problem(schema: Any) -> str | None:
    if not isinstance(schema, dict):
        return f"not an object: {schema!r:.100}"
    try:
        validators.validator_for(schema).check_schema(schema)
    except schema_exceptions.SchemaError as exc:
        return exc.message
    return None
