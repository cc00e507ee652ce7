"""Mutants for error responses (spec #service-broker-errors)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..http_types import Request, Response
from . import register


def _error_body(route: str, change: Callable[[dict[str, Any]], Any], status: int | None = None):  # type: ignore[no-untyped-def]
    """Rewrite the body of 4xx answers to ``route`` (optionally of one status only)."""
    def after(broker: Any, request: Request, response: Response) -> Response:
        if request.route != route or not 400 <= response.status < 500:
            return response
        if status is not None and response.status != status:
            return response
        body = dict(response.body) if isinstance(response.body, dict) else {}
        return Response(response.status, change(body), response.headers)
    return after


register("error-code-not-string", "ERR-002A",
         "400 answers to provision carry error 42",
         after=_error_body("provision", lambda b: {**b, "error": 42}, 400))
register("error-code-not-camel-case", "ERR-002B",
         "400 answers to deprovision carry error 'bad_request'",
         after=_error_body("deprovision", lambda b: {**b, "error": "bad_request"}, 400),
         strict_only=True)
register("error-description-empty", "ERR-003",
         "404 answers to instance last_operation carry an empty description",
         after=_error_body("instance_last_operation", lambda b: {**b, "description": ""}))
register("error-instance-usable-on-provision", "ERR-004A",
         "400 answers to provision carry instance_usable",
         after=_error_body("provision", lambda b: {**b, "instance_usable": True}, 400))
register("error-instance-usable-not-boolean", "ERR-004B",
         "400 answers to update carry instance_usable 'yes'",
         after=_error_body("update", lambda b: {**b, "instance_usable": "yes"}, 400))
register("error-update-repeatable-on-deprovision", "ERR-005A",
         "400 answers to deprovision carry update_repeatable",
         after=_error_body("deprovision", lambda b: {**b, "update_repeatable": False}, 400))
register("error-update-repeatable-not-boolean", "ERR-005B",
         "400 answers to update carry update_repeatable 'no'",
         after=_error_body("update", lambda b: {**b, "update_repeatable": "no"}, 400))
register("error-body-not-object", "ERR-009",
         "404 answers to binding last_operation have a JSON string as body",
         after=_error_body("binding_last_operation", lambda b: "no such binding"),
         strict_only=True)


def _misspelt_async_required(broker: Any, request: Request, response: Response) -> Response:
    body = response.body if isinstance(response.body, dict) else {}
    if request.route == "unbind" and body.get("error") == "AsyncRequired":
        return Response(422, {**body, "error": "asyncRequired"}, response.headers)
    return response


register("error-code-misspelt", "ERR-006",
         "unbind refuses synchronous requests with error 'asyncRequired' (wrong case)",
         after=_misspelt_async_required)


def _server_error_for_bad_request(broker: Any, request: Request, response: Response) -> Response:
    if request.route == "unbind" and response.status == 400:
        return Response(500, response.body, response.headers)
    return response


register("error-bad-request-500", "ERR-001",
         "an unbind without service_id and plan_id answers 500 instead of a 4xx",
         after=_server_error_for_bad_request)


def _fetch_instance_503(broker: Any, request: Request, response: Response) -> Response:
    if request.route == "fetch_instance" and response.status == 200:
        return Response(503, {"description": "temporarily unavailable"}, response.headers)
    return response


register("fetch-instance-503", "ERR-010",
         "fetching an existing instance answers 503", after=_fetch_instance_503,
         strict_only=True)


def _malformed_bind_creates(broker: Any, request: Request, response: Response) -> Response:
    """Answers 400 to a malformed bind correctly, but has created the binding anyway."""
    instance = broker.state.instances.get(request.instance_id)
    if request.route == "bind" and response.status == 400 and instance is not None \
            and request.binding_id not in instance.bindings:
        from ..state import Binding

        instance.bindings[request.binding_id] = Binding(
            id=request.binding_id, service_id=instance.service_id, plan_id=instance.plan_id,
            signature="leaked", credentials={}, parameters={}, ready=True)
    return response


register("bind-400-creates", "ERR-007",
         "a bind refused with 400 creates the binding anyway", after=_malformed_bind_creates)
