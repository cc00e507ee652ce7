"""Mutants for the first scenarios: catalog, provisioning, binding, deletes, auth."""

from __future__ import annotations

import copy
from typing import Any

from ..http_types import Request, Response
from . import catalog_change, deletable_while_provisioning, on, refused, register, rewrite, status


def _first_plan(services: list) -> dict:  # type: ignore[type-arg]
    return services[0]["plans"][0]


register("catalog-duplicate-plan-name", "CAT-010",
         "two plans of one service share a name",
         after=catalog_change(lambda s: s[0]["plans"][1].update(name=s[0]["plans"][0]["name"])))
register("catalog-duplicate-plan-id", "CAT-011",
         "a plan id appears twice in the catalog",
         after=catalog_change(lambda s: s[0]["plans"].append(
             {**s[0]["plans"][0], "name": "copy-of-" + s[0]["plans"][0]["name"]})))
register("catalog-service-without-description", "CAT-003",
         "a service lacks its required description",
         after=catalog_change(lambda s: s[0].pop("description")))
register("catalog-schema-without-dollar-schema", "CAT-015",
         "a plan's parameters schema has no $schema",
         after=catalog_change(lambda s: _first_plan(s)["schemas"]["service_instance"]["create"]
                               .__setitem__("parameters", {"type": "object"})))
register("catalog-invalid-schema", "CAT-016A",
         "a plan's parameters schema is not a valid JSON Schema",
         after=catalog_change(lambda s: _first_plan(s)["schemas"]["service_instance"]["create"]
                               .__setitem__("parameters", {
                                   "$schema": "http://json-schema.org/draft-04/schema#",
                                   "type": "object", "properties": {"size": {"type": 7}}})))
register("catalog-service-without-plans", "CAT-008",
         "a service offers no plan at all",
         after=catalog_change(lambda s: s.append(
             {"id": "5d0c2b87-0000-4000-8000-0000000000ff", "name": "no-plans",
              "description": "A service with an empty plan list.", "bindable": False,
              "plans": []})))
register("catalog-duplicate-service-name", "CAT-004",
         "two services share a name",
         after=catalog_change(lambda s: s.append(
             {**copy.deepcopy(s[0]), "id": "5d0c2b87-0000-4000-8000-0000000000fe",
              "plans": []})))

register("provision-resend-201", "PROV-016B",
         "an identical re-sent provision answers 201 instead of 200",
         after=rewrite(on("provision", 200), status(201)), strict_only=True)
register("provision-resend-202-sync", "PROV-014",
         "an identical re-sent sync provision answers 409 instead of 200",
         after=rewrite(lambda q, r: q.route == "provision" and r.status == 200,
                       status(409, {"description": "already exists"})),
         strict_only=True)
register("provision-conflict-accepted", "PROV-012",
         "a provision with other attributes for an existing id answers 200, not 409",
         after=rewrite(on("provision", 409), status(200, {})))
register("provision-sync-200", "PROV-001",
         "a new synchronous instance answers 200 instead of 201",
         after=rewrite(on("provision", 201), status(200)))


def _missing_ids_accepted(field: str):  # type: ignore[no-untyped-def]
    def before(broker: Any, request: Request) -> Response | None:
        import json

        if request.route != "provision":
            return None
        try:
            body = json.loads(request.body)
        except ValueError:
            return None
        if isinstance(body, dict) and field not in body:
            return Response(201, {})  # "accepted" without creating anything
        return None
    return before


register("provision-missing-service-id-accepted", "PROV-007",
         "a provision without service_id answers 201",
         before=_missing_ids_accepted("service_id"))
register("provision-missing-plan-id-accepted", "PROV-008",
         "a provision without plan_id answers 201",
         before=_missing_ids_accepted("plan_id"))


def _bad_request_creates(broker: Any, request: Request, response: Response) -> Response:
    """Answers 400 correctly, but has created the instance anyway (a 4xx changed state)."""
    if request.route == "provision" and response.status == 400 \
            and request.instance_id not in broker.state.instances:
        from ..catalog import SERVICE_ID, SYNC_PLAN_ID
        from ..state import Instance

        broker.state.instances[request.instance_id] = Instance(
            id=request.instance_id, service_id=SERVICE_ID, plan_id=SYNC_PLAN_ID,
            signature="leaked", parameters={}, context={}, dashboard_url="", ready=True)
    return response


register("provision-400-creates", "ERR-007",
         "a provision rejected with 400 creates the instance anyway",
         after=_bad_request_creates)

