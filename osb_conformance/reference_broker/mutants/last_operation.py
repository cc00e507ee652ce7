"""Mutants for polling last operations of instances and bindings."""

from __future__ import annotations

import copy
from collections import Counter
from collections.abc import Callable
from typing import Any

from ..http_types import Request, Response, error
from . import deletable_while_provisioning, register

HTTP_DATE = "Wed, 21 Oct 2015 07:28:00 GMT"
Change = Callable[[Any, Request, Response], Response]


def _state(response: Response) -> Any:
    return response.body.get("state") if isinstance(response.body, dict) else None


def _operation_kind(broker: Any, request: Request) -> str | None:
    instance = broker.state.instances.get(request.instance_id)
    if instance is None:
        return None
    if request.route == "binding_last_operation":
        binding = instance.bindings.get(request.binding_id)
        operation = binding.operation if binding else None
    else:
        operation = instance.operation
    return operation.kind if operation else None


def _polls(route: str, kind: str, state: str, change: Callable[[Response], Response]) -> Change:
    """Rewrite 200 answers to ``route`` polls of a ``kind`` operation in ``state``."""
    def after(broker: Any, request: Request, response: Response) -> Response:
        if request.route == route and response.status == 200 and _state(response) == state \
                and _operation_kind(broker, request) == kind:
            return change(response)
        return response
    return after


def _body(**fields: Any) -> Callable[[Response], Response]:
    def change(response: Response) -> Response:
        return Response(response.status, {**response.body, **fields}, response.headers)
    return change


def _replaced(status: int, body: Any) -> Callable[[Response], Response]:
    return lambda response: Response(status, body, response.headers)


def _retry_after_date(response: Response) -> Response:
    return Response(response.status, response.body,
                    {**response.headers, "Retry-After": HTTP_DATE})


INSTANCE, BINDING = "instance_last_operation", "binding_last_operation"

register("last-operation-empty-description", "LOI-003",
         "instance last_operation answers carry an empty description",
         after=_polls(INSTANCE, "provision", "succeeded", _body(description="")))
register("last-operation-failed-provision-flags", "LOI-004A",
         "a provision is reported failed with instance_usable",
         after=_polls(INSTANCE, "provision", "succeeded",
                      _replaced(200, {"state": "failed", "instance_usable": False})))
register("last-operation-succeeded-with-flag", "LOI-004B",
         "a succeeded update is reported with update_repeatable",
         after=_polls(INSTANCE, "update", "succeeded", _body(update_repeatable=True)),
         strict_only=True)
register("last-operation-flag-not-boolean", "LOI-004C",
         "a failed update is reported with instance_usable 'true' (a string)",
         after=_polls(INSTANCE, "update", "succeeded",
                      _replaced(200, {"state": "failed", "instance_usable": "true"})))
register("last-operation-410-while-provisioning", ("LOI-001", "LOI-007B"),
         "the first poll of an async provision answers 410 Gone (the instance exists: no "
         "200 for the poll, LOI-001, and a 410 outside deletes, LOI-007B)",
         after=_polls(INSTANCE, "provision", "in progress", _replaced(410, {})))
register("last-operation-retry-after-date", "LOI-008B",
         "in-progress instance polls carry Retry-After as an HTTP-date",
         after=_polls(INSTANCE, "provision", "in progress", _retry_after_date),
         strict_only=True)
register("binding-last-operation-bad-state", "LOB-001",
         "binding last_operation reports state 'done' instead of 'succeeded'",
         after=_polls(BINDING, "bind", "succeeded", _replaced(200, {"state": "done"})))
register("binding-last-operation-410-while-binding", "LOB-003B",
         "the first poll of an async bind answers 410 Gone",
         after=_polls(BINDING, "bind", "in progress", _replaced(410, {})), strict_only=True)
