"""Mutants of binding, fetching a binding, unbinding, rotation and orphan mitigation.

Features the reference broker does not offer (volume mounts, log drains) are declared in
the mutant's catalog, so that the checks that are N/A for the compliant broker run.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from ..http_types import Request, Response, error
from . import catalog_change, on, refused, register, rewrite, status
from .instances import (
    body_of,
    concurrency_refusal_as_409_once,
    memory,
    redispatch,
    with_body,
    without_body_fields,
)


def binding_of(broker: Any, request: Request) -> Any:
    instance = broker.state.instances.get(request.instance_id)
    return instance.bindings.get(request.binding_id) if instance else None


def binding_in_progress(broker: Any, request: Request, kind: str) -> bool:
    binding = binding_of(broker, request)
    operation = binding.operation if binding is not None else None
    return operation is not None and operation.in_progress and operation.kind == kind


def _async_plan(broker: Any, request: Request) -> bool:
    instance = broker.state.instances.get(request.instance_id)
    return instance is not None and broker.is_async(instance.plan_id)


def _with_catalog(change: Callable[[list[Any]], None],
                  serve: Callable[[Any, Request, Response], Response]) -> Callable[..., Response]:
    """A catalog change plus a behaviour change, in one after-hook."""
    catalog = catalog_change(change)

    def after(broker: Any, request: Request, response: Response) -> Response:
        return serve(broker, request, catalog(broker, request, response))
    return after


def _requires(*features: str) -> Callable[[list[Any]], None]:
    return lambda services: services[0].__setitem__("requires", list(features))


def _bind_answer(change: Callable[[Response], Response]) -> Callable[..., Response]:
    def serve(broker: Any, request: Request, response: Response) -> Response:
        if request.route in ("bind", "fetch_binding") and response.status in (200, 201):
            return change(response)
        return response
    return serve


# -- bind answers --------------------------------------------------------------------------
register("bind-credentials-string", "BND-002A", "a bind answer's credentials is a string",
         after=rewrite(on("bind", 201), with_body(credentials="user:secret@db")))
register("bind-syslog-drain-undeclared", "BND-011",
         "a bind answer carries a syslog_drain_url the catalog does not declare",
         after=rewrite(on("bind", 201), with_body(syslog_drain_url="syslog://127.0.0.1:514")))
register("bind-log-drain-without-url", "BND-011",
         "an offering requiring syslog_drain binds without a syslog_drain_url",
         after=_with_catalog(_requires("syslog_drain"), lambda b, q, r: r))
register("bind-route-service-url-undeclared", "BND-012A",
         "a bind answer carries a route_service_url the catalog does not declare",
         after=rewrite(on("bind", 201), with_body(route_service_url="https://127.0.0.1/rs")))
register("bind-volume-mount-bad-mode", "BND-013",
         "a volume service's bind answer has a volume mount with mode 'x'",
         after=_with_catalog(_requires("volume_mount"), _bind_answer(with_body(volume_mounts=[
             {"driver": "nfs", "container_dir": "/data", "mode": "x", "device_type": "shared",
              "device": {"volume_id": "vol-1"}}]))))
register("bind-endpoint-numeric-port", "BND-014",
         "a bind answer lists an endpoint whose port is a number",
         after=rewrite(on("bind", 201), with_body(endpoints=[
             {"host": "127.0.0.1", "ports": [5432]}])))
register("bind-credentials-without-endpoints", "BND-015",
         "a bind answer returns credentials but no endpoints",
         after=rewrite(on("bind", 201), without_body_fields("endpoints")), strict_only=True)
register("bind-expires-at-not-iso", "BND-016",
         "a bind answer's metadata.expires_at is not an ISO 8601 timestamp",
         after=rewrite(on("bind", 201), with_body(metadata={"expires_at": "tomorrow"})))
register("bind-same-credentials", "BND-017",
         "every binding receives the same credentials",
         after=rewrite(on("bind", 201), with_body(credentials={"username": "shared",
                                                                "password": "everyone"})),
         strict_only=True)


def _first_binding_without_credentials(broker: Any, request: Request, response: Response
                                       ) -> Response:
    instance = broker.state.instances.get(request.instance_id)
    if request.route not in ("bind", "fetch_binding") or response.status not in (200, 201) \
            or instance is None or not instance.bindings:
        return response
    if request.binding_id == next(iter(instance.bindings)):
        return without_body_fields("credentials")(response)
    return response


register("bind-credentials-never-returned", "BND-002C",
         "an instance's first binding gets no credentials, neither on bind nor on fetch",
         after=_first_binding_without_credentials)


# -- asynchronous binds --------------------------------------------------------------------
register("bind-async-credentials-in-202", "BND-003B",
         "an async bind's 202 carries credentials",
         after=rewrite(on("bind", 202), with_body(credentials={"password": "too-early"})))
register("bind-async-operation-number", "BND-003A",
         "an async bind answers 202 with a numeric operation",
         after=rewrite(on("bind", 202), with_body(operation=12345)))


def _binding_resend_new_operation(broker: Any, request: Request, response: Response
                                  ) -> Response:
    once = ("bind", request.binding_id)
    if response.status != 202 or once in memory(broker, "new-operation"):
        return response
    memory(broker, "new-operation").add(once)
    return Response(202, {**response.body, "operation": "op-another-one"}, response.headers)


def _binding_resend_hooks() -> dict[str, Any]:
    def before(broker: Any, request: Request) -> Response | None:
        if request.route == "bind" and binding_in_progress(broker, request, "bind"):
            memory(broker, "resends").add(id(request))
        return None

    def after(broker: Any, request: Request, response: Response) -> Response:
        if id(request) in memory(broker, "resends"):
            memory(broker, "resends").discard(id(request))
            return _binding_resend_new_operation(broker, request, response)
        return response
    return {"before": before, "after": after}


register("bind-resend-in-progress-new-operation", "BND-004",
         "an identical bind re-sent while the binding is created gets another operation",
         **_binding_resend_hooks())
register("bind-concurrent-409", "BND-009",
         "a bind refused because another binding is being created answers 409, not 422",
         after=rewrite(refused("bind", "ConcurrencyError"),
                       status(409, {"description": "busy"})))
register("bind-async-required-misspelt", "BND-010",
         "an async-only bind without accepts_incomplete answers 422 'AsyncRequiredError'",
         after=rewrite(refused("bind", "AsyncRequired"),
                       with_body(error="AsyncRequiredError")))


# -- refused binds -------------------------------------------------------------------------
def _bind_fills_in_plan_id(broker: Any, request: Request) -> Response | None:
    body = body_of(request)
    instance = broker.state.instances.get(request.instance_id)
    if request.route == "bind" and body is not None and "plan_id" not in body and instance \
            and "predecessor_binding_id" not in body:
        return redispatch(broker, request, {**body, "plan_id": instance.plan_id})
    return None


register("bind-without-plan-id-accepted", "BND-007",
         "a bind without plan_id is served with the instance's plan",
         before=_bind_fills_in_plan_id)


def _requires_app_400(broker: Any, request: Request) -> Response | None:
    body = body_of(request)
    if request.route == "bind" and body is not None and "app_guid" not in body \
            and "app_guid" not in (body.get("bind_resource") or {}):
        return error(400, "an app_guid is required")
    return None


register("bind-requires-app-400", "BND-008",
         "a broker that needs an app_guid refuses a bind without one with 400, not 422 "
         "RequiresApp", before=_requires_app_400)


def _mismatched_ids_accepted(broker: Any, request: Request) -> Response | None:
    body = body_of(request)
    instance = broker.state.instances.get(request.instance_id)
    if request.route != "bind" or body is None or instance is None:
        return None
    if body.get("plan_id", instance.plan_id) != instance.plan_id or \
            body.get("service_id", instance.service_id) != instance.service_id:
        if isinstance(body.get("plan_id"), str) and isinstance(body.get("service_id"), str):
            return redispatch(broker, request, {**body, "plan_id": instance.plan_id,
                                                "service_id": instance.service_id})
    return None


register("bind-mismatched-ids-accepted", "BND-020B",
         "a bind naming another plan or service than the instance's is accepted",
         before=_mismatched_ids_accepted, strict_only=True)


def _bind_schema_ignored(broker: Any, request: Request, response: Response) -> Response:
    body = body_of(request)
    if request.route != "bind" or response.status != 400 or body is None \
            or not str(response.body.get("description", "")).startswith("invalid param"):
        return response
    return redispatch(broker, request, {k: v for k, v in body.items() if k != "parameters"})


register("bind-schema-ignored", "BND-021",
         "a bind whose parameters violate the plan's schema creates the binding anyway",
         after=_bind_schema_ignored, strict_only=True)


# -- fetching a binding --------------------------------------------------------------------
register("fetch-binding-bad-protocol", "GETB-006A",
         "a fetched binding lists an endpoint with protocol 'sctp'",
         after=rewrite(on("fetch_binding", 200), with_body(endpoints=[
             {"host": "127.0.0.1", "ports": ["5432"], "protocol": "sctp"}])))


def _fetch_binding_while_binding(broker: Any, request: Request) -> Response | None:
    if request.route == "fetch_binding" and binding_in_progress(broker, request, "bind"):
        return Response(200, {})
    return None


register("fetch-binding-while-binding-200", "GETB-004",
         "GET of a binding still being created answers 200",
         before=_fetch_binding_while_binding)
def _async_binding_404(broker: Any, request: Request, response: Response) -> Response:
    if request.route == "fetch_binding" and response.status == 200 \
            and _async_plan(broker, request):
        return error(404, "no such binding")
    return response


def _async_binding_without_information(broker: Any, request: Request, response: Response
                                       ) -> Response:
    if request.route == "fetch_binding" and response.status == 200 \
            and _async_plan(broker, request):
        return Response(200, {"parameters": response.body.get("parameters", {})})
    return response


register("fetch-async-binding-404", "GETB-002",
         "GET of a binding created asynchronously answers 404", after=_async_binding_404)
register("fetch-async-binding-without-credentials", "GETB-005",
         "GET of a binding created asynchronously returns no credentials",
         after=_async_binding_without_information)
register("fetch-unknown-binding-400", "GETB-003",
         "GET of a binding id that does not exist answers 400, not 404",
         after=rewrite(on("fetch_binding", 404), status(400)))
register("fetch-binding-404", "GETB-001",
         "GET of an existing binding answers 404",
         after=rewrite(on("fetch_binding", 200), status(404, {"description": "gone"})))


def _deleted_binding_fetchable(broker: Any, request: Request) -> Response | None:
    if request.route == "fetch_binding" and (request.instance_id, request.binding_id) in \
            broker.state.deleted_bindings:
        return Response(200, {"credentials": {}})
    return None


register("fetch-unbound-binding-200", ("GETB-007", "UNB-008"),
         "GET of a binding after its unbind completed answers 200",
         before=_deleted_binding_fetchable)


# -- unbinding -----------------------------------------------------------------------------
def _unbind_without_plan_id(broker: Any, request: Request) -> Response | None:
    if request.route == "unbind" and "plan_id" not in request.query \
            and "service_id" in request.query:
        return broker.dispatch_authenticated(
            dataclasses.replace(request, query={**request.query, "plan_id": "any"}))
    return None


register("unbind-without-plan-id-accepted", "UNB-003",
         "an unbind without the plan_id query parameter deletes the binding",
         before=_unbind_without_plan_id)
register("unbind-async-operation-number", "UNB-002",
         "an async unbind answers 202 with a numeric operation",
         after=rewrite(on("unbind", 202), with_body(operation=12345)))
register("unbind-async-required-misspelt", "UNB-006",
         "an async-only unbind without accepts_incomplete answers 422 'Asyncrequired'",
         after=rewrite(refused("unbind", "AsyncRequired"),
                       with_body(error="Asyncrequired")))


register("unbind-while-binding-409", "UNB-006",
         "an unbind refused while the binding is created answers 409, not 422",
         after=concurrency_refusal_as_409_once("unbind", "binding_id"))


def _unbind_accepted_but_bound(broker: Any, request: Request) -> Response | None:
    if request.route == "unbind" and binding_in_progress(broker, request, "bind"):
        binding = binding_of(broker, request)
        binding.operation.state = "failed"  # reports the bind failed...
        binding.ready = True  # ...but the binding stays
        return Response(200, {})
    return None


def _unbind_sync_while_binding(broker: Any, request: Request) -> Response | None:
    if request.route == "unbind" and binding_in_progress(broker, request, "bind"):
        instance = broker.state.instances[request.instance_id]
        broker.remove_binding(instance, binding_of(broker, request))
        return Response(200, {})  # deleted at once; last_operation now answers 410
    return None


register("unbind-while-binding-keeps-binding", "UNB-007A",
         "an unbind accepted while the binding is created answers 200 but the binding stays",
         before=_unbind_accepted_but_bound)
register("unbind-while-binding-forgets-operation", "UNB-007B",
         "an unbind accepted synchronously while binding leaves binding last_operation "
         "answering 410 instead of 'failed'", before=_unbind_sync_while_binding,
         strict_only=True)
def _unbind_under_missing_instance_400(broker: Any, request: Request, response: Response
                                       ) -> Response:
    if request.route == "unbind" and response.status == 410 \
            and request.instance_id not in broker.state.instances:
        return error(400, "no such instance")
    return response


register("unbind-under-missing-instance-400", "UNB-005",
         "an unbind under an instance that was never provisioned answers 400, not 410",
         after=_unbind_under_missing_instance_400, strict_only=True)


# -- rotation ------------------------------------------------------------------------------
def _is_rotation(request: Request) -> bool:
    return request.route == "bind" and "predecessor_binding_id" in (body_of(request) or {})


register("rotation-answers-200", "ROT-001", "a rotation that creates a binding answers 200",
         after=rewrite(lambda q, r: _is_rotation(q) and r.status == 201, status(200)))


def _rotation_removes_predecessor(broker: Any, request: Request, response: Response
                                  ) -> Response:
    if _is_rotation(request) and response.status == 201:
        instance = broker.state.instances[request.instance_id]
        predecessor = instance.bindings.get(body_of(request)["predecessor_binding_id"])
        if predecessor is not None:
            broker.remove_binding(instance, predecessor)
    return response


register("rotation-removes-predecessor", "ROT-002",
         "a rotation deletes the predecessor binding", after=_rotation_removes_predecessor)


def _unknown_predecessor_accepted(broker: Any, request: Request) -> Response | None:
    body = body_of(request)
    instance = broker.state.instances.get(request.instance_id)
    if _is_rotation(request) and instance and body["predecessor_binding_id"] not in \
            instance.bindings:
        return redispatch(broker, request, {k: v for k, v in body.items()
                                            if k != "predecessor_binding_id"})
    return None


register("rotation-unknown-predecessor-accepted", "ROT-004",
         "a rotation naming a binding that does not exist creates a binding",
         before=_unknown_predecessor_accepted, strict_only=True)


# -- orphan mitigation ---------------------------------------------------------------------
def _fails_then_delete_fails(create: str, delete: str, key: Callable[[Request], Any]
                             ) -> dict[str, Any]:
    """The create succeeds but answers 500; the first DELETE of it fails with 500 too."""
    def before(broker: Any, request: Request) -> Response | None:
        failed = memory(broker, "failed-creates")
        if request.route == delete and key(request) in failed:
            failed.discard(key(request))
            return error(500, "still wrong")
        return None

    def after(broker: Any, request: Request, response: Response) -> Response:
        if request.route == create and response.status == 201:
            memory(broker, "failed-creates").add(key(request))
            return error(500, "something went wrong")
        return response
    return {"before": before, "after": after}


register("orphan-provision-delete-500", "OM-001B",
         "a provision answers 500 after creating, and the orphan-mitigation DELETE too",
         **_fails_then_delete_fails("provision", "deprovision", lambda q: q.instance_id),
         strict_only=True)
register("orphan-bind-unbind-500", "OM-002B",
         "a bind answers 500 after creating, and the orphan-mitigation unbind too",
         **_fails_then_delete_fails("bind", "unbind", lambda q: q.binding_id),
         strict_only=True)


def _async_provision_fails(broker: Any, request: Request, response: Response) -> Response:
    failed = memory(broker, "failed-creates")
    body = response.body if isinstance(response.body, dict) else {}
    if request.route == "instance_last_operation" and body.get("state") == "succeeded":
        instance = broker.state.instances.get(request.instance_id)
        if instance is not None and instance.operation and \
                instance.operation.kind == "provision":
            failed.add(request.instance_id)
            return Response(200, {"state": "failed"}, response.headers)
    if request.route == "deprovision" and request.instance_id in failed:
        failed.discard(request.instance_id)
        return error(500, "still wrong")
    return response


register("orphan-async-provision-delete-500", "OM-003B",
         "an async provision ends 'failed', and the orphan-mitigation DELETE answers 500",
         after=_async_provision_fails, strict_only=True)
