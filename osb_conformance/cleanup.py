"""Deleting what the suite created: bindings first, then instances, each within a bound."""

from __future__ import annotations

from .client import BrokerResponse, OSBClient
from .errors import BrokerError
from .ledger import Ledger, Resource
from .polling import poll_binding, poll_instance

ATTEMPTS = 3  # a delete refused for concurrency is retried after the busy operation ends


def clean_up(client: OSBClient, ledger: Ledger, owner: str | None = None) -> list[Resource]:
    """Delete the live resources (of ``owner``, or all); return those that could not be."""
    live = ledger.live(owner)
    bindings = [r for r in live if r.kind == "binding"]
    instances = [r for r in live if r.kind == "instance"]
    for resource in bindings + instances:
        if resource.deleted:  # deleting an instance may have taken its bindings along
            continue
        try:
            gone, problem = _delete(client, resource)
        except BrokerError as exc:
            gone, problem = False, str(exc)
        if gone:
            _mark(ledger, resource)
        else:
            resource.problem = problem
    return ledger.live(owner)


def _mark(ledger: Ledger, resource: Resource) -> None:
    if resource.kind == "binding":
        ledger.mark_binding_deleted(resource.instance_id, resource.binding_id or "")
    else:
        ledger.mark_instance_deleted(resource.instance_id)


def _delete(client: OSBClient, resource: Resource) -> tuple[bool, str | None]:
    problem = None
    for _ in range(ATTEMPTS):
        response = _send_delete(client, resource)
        if response.status in (200, 410):
            return True, None
        if response.status == 202:
            operation = response.body_object().get("operation")
            result = _poll(client, resource, operation if isinstance(operation, str) else None,
                           deleting=True)
            if result:
                return True, None
            problem = "asynchronous delete did not finish"
            continue
        problem = f"delete answered {response.describe()}"
        if response.status == 422:  # busy: wait for the running operation, then try again
            _poll(client, resource, None, deleting=False)
            continue
        if response.status >= 500:
            continue
        break
    return False, problem


def _send_delete(client: OSBClient, resource: Resource) -> BrokerResponse:
    if resource.kind == "binding":
        return client.unbind(resource.instance_id, resource.binding_id or "",
                             resource.service_id, resource.plan_id, accepts_incomplete=True)
    return client.deprovision(resource.instance_id, resource.service_id, resource.plan_id,
                              accepts_incomplete=True)


def _poll(client: OSBClient, resource: Resource, operation: str | None, deleting: bool) -> bool:
    limit = client.settings.poll_timeout
    if resource.kind == "binding":
        result = poll_binding(client, resource.instance_id, resource.binding_id or "",
                              resource.service_id, resource.plan_id, operation,
                              limit=limit, deleting=deleting)
    else:
        result = poll_instance(client, resource.instance_id, resource.service_id,
                               resource.plan_id, operation, limit=limit, deleting=deleting)
    return result.succeeded
