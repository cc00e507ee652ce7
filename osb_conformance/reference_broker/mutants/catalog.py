"""Mutants for the catalog rules (spec #catalog-management)."""

from __future__ import annotations

import copy
import uuid
from typing import Any

from ..http_types import Request, Response
from . import catalog_change, register


def _plan(services: list[dict[str, Any]], index: int = 0) -> dict[str, Any]:
    return services[0]["plans"][index]


def _instance_schema(services: list[dict[str, Any]]) -> dict[str, Any]:
    return _plan(services)["schemas"]["service_instance"]["create"]["parameters"]


register("catalog-plan-id-is-service-id", "CAT-005B",
         "a plan's id is its service's id",
         after=catalog_change(lambda s: _plan(s).update(id=s[0]["id"])), strict_only=True)
register("catalog-id-not-guid", "CAT-006",
         "a plan id is 'sync-plan', not a GUID",
         after=catalog_change(lambda s: _plan(s).update(id="sync-plan")), strict_only=True)
register("catalog-name-with-space", "CAT-007",
         "a plan is named 'Sync Plan' (with a space)",
         after=catalog_change(lambda s: _plan(s).update(name="Sync Plan")), strict_only=True)
register("catalog-tags-not-array", "CAT-012",
         "a service's tags is a string, not an array",
         after=catalog_change(lambda s: s[0].update(tags="reference")))
register("catalog-polling-duration-string", "CAT-012",
         "a plan's maximum_polling_duration is the string '60'",
         after=catalog_change(lambda s: _plan(s, 1).update(maximum_polling_duration="60")))
register("catalog-unknown-permission", "CAT-013",
         "a service requires the unknown permission 'log_drain'",
         after=catalog_change(lambda s: s[0].update(requires=["log_drain"])), strict_only=True)
register("catalog-schema-external-ref", "CAT-017",
         "a parameters schema refers to an external document",
         after=catalog_change(lambda s: _instance_schema(s)["properties"].update(
             extra={"$ref": "https://schemas.example/extra.json#"})))
register("catalog-schema-too-large", "CAT-018",
         "a parameters schema is larger than 64 kB",
         after=catalog_change(lambda s: _instance_schema(s).update(description="x" * 70_000)))
register("catalog-schemas-bad-shape", "CAT-019",
         "a plan's schemas.service_instance.update is a string",
         after=catalog_change(lambda s: _plan(s)["schemas"]["service_instance"].update(
             update="same as create")))
register("catalog-maintenance-not-semver", "CAT-020",
         "a plan's maintenance_info.version is '1.0'",
         after=catalog_change(lambda s: _plan(s)["maintenance_info"].update(version="1.0")))
register("catalog-maintenance-description-empty", "CAT-021",
         "a plan's maintenance_info.description is empty",
         after=catalog_change(lambda s: _plan(s)["maintenance_info"].update(description="")),
         strict_only=True)
register("catalog-dashboard-client-without-secret", "CAT-022",
         "a service's dashboard_client has no secret",
         after=catalog_change(lambda s: s[0].update(dashboard_client={"id": "reference-sso"})))
register("catalog-ids-change", "CAT-023",
         "the second plan gets a new id on every catalog fetch",
         after=catalog_change(lambda s: _plan(s, 1).update(id=str(uuid.uuid4()))))
register("catalog-description-too-long", "CAT-024",
         "a plan description is 300 characters long",
         after=catalog_change(lambda s: _plan(s).update(description="d" * 300)), strict_only=True)


def _route_service_url(broker: Any, request: Request, response: Response) -> Response:
    if request.route in ("bind", "fetch_binding") and response.status in (200, 201) \
            and isinstance(response.body, dict):
        body = {**response.body, "route_service_url": "https://127.0.0.1/route-service"}
        return Response(response.status, body, response.headers)
    return response


register("bind-route-service-undeclared", "CAT-026",
         "bindings return a route_service_url, the service does not require route_forwarding",
         after=_route_service_url)


def _catalog_fails_after_first_fetch(broker: Any, request: Request,
                                     response: Response) -> Response:
    # The run's first fetch must succeed (else no run starts); later fetches fail.
    if request.route != "catalog":
        return response
    served = broker.__dict__.get("_mutant_catalog_fetches", 0)
    broker.__dict__["_mutant_catalog_fetches"] = served + 1
    return response if served == 0 else Response(503, {"description": "catalog unavailable"})


def _copy_with_new_plan_ids(service: dict[str, Any]) -> dict[str, Any]:
    twin = copy.deepcopy(service)
    twin["name"] = service["name"] + "-twin"
    for plan in twin["plans"]:
        plan["id"] = str(uuid.uuid5(uuid.UUID(plan["id"]), "twin"))
    return twin


register("catalog-refetch-503", "CAT-001",
         "the catalog answers 503 after the first fetch", after=_catalog_fails_after_first_fetch)
def _services_keyed_by_name(broker: Any, request: Request, response: Response) -> Response:
    if request.route != "catalog" or response.status != 200:
        return response
    services = {s["name"]: s for s in response.body["services"]}
    return Response(200, {"services": services}, response.headers)


register("catalog-services-not-array", "CAT-002",
         "the catalog's services is an object keyed by name, not an array",
         after=_services_keyed_by_name)
register("catalog-duplicate-service-id", "CAT-005A",
         "two services share an id",
         after=catalog_change(lambda s: s.append(_copy_with_new_plan_ids(s[0]))))
register("catalog-plan-without-description", "CAT-009",
         "a plan lacks its required description",
         after=catalog_change(lambda s: _plan(s).pop("description")))