register("async-202-without-flag", "ASY-001",
         "an async-only plan answers 202 although accepts_incomplete was not true",
         after=rewrite(refused("provision", "AsyncRequired"),
                       status(202, {"operation": "never-started"})))
register("async-required-wrong-code", "PROV-017",
         "an async-only plan answers 422 with error 'asyncRequired' (wrong case)",
         after=rewrite(refused("provision", "AsyncRequired"),
                       status(422, {"error": "asyncRequired", "description": "async only"})))
register("async-provision-201-not-ready", "PROV-021",
         "an async provision answers 201 at once, but the instance never becomes usable",
         after=rewrite(lambda q, r: q.route == "provision" and r.status == 202,
                       status(201, {})))


def _never_finishes(broker: Any, request: Request, response: Response) -> Response:
    if request.route == "instance_last_operation" and response.status == 200:
        instance = broker.state.instances.get(request.instance_id)
        if instance is not None and instance.operation and instance.operation.kind == "provision":
            instance.operation.polls_left = 10**9  # stays "in progress" for ever
            return Response(200, {"state": "in progress"}, response.headers)
    return response


register("async-provision-never-finishes", "PROV-002",
         "an async provision stays 'in progress' for ever (it can still be deleted)",
         before=deletable_while_provisioning, after=_never_finishes,
         options=("--osb-poll-timeout=1",))


def _bad_state(broker: Any, request: Request, response: Response) -> Response:
    if request.route == "instance_last_operation" and response.status == 200 \
            and response.body.get("state") == "succeeded":
        return Response(200, {"state": "done"}, response.headers)
    return response


register("last-operation-bad-state", "LOI-001",
         "last_operation reports state 'done' instead of 'succeeded'", after=_bad_state)

register("deprovision-missing-200", "DEP-004",
         "deleting an instance that does not exist answers 200 instead of 410",
         after=rewrite(on("deprovision", 410), status(200, {})))
register("deprovision-body-not-object", "DEP-001",
         "a synchronous deprovision answers 200 with a non-object body",
         after=rewrite(on("deprovision", 200), status(200, b"OK")))

register("bind-resend-201", "BND-005",
         "an identical re-sent bind answers 201 instead of 200",
         after=rewrite(on("bind", 200), status(201)), strict_only=True)
register("bind-sync-200", "BND-001",
         "a new synchronous binding answers 200 instead of 201",
         after=rewrite(on("bind", 201), status(200)))
def _bind_conflict(with_parameters: bool):  # type: ignore[no-untyped-def]
    """A predicate: a bind refused with 409 whose body does (not) carry parameters."""
    def matches(request: Request, response: Response) -> bool:
        import json

        try:
            body = json.loads(request.body or b"{}")
        except ValueError:
            return False
        return request.route == "bind" and response.status == 409 and isinstance(
            body, dict) and ("parameters" in body) == with_parameters
    return matches


register("bind-conflict-accepted", "BND-006",
         "a bind with other parameters for an existing binding id answers 201, not 409",
         after=rewrite(_bind_conflict(with_parameters=True), status(201, {"credentials": {}})))
register("bind-other-app-accepted", "BND-022",
         "a bind for another app_guid with an existing binding id answers 201, not 409",
         after=rewrite(_bind_conflict(with_parameters=False), status(201, {"credentials": {}})),
         strict_only=True)
register("unbind-missing-200", "UNB-004",
         "unbinding a binding that does not exist answers 200 instead of 410",
         after=rewrite(on("unbind", 410), status(200, {})))
register("unbind-body-not-object", "UNB-001",
         "a synchronous unbind answers 200 with a non-object body",
         after=rewrite(on("unbind", 200), status(200, b"[]")))
register("bind-missing-instance-201", "BND-018A",
         "binding to an instance that does not exist answers 201",
         after=rewrite(lambda q, r: q.route == "bind" and r.status == 404,
                       status(201, {"credentials": {"password": "to-nothing"}})))
register("bind-missing-instance-400", "BND-018B",
         "binding to an instance that does not exist answers 400 instead of 404",
         after=rewrite(lambda q, r: q.route == "bind" and r.status == 404, status(400)),
         strict_only=True)


def _no_auth(broker: Any, request: Request) -> Response | None:
    if request.header("authorization") is None and request.route and request.route != "state":
        return broker.dispatch_authenticated(request)
    return None


register("auth-not-enforced", "AUTH-001",
         "requests without credentials are served", before=_no_auth)