register("binding-last-operation-retry-after-date", "LOB-004B",
         "in-progress binding polls carry Retry-After as an HTTP-date",
         after=_polls(BINDING, "bind", "in progress", _retry_after_date), strict_only=True)


def _unknown_instance_410(broker: Any, request: Request, response: Response) -> Response:
    if request.route == INSTANCE and response.status == 404:
        return Response(410, {}, response.headers)
    return response


register("last-operation-unknown-instance-410", "LOI-005",
         "polling an instance that never existed answers 410 instead of 404",
         after=_unknown_instance_410)


def _unknown_binding_succeeded(broker: Any, request: Request, response: Response) -> Response:
    if request.route == BINDING and response.status == 404:
        return Response(200, {"state": "succeeded"}, response.headers)
    return response


register("last-operation-unknown-binding-200", "LOB-002",
         "polling a binding that does not exist answers 200 'succeeded'",
         after=_unknown_binding_succeeded)


def _after_repeated_terminal(route: str, kind: str, change: Callable[[Response], Response]
                             ) -> Change:
    """From the second 'succeeded' report of one operation on, answer ``change``."""
    reported: Counter[str] = Counter()

    def after(broker: Any, request: Request, response: Response) -> Response:
        if request.route != route or response.status != 200 \
                or _state(response) != "succeeded" or _operation_kind(broker, request) != kind:
            return response
        key = f"{request.instance_id}/{request.binding_id}"
        reported[key] += 1
        return change(response) if reported[key] > 1 else response
    return after


register("last-operation-forgets-outcome", "LOI-009",
         "a finished provision is forgotten: the next poll answers 404",
         after=_after_repeated_terminal(INSTANCE, "provision", _replaced(404, {
             "description": "no such operation"})), strict_only=True)
register("last-operation-back-in-progress", "LOI-011",
         "a finished provision is reported 'in progress' again on the next poll",
         after=_after_repeated_terminal(INSTANCE, "provision",
                                        _replaced(200, {"state": "in progress"})),
         strict_only=True)
register("binding-last-operation-forgets-outcome", "LOB-005",
         "a finished bind is forgotten: the next poll answers 404",
         after=_after_repeated_terminal(BINDING, "bind", _replaced(404, {
             "description": "no such operation"})), strict_only=True)


def _fetch_binding_404(broker: Any, request: Request, response: Response) -> Response:
    if request.route == "fetch_binding" and response.status == 200:
        return error(404, "no such binding")
    return response


register("fetch-binding-404-after-bind", "LOB-006",
         "an async binding reported 'succeeded' cannot be fetched (404)",
         after=_fetch_binding_404)


def _operation_with_space(broker: Any, request: Request, response: Response) -> Response:
    if request.route == "provision" and response.status == 202:
        operation = broker.state.instances[request.instance_id].operation
        operation.id = "provision " + operation.id  # a space: not an unreserved character
        return Response(202, {**response.body, "operation": operation.id}, response.headers)
    return response


register("operation-value-with-space", "URL-001A",
         "the operation value of an async provision contains a space",
         after=_operation_with_space, strict_only=True)


def _never_ending_within_declared_limit(broker: Any, request: Request,
                                        response: Response) -> Response:
    if request.route == "catalog" and response.status == 200:
        body = copy.deepcopy(response.body)
        for service in body["services"]:
            for plan in service["plans"]:
                if "maximum_polling_duration" in plan:
                    plan["maximum_polling_duration"] = 1
        return Response(200, body, response.headers)
    instance = broker.state.instances.get(request.instance_id)
    if request.route == INSTANCE and instance is not None and instance.operation \
            and instance.operation.kind == "provision":
        instance.operation.polls_left = 10**9
        return Response(200, {"state": "in progress"}, response.headers)
    return response


register("operation-outlives-polling-duration", "LOI-010C",
         "plans declare maximum_polling_duration 1 but provisioning never ends",
         before=deletable_while_provisioning, after=_never_ending_within_declared_limit,
         strict_only=True)
