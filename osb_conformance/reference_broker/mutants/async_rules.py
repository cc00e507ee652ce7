"""Mutants for synchronous/asynchronous answers and concurrent requests."""

from __future__ import annotations

from typing import Any

from ..http_types import Request, Response, error
from . import register


def _is_async_required(response: Response) -> bool:
    return response.status == 422 and isinstance(response.body, dict) \
        and response.body.get("error") == "AsyncRequired"


def _update_accepted_without_flag(broker: Any, request: Request, response: Response) -> Response:
    if request.route == "update" and _is_async_required(response):
        return Response(202, {"operation": "never-started"}, response.headers)
    return response


register("update-202-without-flag", "ASY-001",
         "an async-only update answers 202 although accepts_incomplete was not true",
         after=_update_accepted_without_flag)


def _unbind_refused_with_400(broker: Any, request: Request, response: Response) -> Response:
    if request.route == "unbind" and _is_async_required(response):
        return error(400, "this plan unbinds asynchronously only")
    return response


register("unbind-async-required-400", "ASY-002",
         "an async-only unbind without accepts_incomplete answers 400, not 422 AsyncRequired",
         after=_unbind_refused_with_400)


def _update_201(broker: Any, request: Request, response: Response) -> Response:
    if request.route == "update" and response.status == 200:
        return Response(201, response.body, response.headers)
    return response


register("update-sync-201", "ASY-005",
         "a synchronous update answers 201 instead of 200", after=_update_201)

# Instances whose asynchronous delete was answered 200 although it was still running.
_PENDING_DELETES: set[str] = set()


def _delete_200_while_running(broker: Any, request: Request, response: Response) -> Response:
    """Answers 200 to an async delete that is still running; the instance goes only at the
    next delete request (so nothing leaks, but a re-sent delete does not find it gone)."""
    if request.route != "deprovision":
        return response
    instance = broker.state.instances.get(request.instance_id)
    if request.instance_id in _PENDING_DELETES and instance is not None:
        _PENDING_DELETES.discard(request.instance_id)
        broker.remove_instance(instance)
        return Response(200, {}, response.headers)
    if response.status == 202:
        _PENDING_DELETES.add(request.instance_id)
        return Response(200, {}, response.headers)
    return response


register("deprovision-200-while-running", "ASY-003",
         "an async deprovision with accepts_incomplete=true answers 200 but is not done yet",
         after=_delete_200_while_running)


def _concurrent_update_409(broker: Any, request: Request, response: Response) -> Response:
    if request.route == "update" and response.status == 422 and isinstance(response.body, dict) \
            and response.body.get("error") == "ConcurrencyError":
        return error(409, "another operation is in progress")
    return response


register("concurrent-update-409", "CONC-001",
         "an update while the instance is being provisioned answers 409, not ConcurrencyError",
         after=_concurrent_update_409)


def _resend_on_async_plan(route: str) -> Any:
    """A predicate: an identical resend (answered 200) of a ``route`` on an async plan."""
    def matches(broker: Any, request: Request, response: Response) -> bool:
        instance = broker.state.instances.get(request.instance_id)
        return request.route == route and response.status == 200 and instance is not None \
            and broker.is_async(instance.plan_id)
    return matches


def _created_again(route: str) -> Any:
    """An after-hook: the resend after an async create completed answers 201, not 200."""
    is_resend = _resend_on_async_plan(route)

    def after(broker: Any, request: Request, response: Response) -> Response:
        if is_resend(broker, request, response):
            return Response(201, response.body, response.headers)
        return response
    return after


register("provision-resend-after-async-201", "PROV-016B",
         "an identical provision re-sent after an async provision succeeded answers 201",
         after=_created_again("provision"), strict_only=True)
register("bind-resend-after-async-201", "BND-005",
         "an identical bind re-sent after an async bind succeeded answers 201, not 200",
         after=_created_again("bind"), strict_only=True)
