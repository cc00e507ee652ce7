"""Polling ``last_operation`` until an asynchronous operation ends, within a bound."""

from __future__ import annotations

import email.utils
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from .client import BrokerResponse, OSBClient

TERMINAL_STATES = ("succeeded", "failed")
# After this many 410s while polling a create or update, stop: the broker lost the resource.
MAX_GONE_WHILE_CREATING = 3
# An error answer (a 5xx, say) is polled past, as platforms SHOULD; this many in a row end
# polling: the error persists, and the caller judges it.
MAX_ERRORS_IN_A_ROW = 3
# Defined answers that polling cannot go past: 200, 400 (malformed request), 404 (no such
# resource), 410 (gone: handled on its own).
_DEFINED_STATUSES = (200, 400, 404, 410)
_MAX_BACKOFF = 2.0
_MIN_PAUSE = 0.05


@dataclass
class PollResult:
    """How polling ended, and every answer seen on the way."""

    state: str | None  # succeeded | failed | gone | None (timed out or unusable answer)
    responses: list[BrokerResponse] = field(default_factory=list)
    waited: float = 0.0  # seconds slept between polls
    asked_to_wait: float = 0.0  # sum of the Retry-After values the broker sent
    timed_out: bool = False
    # Error answers polling went past (in ``responses`` too); the last answer is never one.
    transient: list[BrokerResponse] = field(default_factory=list)

    @property
    def last(self) -> BrokerResponse | None:
        return self.responses[-1] if self.responses else None

    @property
    def settled_answers(self) -> list[BrokerResponse]:
        """The answers to judge: all but the transient errors polling went past."""
        return [a for a in self.responses if not any(a is t for t in self.transient)]

    @property
    def succeeded(self) -> bool:
        return self.state in ("succeeded", "gone")


def poll_instance(
    client: OSBClient, instance_id: str, service_id: str, plan_id: str,
    operation: str | None, *, limit: float, deleting: bool = False,
    sleep: Callable[[float], None] = time.sleep, interval: float | None = None,
) -> PollResult:
    """Poll an instance's last operation until it ends or ``limit`` seconds pass."""
    return _poll(
        lambda: client.instance_last_operation(instance_id, service_id, plan_id, operation),
        client.settings.poll_interval if interval is None else interval, limit, deleting,
        sleep,
    )


def poll_binding(
    client: OSBClient, instance_id: str, binding_id: str, service_id: str, plan_id: str,
    operation: str | None, *, limit: float, deleting: bool = False,
    sleep: Callable[[float], None] = time.sleep, interval: float | None = None,
) -> PollResult:
    """Poll a binding's last operation until it ends or ``limit`` seconds pass."""
    return _poll(
        lambda: client.binding_last_operation(
            instance_id, binding_id, service_id, plan_id, operation
        ),
        client.settings.poll_interval if interval is None else interval, limit, deleting,
        sleep,
    )


def _poll(
    fetch: Callable[[], BrokerResponse], interval: float, limit: float, deleting: bool,
    sleep: Callable[[float], None],
) -> PollResult:
    result = PollResult(state=None)
    deadline = time.monotonic() + limit
    backoff = interval
    gone_count = errors_in_a_row = 0
    while True:
        response = fetch()
        result.responses.append(response)
        state = _state_of(response)
        errors_in_a_row = errors_in_a_row + 1 if _is_error(response) else 0
        if 0 < errors_in_a_row < MAX_ERRORS_IN_A_ROW:
            result.transient.append(response)  # judged only if the error persists
        elif response.status == 410:
            gone_count += 1
            if deleting or gone_count >= MAX_GONE_WHILE_CREATING:
                result.state = "gone"
                return result
        elif state in TERMINAL_STATES:
            result.state = state
            return result
        elif response.status != 200 or state != "in progress":
            return result  # an answer polling cannot go on from; the caller judges it
        asked = retry_after_seconds(response)
        if asked is not None:
            result.asked_to_wait += asked
        pause = asked if asked is not None else backoff
        backoff = min(backoff * 1.5, _MAX_BACKOFF)
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            result.timed_out = True
            if result.transient and result.transient[-1] is response:
                result.transient.pop()  # the error lasted to the end of polling
            return result
        # A Retry-After of 0 must not turn polling into a busy loop.
        pause = min(max(pause, _MIN_PAUSE), remaining)
        sleep(pause)
        result.waited += pause


def _is_error(response: BrokerResponse) -> bool:
    """An answer the spec defines no meaning for while polling (e.g. 503): an error or
    invalid response the platform SHOULD poll past (spec #polling-last-operation-...)."""
    return response.status not in _DEFINED_STATUSES


def _state_of(response: BrokerResponse) -> str | None:
    state = response.body_object().get("state") if response.status == 200 else None
    return state if isinstance(state, str) else None


def retry_after_seconds(response: BrokerResponse) -> float | None:
    """The ``Retry-After`` header as seconds (delta-seconds or HTTP-date), or None."""
    value = response.headers.get("retry-after")
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def polling_limit(plan_maximum: int | float | None, suite_limit: float) -> float:
    """The smaller of the plan's ``maximum_polling_duration`` and the suite's own bound."""
    if isinstance(plan_maximum, (int, float)) and not isinstance(plan_maximum, bool) \
            and plan_maximum > 0:
        return min(float(plan_maximum), suite_limit)
    return suite_limit
