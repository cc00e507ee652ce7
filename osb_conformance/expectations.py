"""Small building blocks the scenarios share: N/A skips and common observations."""

from __future__ import annotations

from collections.abc import Callable
from typing import NoReturn, TypeVar

import pytest

from .absence import binding_delete_of_unknown, instance_delete_of_unknown
from .catalog import Plan
from .checks import CheckRecorder
from .client import BrokerResponse
from .errors import BrokerTransportError, TimeBoundSpent
from .platform import Platform, PreconditionFailed

OPERATION_MAX_CHARS = 10_000
STATES = ("in progress", "succeeded", "failed")
NO_ANSWER = "a complete HTTP answer"
Answer = TypeVar("Answer")  # a response, or what a platform helper made of the answers


def not_applicable(reason: str) -> NoReturn:
    """Skip: the broker does not offer what this scenario needs (never a failure)."""
    pytest.skip(f"N/A: {reason}")


def answer_or_finding(
    check: CheckRecorder, requirement_id: str, send: Callable[[], Answer], *,
    expected: str = NO_ANSWER,
) -> Answer | None:
    """Send; a transport failure (connection refused or dropped, a cut body, a timeout) is
    a finding of ``requirement_id``, the requirement this answer was to be checked against,
    graded by its level (MUST: FAIL, SHOULD: WARN), and None is returned, so that checks
    that do not need this answer still run. Use it only where nothing after depends on it.

    A request not sent because the test used up its time bound still ends the test.
    """
    try:
        return send()
    except TimeBoundSpent:
        raise
    except BrokerTransportError as error:
        check.also(requirement_id, False, expected=expected, observed=f"no answer: {error}")
        return None


def answers_or_findings(
    check: CheckRecorder, requirement_id: str,
    requests: list[tuple[str, Callable[[], BrokerResponse]]], expected: Callable[[str], str],
) -> list[tuple[str, BrokerResponse]]:
    """Send each named request; those without an answer are findings (answer_or_finding)
    and left out, so that the others are still judged."""
    answers = [(name, answer_or_finding(check, requirement_id, send, expected=expected(name)))
               for name, send in requests]
    return [(name, response) for name, response in answers if response is not None]


def needs_accepted(plan: Plan, response: BrokerResponse, doing: str) -> None:
    """Go on only when the broker answered 202 (``doing``: "provisions", "binds").

    A synchronous success is N/A: the broker does not offer the asynchronous operation.
    Any other answer is no reason for N/A: the scenario's setup failed, and says so.
    """
    if response.status == 202:
        return
    if response.status in (200, 201):
        not_applicable(f"{plan.label} {doing} synchronously")
    raise PreconditionFailed(
        f"the scenario needs an asynchronous operation, but the broker answered the "
        f"request ({doing.rstrip('s')} {plan.label}, accepts_incomplete=true) with "
        f"{response.describe()}", response.exchange)


def needs_asynchronous(platform: Platform, plan: Plan, kind: str) -> None:
    """Before creating anything: N/A when the run already saw the broker complete the
    standard ``kind`` ("provision", "bind") of ``plan`` synchronously (synchronous_plans.py);
    the check's own request would only show it again."""
    reason = platform.synchronous.reason(kind, plan.id)
    if reason is not None:
        not_applicable(reason)


def needs_bindable(plan: Plan) -> None:
    if not plan.bindable:
        not_applicable(f"plan {plan.label} is not bindable")


def needs_credentials(platform: Platform) -> None:
    if not platform.settings.has_credentials:
        not_applicable("the run has no broker credentials, so authentication cannot be tested")


def async_required(response: BrokerResponse) -> bool:
    """The broker says the operation needs ``accepts_incomplete=true``."""
    return response.status == 422 and response.error_code == "AsyncRequired"


def is_json_object(response: BrokerResponse) -> bool:
    return isinstance(_json_or_none(response), dict)


def _json_or_none(response: BrokerResponse) -> object:
    try:
        return response.json()
    except Exception:  # noqa: BLE001 - not JSON is an observation, not an error
        return None


