"""Deleting what the suite created: bindings first, then instances, each within a bound.

Robust to whatever the ledger holds: resources a test already deleted, orphans whose
creation never got an answer, instances still being provisioned (the delete is refused
with 422 until the operation ends), brokers that answer garbage or nothing.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import httpx

from .client import BrokerResponse, OSBClient
from .errors import BrokerError, BrokerTimeout
from .ledger import Ledger, Resource
from .polling import PollResult, poll_binding, poll_instance

ATTEMPTS = 3  # a delete refused for concurrency, a 5xx or a reset is retried
KEPT = "kept on purpose (--osb-keep-resources)"
INTERRUPTED = "cleanup interrupted (Ctrl-C during cleanup)"
TRANSIENT_PAUSE = 0.2  # seconds before polling again after a 5xx or a reset
# Instances deleted at once: a run's end deletes what it holds within about one polling
# bound, and a broker is never sent more deletes at a time than a run's tests send it.
PARALLEL_DELETES = 8


def clean_up(
    client: OSBClient, ledger: Ledger, owner: str | None = None,
    defer: Callable[[Resource], bool] | None = None,
) -> list[Resource]:
    """Delete the live resources (of ``owner``, or all); return those that could not be.

    Different instances are deleted concurrently; an instance's bindings go first, one at
    a time (a broker may refuse concurrent operations on one instance). Resources that
    ``defer`` picks are left for later (and returned). Under ``--osb-keep-resources``
    nothing is deleted and everything live is returned.
    """
    live = ledger.live(owner)
    if client.settings.keep_resources:
        for resource in live:
            resource.problem = KEPT
        return live
    by_instance: dict[str, list[Resource]] = {}
    for resource in live:
        if defer is None or not defer(resource):
            by_instance.setdefault(resource.instance_id, []).append(resource)
    groups = [sorted(group, key=lambda r: r.kind != "binding") for group in by_instance.values()]
    if len(groups) <= 1:
        for group in groups:
            _delete_group(client, ledger, group)
    else:
        with ThreadPoolExecutor(min(PARALLEL_DELETES, len(groups))) as pool:
            list(pool.map(lambda group: _delete_group(client, ledger, group), groups))
    return ledger.live(owner)


def _delete_group(client: OSBClient, ledger: Ledger, resources: list[Resource]) -> None:
    """One instance's resources: its bindings first, then the instance."""
    for resource in resources:
        if resource.deleted:  # deleting an instance may have taken its bindings along
            continue
        gone, problem = _delete(client, resource)
        if gone:
            _mark(ledger, resource)
        else:
            resource.problem = problem


def clean_up_interruptible(
    client: OSBClient, ledger: Ledger, owner: str | None = None
) -> list[Resource]:
    """:func:`clean_up`, but a second Ctrl-C stops it and lists what is left."""
    try:
        return clean_up(client, ledger, owner)
    except KeyboardInterrupt:
        left = ledger.live(owner)
        for resource in left:
            resource.problem = resource.problem or INTERRUPTED
        return left


def _mark(ledger: Ledger, resource: Resource) -> None:
    if resource.kind == "binding":
        ledger.mark_binding_deleted(resource.instance_id, resource.binding_id or "")
    else:
        ledger.mark_instance_deleted(resource.instance_id)


def _delete(client: OSBClient, resource: Resource) -> tuple[bool, str | None]:
    """Delete one resource. All its attempts and polls share one polling bound (plus the
    requests' own bounds), so a broker whose operations never end costs one bound."""
    problem = None
    deadline = time.monotonic() + client.settings.poll_timeout
    for _ in range(ATTEMPTS):
        if time.monotonic() >= deadline:
            problem = (f"{problem}; " if problem else "") + (
                f"gave up after the {client.settings.poll_timeout:g}s polling bound")
            break
        try:
            response = _send_delete(client, resource)
        except BrokerError as exc:
            problem = str(exc)
            if isinstance(exc, BrokerTimeout):
                break  # a broker that did not answer once will not answer a retry sooner
            continue
        if response.status in (200, 410):
            return True, None
        if response.status == 202:
            operation = response.body_object().get("operation")
            if _poll(client, resource, operation if isinstance(operation, str) else None,
                     deleting=True, deadline=deadline):
                return True, None
            problem = "asynchronous delete did not finish within the polling bound"
            continue
        problem = f"delete answered {response.describe()}"
        if response.status == 422:  # busy: wait for the running operation, then try again
            _poll(client, resource, None, deleting=False, deadline=deadline)
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


def _poll(
    client: OSBClient, resource: Resource, operation: str | None, deleting: bool,
    deadline: float,
) -> bool:
    """Poll to the end until ``deadline``; a 5xx or a reset on the way is transient
    (cleanup keeps trying, as orphan mitigation asks), anything else ends polling."""
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False
        try:
            result = _poll_once(client, resource, operation, deleting, remaining)
        except (BrokerError, httpx.HTTPError) as exc:
            if isinstance(exc, BrokerTimeout):
                return False
            time.sleep(min(TRANSIENT_PAUSE, max(0.0, deadline - time.monotonic())))
            continue
        if result.succeeded:
            return True
        if result.timed_out or result.last is None or result.last.status < 500:
            return False
        time.sleep(min(TRANSIENT_PAUSE, max(0.0, deadline - time.monotonic())))


def _poll_once(
    client: OSBClient, resource: Resource, operation: str | None, deleting: bool, limit: float
) -> PollResult:
    if resource.kind == "binding":
        return poll_binding(client, resource.instance_id, resource.binding_id or "",
                            resource.service_id, resource.plan_id, operation,
                            limit=limit, deleting=deleting)
    return poll_instance(client, resource.instance_id, resource.service_id,
                         resource.plan_id, operation, limit=limit, deleting=deleting)
