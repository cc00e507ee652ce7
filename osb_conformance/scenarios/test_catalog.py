"""Catalog management (spec #catalog-management)."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from jsonschema import exceptions as schema_exceptions
from jsonschema import validators

from osb_conformance import catalog_rules as rules
from osb_conformance.checks import CheckRecorder
from osb_conformance.client import OSBClient
from osb_conformance.settings import Settings

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


def _plans(service: dict[str, Any]) -> list[dict[str, Any]]:
    plans = service.get("plans")
    return [p for p in plans if isinstance(p, dict)] if isinstance(plans, list) else []


def _label(service: dict[str, Any], plan: dict[str, Any] | None = None) -> str:
    name = f"service {service.get('name')!r}"
    return f"{name} plan {plan.get('name')!r}" if plan is not None else name


@requirement("CAT-001", "CAT-005B", "CAT-006", "URL-001A")
def test_ids_are_guids_of_unreserved_characters(osb: OSBClient, check: CheckRecorder) -> None:
    services = _services(_catalog(osb, check))
    service_ids = {s.get("id") for s in services}
    for service in services:
        for owner, value in [(_label(service), service.get("id"))] + [
                (_label(service, p), p.get("id")) for p in _plans(service)]:
            check("CAT-006", rules.is_guid(value), expected="a GUID as id",
                  observed=f"{owner}: id {value!r}")
            check("URL-001A", rules.is_unreserved(value),
                  expected="an id of unreserved characters only (letters, digits, - . _ ~)",
                  observed=f"{owner}: id {value!r}")
        shared = sorted(str(p.get("id")) for p in _plans(service) if p.get("id") in service_ids)
        check("CAT-005B", not shared, expected="no plan id that is also a service id",
              observed=f"{_label(service)}: plan ids also used by services: {shared}")


@requirement("CAT-001", "CAT-007", "CAT-024")
def test_names_are_cli_friendly_and_strings_short(osb: OSBClient, check: CheckRecorder) -> None:
    for service in _services(_catalog(osb, check)):
        for owner, obj in [(_label(service), service)] + [
                (_label(service, p), p) for p in _plans(service)]:
            name = obj.get("name")
            check("CAT-007", rules.is_cli_friendly(name),
                  expected="a CLI-friendly name (letters, digits, periods, hyphens)",
                  observed=f"{owner}: name {name!r}")
            long = [f for f in ("name", "description") if isinstance(obj.get(f), str)
                    and len(obj[f]) > rules.MAX_STRING_CHARS]
            check("CAT-024", not long,
                  expected=f"name and description at most {rules.MAX_STRING_CHARS} characters",
                  observed=f"{owner}: too long: {long}")


@requirement("CAT-001", "CAT-012", "CAT-013", "CAT-022")
def test_optional_fields_have_their_declared_types(
    osb: OSBClient, check: CheckRecorder, osb_settings: Settings
) -> None:
    version = osb_settings.api_version
    for service in _services(_catalog(osb, check)):
        problems = rules.type_problems(service, rules.SERVICE_FIELDS, version)
        check("CAT-012", not problems, expected="optional service fields of the declared types",
              observed=f"{_label(service)}: {problems}")
        for plan in _plans(service):
            problems = rules.type_problems(plan, rules.PLAN_FIELDS, version)
            check("CAT-012", not problems, expected="optional plan fields of the declared types",
                  observed=f"{_label(service, plan)}: {problems}")
        requires = service.get("requires")
        if isinstance(requires, list):
            unknown = [r for r in requires if r not in rules.PERMISSIONS]
            check("CAT-013", not unknown,
                  expected=f"requires values among {', '.join(rules.PERMISSIONS)}",
                  observed=f"{_label(service)}: requires {requires}")
        if "dashboard_client" in service:
            problems = rules.dashboard_client_problems(service["dashboard_client"])
            check("CAT-022", not problems,
                  expected="dashboard_client with non-empty id and secret, string redirect_uri",
                  observed=f"{_label(service)}: {problems}")
    check.not_applicable_unless_checked("no service declares requires", "CAT-013")
    check.not_applicable_unless_checked("no service declares a dashboard_client", "CAT-022")


@requirement("CAT-001", "CAT-017", "CAT-018", "CAT-019")
def test_plan_schemas_are_self_contained_small_and_well_shaped(
    osb: OSBClient, check: CheckRecorder
) -> None:
    body = _catalog(osb, check)
    for service in _services(body):
        for plan in _plans(service):
            if "schemas" in plan:
                problems = rules.schemas_shape_problems(plan["schemas"])
                check("CAT-019", not problems, expected="schemas of the declared shape",
                      observed=f"{_label(service, plan)}: {problems}")
    for label, schema in _plan_schemas(body):
        refs = rules.external_refs(schema)
        check("CAT-017", not refs, expected="only document-local $ref values (starting '#')",
              observed=f"{label}: external $ref {refs}")
        size = rules.schema_size(schema)
        check("CAT-018", size <= rules.MAX_SCHEMA_BYTES,
              expected=f"a schema of at most {rules.MAX_SCHEMA_BYTES} bytes as JSON",
              observed=f"{label}: {size} bytes")


@requirement("CAT-001", "CAT-020", "CAT-021")
def test_maintenance_info_versions_are_semver(osb: OSBClient, check: CheckRecorder) -> None:
    for service in _services(_catalog(osb, check)):
        for plan in _plans(service):
            info = plan.get("maintenance_info")
            if not isinstance(info, dict):
                continue
            version = info.get("version")
            check("CAT-020", rules.is_semver(version),
                  expected="maintenance_info.version a Semantic Versioning 2.0.0 version",
                  observed=f"{_label(service, plan)}: version {version!r}")
            if "description" in info:
                description = info["description"]
                check("CAT-021", isinstance(description, str) and bool(description.strip()),
                      expected="maintenance_info.description a non-empty string",
                      observed=f"{_label(service, plan)}: description {description!r}")


def _ids_by_name(body: dict[str, Any]) -> dict[str, Any]:
    ids = {}
    for service in _services(body):
        ids[f"service {service.get('name')}"] = service.get("id")
        for plan in _plans(service):
            ids[f"plan {service.get('name')}/{plan.get('name')}"] = plan.get("id")
    return ids


@requirement("CAT-001", "CAT-023")
def test_ids_are_stable_across_fetches(osb: OSBClient, check: CheckRecorder) -> None:
    first, second = _ids_by_name(_catalog(osb, check)), _ids_by_name(_catalog(osb, check))
    changed = sorted(f"{name}: {first[name]} -> {second[name]}" for name in first
                     if name in second and first[name] != second[name])
    check("CAT-023", not changed, expected="every offering and plan keeps its id",
          observed=f"ids changed between two fetches: {changed}")


@requirement("CAT-025")
def test_conditional_catalog_fetch(osb: OSBClient, check: CheckRecorder) -> None:
    response = osb.catalog()
    etag, modified = response.headers.get("etag"), response.headers.get("last-modified")
    if etag:
        again = osb.catalog(headers={"If-None-Match": etag})
        check.info("CAT-025", f"ETag {etag!r}; If-None-Match -> {again.status}")
    elif modified:
        again = osb.catalog(headers={"If-Modified-Since": modified})
        check.info("CAT-025", f"Last-Modified {modified!r}; If-Modified-Since -> {again.status}")
    else:
        check.info("CAT-025", "the catalog carries neither ETag nor Last-Modified")

