"""Checks of instance and binding response bodies that several scenarios share.

Each function names the requirement IDs it checks in a tuple constant; a test that calls
it lists that tuple in its ``requirement`` marker.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .catalog import Plan
from .checks import CheckRecorder
from .client import BrokerResponse
from .platform import Platform
from .response_shapes import (
    binding_information,
    binding_metadata_problem,
    credentials_problem,
    dashboard_url_problem,
    endpoints_problem,
    metadata_problem,
    operation_problem,
    required_string_problem,
    volume_mounts_problem,
)

PROVISION_ANSWER_IDS = ("PROV-003", "PROV-006A", "PROV-006B", "META-001")
ASYNC_ANSWER_IDS = ("PROV-005A", "PROV-005B")
BINDING_ANSWER_IDS = ("BND-002A", "BND-011", "BND-012A", "BND-013", "BND-014", "BND-015",
                      "BND-016")


def check_provision_answer(check: CheckRecorder, response: BrokerResponse) -> None:
    """dashboard_url, metadata and (for a 202) operation of a provision answer."""
    body = response.body_object()
    problem = dashboard_url_problem(body)
    check("PROV-003", problem is None, expected="dashboard_url absent, null or a string",
          observed=problem or response.describe())
    if "metadata" in body:
        check.info("PROV-006A", f"metadata returned: {body['metadata']!r:.200}")
    else:
        check.info("PROV-006A", "no metadata in the provision answer")
    problem = metadata_problem(body)
    for requirement in ("PROV-006B", "META-001"):
        check(requirement, problem is None,
              expected="metadata absent, or an object whose labels/attributes are objects",
              observed=problem or response.describe())
    if response.status == 202:
        problem = operation_problem(body)
        check("PROV-005A", problem is None,
              expected="operation absent, null or a string of at most 10,000 characters",
              observed=problem or response.describe())
        if body.get("operation") is None:
            check.info("PROV-005B", "the 202 carries no operation")


def binding_field_problems(plan: Plan, body: dict[str, Any]) -> dict[str, str | None]:
    """For each binding-shape requirement, what is wrong with this bind/fetch body."""
    requires = plan.service.requires
    return {
        "BND-002A": credentials_problem(body),
        "BND-011": required_string_problem(body, "syslog_drain_url",
                                           required="syslog_drain" in requires,
                                           declared="syslog_drain" in requires),
        "BND-012A": required_string_problem(body, "route_service_url", required=False,
                                            declared="route_forwarding" in requires),
        "BND-013": volume_mounts_problem(body, declared="volume_mount" in requires),
        "BND-014": endpoints_problem(body),
        "BND-016": binding_metadata_problem(body),
    }


_BINDING_EXPECTED = {
    "BND-002A": "credentials, when present, a JSON object",
    "BND-011": "syslog_drain_url only (and always) with requires syslog_drain, a string",
    "BND-012A": "route_service_url only with requires route_forwarding, a string",
    "BND-013": "volume_mounts only (and always) with requires volume_mount, each well formed",
    "BND-014": "endpoints with a host, non-empty ports (port or range strings), tcp/udp/all",
    "BND-016": "metadata.expires_at/renew_before as yyyy-mm-ddThh:mm:ss.sZ, renew <= expires",
}


def check_binding_answer(check: CheckRecorder, plan: Plan, response: BrokerResponse) -> None:
    """The binding fields of a 200/201 bind answer (BINDING_ANSWER_IDS)."""
    body = response.body_object()
    for requirement, problem in binding_field_problems(plan, body).items():
        check(requirement, problem is None, expected=_BINDING_EXPECTED[requirement],
              observed=problem or response.describe())
    if "credentials" in body:
        check("BND-015", "endpoints" in body,
              expected="endpoints listed alongside the credentials",
              observed=response.describe())


def check_fetched_binding(check: CheckRecorder, plan: Plan, response: BrokerResponse) -> None:
    """GETB-006A: a fetched binding follows the bind answer's rules; parameters an object."""
    body = response.body_object()
    problems = [p for p in binding_field_problems(plan, body).values() if p]
    if "parameters" in body and not isinstance(body["parameters"], dict):
        problems.append(f"parameters = {body['parameters']!r:.80} is not an object")
    check("GETB-006A", not problems, expected="the bind answer's field rules; parameters "
          "an object", observed="; ".join(problems) or response.describe())


def ended_meanwhile(platform: Platform, plan: Plan, instance_id: str, operation: str | None,
                    binding_id: str | None = None) -> bool:
    """Whether the operation a scenario meant to overlap has already ended.

    A real broker works on its own time: an answer that is right for a finished operation
    (200 to a re-sent provision, 410 to a re-sent delete, a fetchable instance) is then no
    violation. Asked only when the answer would otherwise fail a check.
    """
    service_id, client = plan.service.id, platform.client
    if binding_id is None:
        response = client.instance_last_operation(instance_id, service_id, plan.id, operation)
    else:
        response = client.binding_last_operation(instance_id, binding_id, service_id, plan.id,
                                                 operation)
    state = response.body_object().get("state") if response.status == 200 else None
    return response.status == 410 or state in ("succeeded", "failed")


def judge_delete_refused_while_creating(
    check: CheckRecorder, response: BrokerResponse, ids: tuple[str, str, str, str], *,
    request: str, deleting: str, creation: str,
) -> None:
    """A delete sent while the create runs, answered neither 200 nor 202: only 422
    ConcurrencyError is a refusal the spec allows; another 2xx or a 5xx is a finding, never
    N/A. ``ids``: the delete's answer rule, the concurrency rule, and the two halting rules
    (N/A: nothing was halted); ``request`` ("DELETE", "unbind"), ``deleting`` and
    ``creation`` ("provisioning", "the bind") word the expectations."""
    answered, concurrency, *halting = ids
    sent = ("an " if request[0] in "aeiou" else "a ") + request
    if 200 <= response.status < 300:
        check(answered, False, expected=f"{sent} that deleted answers 200 OK (or 202 while "
              f"{deleting}), not another 2xx", observed=response.describe())
    check(concurrency, response.status == 422 and response.error_code == "ConcurrencyError",
          expected=f"{sent} while {creation} runs: 200 (deleted), 202 (deleting) or, "
                   f"refused, 422 ConcurrencyError", observed=response.describe())
    for requirement_id in halting:
        check.not_applicable(requirement_id, f"the broker refused the {request} while "
                                             f"{creation} ran: nothing was halted")


def judge_fetch_while_creating(
    check: CheckRecorder, requirement_id: str, fetched: BrokerResponse,
    ended: Callable[[], bool], *, creation: str, in_progress: str,
) -> None:
    """A fetch while the create runs finds nothing (404), unless the create ended meanwhile
    (``ended``, asked only for a 200: then 200 is right). ``creation`` ("provisioning",
    "the bind") and ``in_progress`` word the finding."""
    if fetched.status == 200 and ended():
        check.not_exercised(requirement_id, f"{creation} ended before the fetch (200 is then "
                                            f"right)")
        return
    check(requirement_id, fetched.status == 404, expected=f"404 Not Found while {in_progress}",
          observed=fetched.describe())


def check_no_binding_information(check: CheckRecorder, requirement: str,
                                 response: BrokerResponse) -> None:
    """A 202 bind answer carries no binding information."""
    found = binding_information(response.body_object())
    check(requirement, not found, expected="no credentials or other binding information in "
          "a 202", observed=f"fields {found}" if found else response.describe())
