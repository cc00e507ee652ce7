"""Mutants of provisioning, fetching, updating and deprovisioning instances.

Each violates the requirement(s) it names; the helpers at the top keep the defects short.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from typing import Any

from ..http_types import Request, Response, error
from . import After, deletable_while_provisioning, on, refused, register, rewrite, status


# -- helpers -------------------------------------------------------------------------------
def body_of(request: Request) -> dict[str, Any] | None:
    try:
        data = json.loads(request.body or b"")
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def redispatch(broker: Any, request: Request, body: dict[str, Any]) -> Response:
    """Serve the request as if its body had been ``body``."""
    return broker.dispatch_authenticated(
        dataclasses.replace(request, body=json.dumps(body).encode()))


def memory(broker: Any, name: str) -> set[Any]:
    """A set kept on the broker, for defects that strike once per resource."""
    sets: dict[str, set[Any]] = broker.__dict__.setdefault("_mutant_memory", {})
    return sets.setdefault(name, set())


def with_body(**fields: Any) -> Callable[[Response], Response]:
    def change(response: Response) -> Response:
        body = dict(response.body) if isinstance(response.body, dict) else {}
        body.update(fields)
        return Response(response.status, body, response.headers)
    return change


def without_body_fields(*names: str) -> Callable[[Response], Response]:
    def change(response: Response) -> Response:
        body = {k: v for k, v in response.body.items() if k not in names}
        return Response(response.status, body, response.headers)
    return change


def instance_of(broker: Any, request: Request) -> Any:
    return broker.state.instances.get(request.instance_id)


def in_progress(broker: Any, request: Request, kind: str) -> bool:
    instance = instance_of(broker, request)
    operation = instance.operation if instance is not None else None
    return operation is not None and operation.in_progress and operation.kind == kind


def other_plan_id(broker: Any, plan_id: str) -> str:
    plans = broker.catalog["services"][0]["plans"]
    return next(p["id"] for p in plans if p["id"] != plan_id)


# -- provisioning --------------------------------------------------------------------------
register("provision-dashboard-url-number", "PROV-003",
         "a provision answer carries a numeric dashboard_url",
         after=rewrite(lambda q, r: q.route == "provision" and r.status in (201, 202),
                       with_body(dashboard_url=42)))
register("provision-metadata-labels-list", "PROV-006B",
         "a provision answer's metadata.labels is an array",
         after=rewrite(on("provision", 201), with_body(metadata={"labels": ["a", "b"]})))
register("provision-operation-too-long", "PROV-005A",
         "an async provision answers 202 with an operation of 10,001 characters",
         after=rewrite(on("provision", 202), with_body(operation="x" * 10_001)))
register("provision-dashboard-url-only-on-fetch", "PROV-004",
         "the instance has a dashboard_url on fetch but the provision answer leaves it out",
         after=rewrite(lambda q, r: q.route == "provision" and r.status in (200, 201, 202),
                       without_body_fields("dashboard_url")))


def _lacks_guid(broker: Any, request: Request) -> Response | None:
    body = body_of(request)
    if request.route != "provision" or body is None:
        return None
    if "organization_guid" in body and "space_guid" in body:
        return None
    return redispatch(broker, request, {"organization_guid": "org", "space_guid": "space",
                                        **body})


register("provision-without-org-or-space-accepted", "PROV-009",
         "a provision without organization_guid or space_guid is served as if they were there",
         before=_lacks_guid)


def _numeric_ids_accepted(broker: Any, request: Request) -> Response | None:
    body = body_of(request)
    if request.route == "provision" and body is not None and (
            not isinstance(body.get("service_id"), str) and "service_id" in body):
        return Response(201, {})  # "accepted" without creating anything
    return None


register("provision-numeric-service-id-accepted", "PROV-010",
         "a provision whose service_id is a number answers 201", before=_numeric_ids_accepted)


def _unknown_ids_accepted(broker: Any, request: Request) -> Response | None:
    body = body_of(request)
    if request.route != "provision" or body is None:
        return None
    if isinstance(body.get("service_id"), str) and isinstance(body.get("plan_id"), str) \
            and broker.find_plan(body["service_id"], body["plan_id"]) is None:
        return Response(201, {})  # pretends to provision a plan it does not offer
    return None


register("provision-unknown-plan-accepted", "PROV-011B",
         "a provision naming an unknown service_id or plan_id answers 201",
         before=_unknown_ids_accepted, strict_only=True)


def _conflict_in_progress_accepted(broker: Any, request: Request, response: Response
                                   ) -> Response:
    if request.route == "provision" and response.status == 409 \
            and in_progress(broker, request, "provision"):
        return broker.accepted(instance_of(broker, request).operation)
    return response


register("provision-conflict-in-progress-202", "PROV-013",
         "a provision with other attributes while provisioning runs answers 202, not 409",
         after=_conflict_in_progress_accepted)


def resend_while(route: str, kind: str, change: Callable[[Any, Request, Response], Response]
                 ) -> dict[str, Any]:
    """Hooks that rewrite the answer to a request sent while a ``kind`` operation runs."""
    def before(broker: Any, request: Request) -> Response | None:
        if request.route == route and in_progress(broker, request, kind):
            memory(broker, "resends").add(id(request))
        return None

    def after(broker: Any, request: Request, response: Response) -> Response:
        if id(request) in memory(broker, "resends"):
            memory(broker, "resends").discard(id(request))
            return change(broker, request, response)
        return response
    return {"before": before, "after": after}


def _new_operation(broker: Any, request: Request, response: Response) -> Response:
    once = (request.route, request.instance_id)
    if response.status != 202 or once in memory(broker, "new-operation"):
        return response  # once only: the suite's cleanup must still get its delete done
    memory(broker, "new-operation").add(once)
    return Response(202, {**response.body, "operation": "op-another-one"}, response.headers)


def _answer_200(broker: Any, request: Request, response: Response) -> Response:
    return Response(200, {}, response.headers) if response.status == 202 else response


register("provision-resend-in-progress-new-operation", "PROV-015",
         "an identical provision re-sent while provisioning runs gets another operation",
         **resend_while("provision", "provision", _new_operation))
register("provision-resend-in-progress-200", "PROV-016A",
         "an identical provision re-sent while provisioning runs answers 200",
         **resend_while("provision", "provision", _answer_200))
register("provision-maintenance-conflict-400", "PROV-018",
         "a provision with another maintenance_info.version answers 400, not 422",
         after=rewrite(refused("provision", "MaintenanceInfoConflict"),
                       status(400, {"description": "bad maintenance_info"})))


def _current_maintenance_info_refused(broker: Any, request: Request) -> Response | None:
    body = body_of(request)
    if request.route != "provision" or not body or not isinstance(
            body.get("maintenance_info"), dict):
        return None
    found = broker.find_plan(body.get("service_id"), body.get("plan_id"))
    offered = (found[1].get("maintenance_info") or {}).get("version") if found else None
    if offered is not None and body["maintenance_info"].get("version") == offered:
        return error(422, "maintenance_info is not accepted", "MaintenanceInfoConflict")
    return None


register("provision-current-maintenance-refused", "PROV-019B",
         "a provision carrying the plan's current maintenance_info.version is refused",
         before=_current_maintenance_info_refused, strict_only=True)


def _schema_ignored(route: str) -> Callable[[Any, Request, Response], Response]:
    def after(broker: Any, request: Request, response: Response) -> Response:
        body = body_of(request)
        if request.route != route or response.status != 400 or body is None \
                or not str(response.body.get("description", "")).startswith("invalid param"):
            return response
        return redispatch(broker, request, {k: v for k, v in body.items() if k != "parameters"})
    return after


register("provision-schema-ignored", "PROV-020",
         "a provision whose parameters violate the plan's schema is provisioned anyway",
         after=_schema_ignored("provision"), strict_only=True)


# -- fetching an instance ------------------------------------------------------------------
def _first_fetch_after_async_provision_404(broker: Any, request: Request, response: Response
                                           ) -> Response:
    instance = instance_of(broker, request)
    if request.route != "fetch_instance" or response.status != 200 or instance is None:
        return response
    operation = instance.operation
    if operation is not None and operation.kind == "provision" \
            and instance.id not in memory(broker, "fetched"):
        memory(broker, "fetched").add(instance.id)
        return error(404, "not there yet")
    return response


register("fetch-after-async-provision-404", "GETI-002",
         "the first GET after an async provision succeeded answers 404",
         after=_first_fetch_after_async_provision_404)


def _fetch_while(kind: str, code: int) -> Callable[[Any, Request], Response | None]:
    def before(broker: Any, request: Request) -> Response | None:
        if request.route == "fetch_instance" and in_progress(broker, request, kind):
            instance = instance_of(broker, request)
            return Response(code, {"service_id": instance.service_id,
                                   "plan_id": instance.plan_id})
        return None
    return before


register("fetch-while-provisioning-200", "GETI-004",
         "GET of an instance still being provisioned answers 200",
         before=_fetch_while("provision", 200))
register("fetch-while-updating-200", "GETI-005",
         "GET of an instance being updated answers 200, not 422 ConcurrencyError",
         before=_fetch_while("update", 200))
def _unknown_instance_400(broker: Any, request: Request, response: Response) -> Response:
    state = broker.state
    if request.route == "fetch_instance" and response.status == 404 and \
            request.instance_id not in state.instances | {i: 0 for i in state.deleted_instances}:
        return error(400, "no such instance")
    return response


register("fetch-unknown-instance-400", "GETI-003",
         "GET of an instance id never provisioned answers 400, not 404",
         after=_unknown_instance_400)
register("fetch-instance-500", "GETI-001",
         "GET of a provisioned instance answers 500",
         after=rewrite(on("fetch_instance", 200), status(500, {"description": "oops"})))
register("fetch-instance-parameters-list", "GETI-006A",
         "a fetched instance's parameters is an array",
         after=rewrite(on("fetch_instance", 200), with_body(parameters=["size", 1])))
register("fetch-instance-wrong-plan-id", "GETI-006B",
         "a fetched instance names a plan_id that is not its plan",
         after=rewrite(on("fetch_instance", 200), with_body(plan_id="osbc-not-the-plan")),
         strict_only=True)


def _needs_hints(broker: Any, request: Request) -> Response | None:
    if request.route == "fetch_instance" and "plan_id" not in request.query:
        return error(400, "plan_id query parameter required")
    return None


register("fetch-instance-needs-hints", "GETI-008",
         "GET of an instance without the service_id/plan_id hints answers 400",
         before=_needs_hints, strict_only=True)


def _deleted_still_fetchable(broker: Any, request: Request) -> Response | None:
    if request.route == "fetch_instance" and request.instance_id in \
            broker.state.deleted_instances:
        return Response(200, {"parameters": {}})
    return None


register("fetch-deleted-instance-200", "GETI-010",
         "GET of a deprovisioned instance answers 200", before=_deleted_still_fetchable)


# -- updating ------------------------------------------------------------------------------
def _is_plan_change(broker: Any, request: Request) -> bool:
    body = body_of(request) or {}
    instance = instance_of(broker, request)
    return request.route == "update" and instance is not None \
        and body.get("plan_id") not in (None, instance.plan_id)


register("update-applied-201", "UPD-001", "an applied synchronous update answers 201, not 200",
         after=rewrite(on("update", 200), status(201)))
register("update-operation-empty", "UPD-003",
         "an async update answers 202 with an empty operation",
         after=rewrite(on("update", 202), with_body(operation="")))
register("update-operation-null", "UPD-003",
         "an async update answers 202 with \"operation\": null",
         after=rewrite(on("update", 202), with_body(operation=None)))
register("update-resend-in-progress-new-operation", "UPD-004",
         "an identical update re-sent while it runs gets another operation",
         **resend_while("update", "update", _new_operation))
register("update-async-required-misspelt", "UPD-007",
         "an async-only update without accepts_incomplete answers 422 'Async-Required'",
         after=rewrite(refused("update", "AsyncRequired"),
                       with_body(error="Async-Required")))


def _update_fills_in(field: str, value: Callable[[Any, Any], Any]) -> Callable[..., Any]:
    """An update without ``field`` is served as if it carried ``value(broker, instance)``."""
    def before(broker: Any, request: Request) -> Response | None:
        body = body_of(request)
        instance = instance_of(broker, request)
        if request.route != "update" or body is None or field in body or instance is None \
                or "service_id" not in body:
            return None
        return redispatch(broker, request, {**body, field: value(broker, instance)})
    return before


register("update-without-plan-changes-plan", "UPD-009",
         "an update without plan_id moves the instance to another plan",
         before=_update_fills_in("plan_id", lambda b, i: other_plan_id(b, i.plan_id)))
register("update-without-parameters-clears-them", "UPD-010",
         "an update without parameters resets the instance's parameters to {}",
         before=_update_fills_in("parameters", lambda b, i: {}))


def _refused_update_applies(broker: Any, request: Request, response: Response) -> Response:
    body = body_of(request)
    instance = instance_of(broker, request)
    if request.route == "update" and response.status == 400 and body and instance:
        if "parameters" in body:
            instance.parameters = body["parameters"]
        if isinstance(body.get("plan_id"), str):
            instance.plan_id = body["plan_id"]
    return response


register("update-refused-applies", "UPD-011",
         "an update refused with 400 applies its parameters and plan anyway",
         after=_refused_update_applies)


def _context_only_refused(broker: Any, request: Request) -> Response | None:
    body = body_of(request) or {}
    if request.route == "update" and "context" in body and not {
            "plan_id", "parameters", "maintenance_info"} & set(body):
        return error(422, "context updates are not supported")
    return None


register("update-context-only-refused", "UPD-014A",
         "a context-only update is refused although allow_context_updates is true",
         before=_context_only_refused, strict_only=True)
register("update-dashboard-url-number", "UPD-015",
         "an update answer carries a numeric dashboard_url",
         after=rewrite(lambda q, r: q.route == "update" and r.status in (200, 202),
                       with_body(dashboard_url=7)))


def _current_maintenance_update_refused(broker: Any, request: Request) -> Response | None:
    body = body_of(request) or {}
    if request.route == "update" and isinstance(body.get("maintenance_info"), dict) \
            and body["maintenance_info"].get("version") == "1.0.0":
        return error(422, "no maintenance now", "MaintenanceInfoConflict")
    return None


register("update-current-maintenance-refused", "UPD-018",
         "an update to the plan's current maintenance_info.version is refused",
         before=_current_maintenance_update_refused, strict_only=True)


def _missing_service_id_accepted(broker: Any, request: Request) -> Response | None:
    body = body_of(request)
    if request.route == "update" and body is not None and "service_id" not in body:
        return Response(200, {})
    return None


register("update-without-service-id-accepted", "UPD-005",
         "an update without service_id answers 200", before=_missing_service_id_accepted)
register("update-maintenance-conflict-400", "UPD-008",
         "an update with another maintenance_info.version answers 400, not 422",
         after=rewrite(refused("update", "MaintenanceInfoConflict"),
                       status(400, {"description": "bad maintenance_info"})))
register("update-unknown-instance-200", "UPD-017",
         "an update of an instance id never provisioned answers 200",
         after=rewrite(lambda q, r: q.route == "update" and r.status == 404,
                       status(200, {})), strict_only=True)


def _plan_change_answer(code: int, body: dict[str, Any]) -> Callable[..., Response | None]:
    def before(broker: Any, request: Request) -> Response | None:
        if not _is_plan_change(broker, request) or "service_id" not in (body_of(request) or {}):
            return None
        if code == 201:  # applied, but announced with the wrong code
            response = broker.dispatch_authenticated(request)
            return Response(201, response.body) if response.status == 200 else response
        return Response(code, body)
    return before


register("plan-change-201", "UPD-013", "a synchronous plan change answers 201",
         before=_plan_change_answer(201, {}))
register("plan-change-refused-400", "UPD-006A",
         "an unsupported plan change is refused with 400, not 422",
         before=_plan_change_answer(400, {"description": "plan changes not supported"}))
register("plan-change-refused-without-description", "UPD-006B",
         "an unsupported plan change is refused with 422 but no description",
         before=_plan_change_answer(422, {}), strict_only=True)


# -- deprovisioning ------------------------------------------------------------------------
def _deprovision_without_plan_id(broker: Any, request: Request) -> Response | None:
    if request.route == "deprovision" and "plan_id" not in request.query \
            and "service_id" in request.query:
        return broker.dispatch_authenticated(
            dataclasses.replace(request, query={**request.query, "plan_id": "any"}))
    return None


register("deprovision-without-plan-id-accepted", "DEP-003",
         "a DELETE without the plan_id query parameter deletes the instance",
         before=_deprovision_without_plan_id)
register("deprovision-async-required-misspelt", "DEP-005",
         "an async-only deprovision without accepts_incomplete answers 422 'asyncrequired'",
         after=rewrite(refused("deprovision", "AsyncRequired"),
                       with_body(error="asyncrequired")))
register("deprovision-resend-in-progress-new-operation", "DEP-002",
         "a DELETE re-sent while the deprovision runs gets another operation",
         **resend_while("deprovision", "deprovision", _new_operation))


def concurrency_refusal_as_409_once(route: str, resource_id: str) -> After:
    """An after-hook: the first 422 ConcurrencyError for a resource becomes 409 (once, so
    that cleanup can still delete it once the running operation ends)."""
    is_refusal = refused(route, "ConcurrencyError")

    def after(broker: Any, request: Request, response: Response) -> Response:
        key = getattr(request, resource_id)
        if is_refusal(request, response) and key not in memory(broker, "refused"):
            memory(broker, "refused").add(key)
            return error(409, "busy")
        return response
    return after


register("deprovision-while-provisioning-409", "DEP-006",
         "a DELETE refused while provisioning runs answers 409, not 422 ConcurrencyError",
         after=concurrency_refusal_as_409_once("deprovision", "instance_id"))


def _delete_accepted_but_provisioned(broker: Any, request: Request) -> Response | None:
    if request.route == "deprovision" and in_progress(broker, request, "provision"):
        instance = instance_of(broker, request)
        instance.operation.state = "failed"  # reports the provision failed...
        instance.ready = True  # ...but the instance stays
        return Response(200, {})
    return None


register("deprovision-while-provisioning-keeps-instance", "DEP-007A",
         "a DELETE accepted during provisioning answers 200 but the instance remains",
         before=_delete_accepted_but_provisioned)
register("deprovision-while-provisioning-forgets-operation", "DEP-007B",
         "a DELETE accepted synchronously during provisioning leaves last_operation "
         "answering 410 instead of 'failed' for the provision",
         before=deletable_while_provisioning, strict_only=True)
register("deprovision-error-update-repeatable", "DEP-009B",
         "a deprovision error carries update_repeatable",
         after=rewrite(on("deprovision", 400), with_body(update_repeatable=True)))
register("update-metadata-attributes-string", "META-001",
         "an update answer's metadata.attributes is a string",
         after=rewrite(lambda q, r: q.route == "update" and r.status in (200, 202),
                       with_body(metadata={"attributes": "tier=gold"})))
