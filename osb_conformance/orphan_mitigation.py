"""Orphan mitigation as a platform does it (spec #orphan-mitigation).

After a provision or bind whose outcome the platform cannot trust (a 5xx, a timeout, a
malformed 201/202, any other 2xx, or an asynchronous operation that ended 'failed'),
the platform deletes the resource, without an originating identity, and keeps trying
until the broker reports success. Nothing is mitigated after a 408, any other 4xx or
an update (the table's 'No' rows).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .client import BrokerResponse, OSBClient
from .errors import BrokerError
from .ledger import Resource
from .polling import poll_binding, poll_instance

ATTEMPTS = 3  # "keep trying" within a bound: a test must end
SUCCESS_STATUSES = (200, 410)


@dataclass
class Mitigation:
    """One orphan mitigation: why it happened and every answer the deletes got."""

    resource: Resource
    reason: str
    answers: list[BrokerResponse] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # transport errors on the way
    succeeded: bool = False

    def describe(self) -> str:
        answers = "; ".join(a.describe()[:120] for a in self.answers) or "none"
        return f"{self.resource.describe()} after {self.reason}: answers {answers}"


def mitigation_reason(
    route: str, response: BrokerResponse | None, timed_out: bool = False
) -> str | None:
    """Why a provision or bind answer calls for orphan mitigation, or None if it does not."""
    if route not in ("provision", "bind"):
        return None  # updates, deletes and fetches are never mitigated this way
    if timed_out or response is None:
        return "no complete answer (a timeout or a broken connection)"
    status = response.status
    if status >= 500:
        return f"a {status} answer"
    if status in (201, 202):
        return None if isinstance(_body(response), dict) else f"a malformed {status} answer"
    if 200 < status < 300:
        return f"an unexpected {status} answer"
    return None  # 200 (malformed or not), 408 and every other 4xx: no mitigation


def _body(response: BrokerResponse) -> object:
    try:
        return response.json()
    except BrokerError:
        return None


def mitigate(client: OSBClient, resource: Resource, reason: str, poll_limit: float,
             ) -> Mitigation:
    """Delete ``resource`` until the broker reports success, within ``ATTEMPTS`` tries."""
    mitigation = Mitigation(resource, reason)
    for _ in range(ATTEMPTS):
        try:
            response = _delete(client, resource)
        except BrokerError as exc:
            mitigation.problems.append(str(exc))
            continue
        mitigation.answers.append(response)
        if response.status in SUCCESS_STATUSES:
            mitigation.succeeded = True
            break
        if response.status == 202:
            operation = response.body_object().get("operation")
            if _poll(client, resource, operation if isinstance(operation, str) else None,
                     poll_limit):
                mitigation.succeeded = True
                break
        elif response.status == 422:  # still busy with the original operation: wait for it
            _poll(client, resource, None, poll_limit, deleting=False)
    return mitigation


def _delete(client: OSBClient, resource: Resource) -> BrokerResponse:
    # A platform's own clean-up acts for no user: no originating identity.
    if resource.kind == "binding":
        return client.unbind(resource.instance_id, resource.binding_id or "",
                             resource.service_id, resource.plan_id, True,
                             originating_identity=False)
    return client.deprovision(resource.instance_id, resource.service_id, resource.plan_id,
                              True, originating_identity=False)


def _poll(client: OSBClient, resource: Resource, operation: str | None, limit: float,
          deleting: bool = True) -> bool:
    if resource.kind == "binding":
        result = poll_binding(client, resource.instance_id, resource.binding_id or "",
                              resource.service_id, resource.plan_id, operation,
                              limit=limit, deleting=deleting)
    else:
        result = poll_instance(client, resource.instance_id, resource.service_id,
                               resource.plan_id, operation, limit=limit, deleting=deleting)
    return result.succeeded