def gone_while_creating(check: CheckRecorder, kind: str, answer: BrokerResponse) -> None:
    """A 410 while polling a provision or update: the instance exists, so the MUST of 200
    "upon successful processing" (LOI-001) fails; LOI-007B says why 410 is wrong there."""
    check.also("LOI-007B", False, expected=f"no 410 Gone while polling a {kind}",
               observed=answer.describe())
    check("LOI-001", False,
          expected=f"200 OK with a state while polling a {kind}: the instance exists (410 "
                   "Gone is appropriate only for deletes, LOI-007B)",
          observed=answer.describe())


def instance_absent(
    platform: Platform, plan: Plan, instance_id: str, check: CheckRecorder, requirement: str
) -> None:
    """Check that no instance ``instance_id`` exists (after a request that must not create).
    No answer to the probe is a finding of ``requirement`` (see answer_or_finding)."""
    client = platform.client
    if plan.service.instances_retrievable:
        expected = "404 Not Found from GET: no instance was created"
        response = answer_or_finding(
            check, requirement, lambda: client.fetch_instance(instance_id, plan.service.id,
                                                              plan.id), expected=expected)
        if response is None:
            return
        check(requirement, response.status == 404, expected=expected,
              observed=response.describe())
        return
    unknown = instance_delete_of_unknown(client, plan)
    if unknown.proves_nothing:
        check.not_exercised(requirement, unknown.reason("instance"))
        return  # the ledger keeps the id: cleanup deletes it should it exist
    expected = ("410 Gone from DELETE (the answer for a never-created id): no instance was "
                "created")
    response = answer_or_finding(check, requirement,
                                 lambda: platform.deprovision(plan, instance_id),
                                 expected=expected)
    if response is None:
        return
    check(requirement, unknown.shows_absence(response), expected=expected,
          observed=response.describe())


def instance_exists(
    platform: Platform, plan: Plan, instance_id: str, check: CheckRecorder, requirement: str
) -> None:
    """Check that instance ``instance_id`` exists (after the broker said it was created).

    With instances_retrievable a GET must answer 200; without it, only a delete can tell,
    so the check is made when the scenario deletes it: here nothing is sent.
    """
    if not plan.service.instances_retrievable:
        return
    expected = "200 OK from GET: the instance the broker created exists"
    response = answer_or_finding(check, requirement, lambda: platform.client.fetch_instance(
        instance_id, plan.service.id, plan.id), expected=expected)
    if response is None:
        return
    check(requirement, response.status == 200, expected=expected,
          observed=response.describe())


def binding_absent(
    platform: Platform, plan: Plan, instance_id: str, binding_id: str, check: CheckRecorder,
    requirement: str,
) -> None:
    """Check that no binding ``binding_id`` exists on ``instance_id``."""
    client = platform.client
    if plan.service.bindings_retrievable:
        expected = "404 Not Found from GET: no binding was created"
        response = answer_or_finding(check, requirement, lambda: client.fetch_binding(
            instance_id, binding_id, plan.service.id, plan.id), expected=expected)
        if response is None:
            return
        check(requirement, response.status == 404, expected=expected,
              observed=response.describe())
        return
    unknown = binding_delete_of_unknown(client, plan, instance_id)
    if unknown.proves_nothing:
        check.not_exercised(requirement, unknown.reason("binding"))
        return
    expected = ("410 Gone from DELETE (the answer for a never-created id): no binding was "
                "created")
    response = answer_or_finding(check, requirement, lambda: client.unbind(
        instance_id, binding_id, plan.service.id, plan.id, True), expected=expected)
    if response is None:
        return
    check(requirement, unknown.shows_absence(response), expected=expected,
          observed=response.describe())


def conflicting_provision_body(platform: Platform, plan: Plan, body: dict) -> dict | None:  # type: ignore[type-arg]
    """A provision body for the same id with other attributes, or None if none is safe.

    Another plan of the same service is the clearest difference; without one, other
    parameters, but only where the plan declares no schema that could reject them first.
    """
    others = plan.other_plans()
    if others:
        return {**body, "plan_id": others[0].id}
    if plan.schema("service_instance", "create") is None:
        return {**body, "parameters": {"osbc_conflict": "different"}}
    return None
