"""Steps fuzz examples share: finishing asynchronous operations and deleting at once.

A fuzz example deletes what it created before the next one starts, and waits for
asynchronous operations with a short first pause (the broker's Retry-After still
wins): fuzzing runs many short operations, and the run's default pause is sized
for a few long ones.
"""

from __future__ import annotations

from ..catalog import Plan
from ..client import BrokerResponse
from ..platform import Instance, Platform, operation_of
from ..polling import PollResult
from .budget import POLL_INTERVAL


def poll_interval(platform: Platform) -> float:
    return min(platform.settings.poll_interval, POLL_INTERVAL)


def finish_instance_operation(
    platform: Platform, plan: Plan, instance_id: str, response: BrokerResponse,
    deleting: bool = False,
) -> PollResult | None:
    """Poll a 202's operation on an instance to its end (None: nothing to wait for)."""
    if response.status != 202:
        return None
    return platform.poll_instance(plan, instance_id, operation_of(response), deleting=deleting,
                                  interval=poll_interval(platform))


def finish_binding_operation(
    platform: Platform, instance: Instance, binding_id: str, response: BrokerResponse,
    deleting: bool = False,
) -> PollResult | None:
    """Poll a 202's operation on a binding to its end (None: nothing to wait for)."""
    if response.status != 202:
        return None
    return platform.poll_binding(instance, binding_id, operation_of(response),
                                 deleting=deleting, interval=poll_interval(platform))


def delete_instance(platform: Platform, plan: Plan, instance_id: str) -> BrokerResponse:
    """Deprovision now and wait for the end; the ledger learns when it is gone."""
    response = platform.deprovision(plan, instance_id)
    result = finish_instance_operation(platform, plan, instance_id, response, deleting=True)
    if result is not None and result.succeeded:
        platform.ledger.mark_instance_deleted(instance_id)
    return response


def delete_binding(platform: Platform, instance: Instance, binding_id: str) -> BrokerResponse:
    """Unbind now and wait for the end; the ledger learns when it is gone."""
    response = platform.unbind(instance, binding_id)
    result = finish_binding_operation(platform, instance, binding_id, response, deleting=True)
    if result is not None and result.succeeded:
        platform.ledger.mark_binding_deleted(instance.id, binding_id)
    return response


def is_success(response: BrokerResponse) -> bool:
    return 200 <= response.status < 300


def is_server_error(response: BrokerResponse) -> bool:
    return response.status >= 500
