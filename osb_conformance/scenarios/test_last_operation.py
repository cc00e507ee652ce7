"""Polling last operations (spec #polling-last-operation-for-service-instances,
#polling-last-operation-for-service-bindings): every answer seen on the way is judged."""

from __future__ import annotations

import re

import pytest

from osb_conformance.catalog import Plan
from osb_conformance.checks import CheckRecorder
from osb_conformance.client import BrokerResponse
from osb_conformance.expectations import (
    STATES,
    gone_while_creating,
    needs_accepted,
    needs_asynchronous,
    needs_bindable,
)
from osb_conformance.platform import (
    Instance,
    Platform,
    PreconditionFailed,
    new_id,
    operation_of,
)
from osb_conformance.polling import PollResult
from osb_conformance.update_requests import acceptable_update, update_body

requirement = pytest.mark.requirement

UNRESERVED = re.compile(r"[A-Za-z0-9._~-]*")
CREATING = ("provision", "update", "bind")


@requirement("LOI-005")
def test_last_operation_of_unknown_instance_is_404(
    any_plan: Plan, platform: Platform, check: CheckRecorder
) -> None:
    plan = any_plan
    unknown = platform.client.instance_last_operation(new_id(), plan.service.id, plan.id)
    check("LOI-005", unknown.status == 404,
          expected="404 Not Found for an instance that was never provisioned",
          observed=unknown.describe())


@requirement("LOB-002")
def test_last_operation_of_unknown_binding_is_404(
    plan: Plan, platform: Platform, check: CheckRecorder
) -> None:
    needs_bindable(plan)
    instance = platform.ready_instance(plan)
    response = platform.client.binding_last_operation(
        instance.id, new_id(), plan.service.id, plan.id)
    check("LOB-002", response.status == 404,
          expected="404 Not Found for a binding id that does not exist on the instance",
          observed=response.describe())


# -- judging one poll answer ---------------------------------------------------------------
def _judge_instance_answer(check: CheckRecorder, kind: str, answer: BrokerResponse) -> None:
    if answer.status == 410:
        if kind in CREATING:
            gone_while_creating(check, kind, answer)  # fails the test
        check.info("LOI-007A", f"polling a finished {kind} answered 410 Gone")
        return
    body = answer.body_object()
    state = body.get("state")
    check("LOI-001", answer.status == 200 and state in STATES,
          expected=f"200 OK with state one of {STATES}", observed=answer.describe())
    if "description" in body:
        description = body["description"]
        check("LOI-003", isinstance(description, str) and bool(description),
              expected="description, when present, is a non-empty string",
              observed=answer.describe())
    flags = [name for name in ("instance_usable", "update_repeatable") if name in body]
    for name in flags:
        check("LOI-004C", isinstance(body[name], bool), expected=f"{name} is a JSON boolean",
              observed=answer.describe())
    if state == "failed":
        forbidden = {"provision": flags,
                     "deprovision": [f for f in flags if f == "update_repeatable"]}.get(kind, [])
        check("LOI-004A", not forbidden,
              expected=f"no {' or '.join(forbidden) or 'such flag'} for a failed {kind}",
              observed=answer.describe())
    else:
        check("LOI-004B", not flags,
              expected="no instance_usable or update_repeatable unless an operation failed",
              observed=answer.describe())
    _judge_retry_after(check, "LOI-008B", answer)


def _judge_binding_answer(check: CheckRecorder, kind: str, answer: BrokerResponse) -> None:
    if answer.status == 410:
        if kind not in CREATING:
            check.info("LOB-003A", f"polling a finished {kind} answered 410 Gone")
        return  # while creating: judged once per polling (LOB-003B)
    body = answer.body_object()
    description = body.get("description", "")
    check("LOB-001", answer.status == 200 and body.get("state") in STATES
          and isinstance(description, str),
          expected=f"200 OK with state one of {STATES} and a string description, if any",
          observed=answer.describe())
    _judge_retry_after(check, "LOB-004B", answer)


def _settled_answers(check: CheckRecorder, requirement_id: str,
                     result: PollResult) -> list[BrokerResponse]:
    """The answers to judge: an error polling went past (one 503, say) is recorded, not
    failed; the platform SHOULD keep polling, and only an error that persists is judged."""
    for answer in result.transient:
        check.info(requirement_id, f"a transient error while polling, polled past: "
                                   f"{answer.describe()}")
    return result.settled_answers


def _judge_no_gone(check: CheckRecorder, requirement_id: str, kind: str,
                   result: PollResult) -> None:
    gone = [a for a in result.responses if a.status == 410]
    check(requirement_id, not gone, expected=f"no 410 Gone while polling a {kind}",
          observed=f"{len(gone)} of {len(result.responses)} polls answered 410 Gone")


def _judge_retry_after(check: CheckRecorder, requirement_id: str, answer: BrokerResponse) -> None:
    value = answer.headers.get("retry-after")
    if value is not None:
        check(requirement_id, value.strip().isdigit(),
              expected="Retry-After as delay-seconds", observed=f"Retry-After: {value}")


def _record_retry_after(check: CheckRecorder, requirement_id: str, result: PollResult) -> None:
    values = [a.headers.get("retry-after") for a in result.responses]
    check.info(requirement_id, f"Retry-After on the polls: {values}")


def _judge_operation_value(check: CheckRecorder, response: BrokerResponse) -> None:
    operation = operation_of(response)
    if operation is not None:
        check("URL-001A", UNRESERVED.fullmatch(operation) is not None,
              expected="an operation value of unreserved characters only",
              observed=f"operation = {operation!r}")


def _judge_terminal_in_time(check: CheckRecorder, platform: Platform, plan: Plan,
                            result: PollResult) -> None:
    declared = plan.maximum_polling_duration
    if declared is None or declared > platform.settings.poll_timeout:
        return  # the suite's own bound ran out first, or none was declared: no verdict
    check("LOI-010C", not result.timed_out,
          expected=f"a terminal state within maximum_polling_duration ({declared} s)",
          observed=f"still 'in progress' after {declared} s" if result.timed_out
          else f"ended {result.state!r}")


# -- instances ------------------------------------------------------------------------------
@requirement("LOI-001", "LOI-003", "LOI-004A", "LOI-004B", "LOI-004C",
             "LOI-007A", "LOI-007B", "LOI-008A", "LOI-008B", "LOI-009", "LOI-010C",
             "LOI-011", "URL-001A")
def test_instance_operations_poll_to_a_remembered_end(
    plan: Plan, platform: Platform, check: CheckRecorder
) -> None:
    needs_asynchronous(platform, plan, "provision")
    instance_id, provision = platform.provision(plan)
    needs_accepted(plan, provision, "provisions")
    result = _follow_instance(platform, plan, instance_id, "provision", provision, check)
    if result.state != "succeeded":
        raise PreconditionFailed(f"asynchronous provisioning of {plan.label} did not succeed",
                                 result.last.exchange if result.last else None)
    change = acceptable_update(platform, plan)  # never a context-only update (UPD-014B)
    if change is not None:
        update = platform.client.update(
            instance_id, update_body(platform, plan, **change.fields), True)
        if update.status == 202:
            _follow_instance(platform, plan, instance_id, "update", update, check)
    deprovision = platform.deprovision(plan, instance_id)
    if deprovision.status == 202:
        _follow_instance(platform, plan, instance_id, "deprovision", deprovision, check)


def _follow_instance(
    platform: Platform, plan: Plan, instance_id: str, kind: str, accepted: BrokerResponse,
    check: CheckRecorder,
) -> PollResult:
    _judge_operation_value(check, accepted)
    operation = operation_of(accepted)
    deleting = kind == "deprovision"
    result = platform.poll_instance(plan, instance_id, operation, deleting=deleting)
    for answer in _settled_answers(check, "LOI-001", result):
        _judge_instance_answer(check, kind, answer)
    if kind in CREATING:
        _judge_no_gone(check, "LOI-007B", kind, result)
    _record_retry_after(check, "LOI-008A", result)
    _judge_terminal_in_time(check, platform, plan, result)
    check.not_applicable_unless_checked("no instance operation failed", "LOI-004A")
    check.not_applicable_unless_checked(
        "no poll answer carried instance_usable or update_repeatable", "LOI-004C")
    check.not_applicable_unless_checked("no poll answer carried Retry-After", "LOI-008B")
    if deleting:
        if result.succeeded:
            platform.ledger.mark_instance_deleted(instance_id)
        return result
    if result.state in ("succeeded", "failed"):
        again = platform.client.instance_last_operation(
            instance_id, plan.service.id, plan.id, operation)
        state = again.body_object().get("state")
        check("LOI-009", again.status == 200 and state in (result.state, "in progress"),
              expected=f"polling again still reports the outcome {result.state!r}",
              observed=again.describe())
        check("LOI-011", state != "in progress",
              expected=f"no 'in progress' after {result.state!r} was reported",
              observed=again.describe())
    return result


# -- bindings -------------------------------------------------------------------------------
@requirement("LOB-001", "LOB-003A", "LOB-003B", "LOB-004A", "LOB-004B", "LOB-005", "LOB-006",
             "LOB-007")
def test_binding_operations_poll_to_a_remembered_end(
    plan: Plan, platform: Platform, check: CheckRecorder
) -> None:
    needs_bindable(plan)
    needs_asynchronous(platform, plan, "bind")
    instance = platform.ready_instance(plan)
    binding_id, bind = platform.bind(instance)
    needs_accepted(plan, bind, "binds")
    check.info("LOB-007", f"the 202 for a bind carries operation {operation_of(bind)!r}")
    result = _follow_binding(platform, instance, binding_id, "bind", bind, check)
    if result.state != "succeeded":
        return
    service = plan.service
    if service.bindings_retrievable:
        fetched = platform.client.fetch_binding(instance.id, binding_id, service.id, plan.id)
        check("LOB-006", fetched.status == 200,
              expected="200 OK from GET binding once the bind reported 'succeeded'",
              observed=fetched.describe())
    unbind = platform.unbind(instance, binding_id)
    if unbind.status == 202:
        _follow_binding(platform, instance, binding_id, "unbind", unbind, check)


def _follow_binding(
    platform: Platform, instance: Instance, binding_id: str, kind: str,
    accepted: BrokerResponse, check: CheckRecorder,
) -> PollResult:
    operation = operation_of(accepted)
    deleting = kind == "unbind"
    result = platform.poll_binding(instance, binding_id, operation, deleting=deleting)
    for answer in _settled_answers(check, "LOB-001", result):
        _judge_binding_answer(check, kind, answer)
    if kind in CREATING:
        _judge_no_gone(check, "LOB-003B", kind, result)
    _record_retry_after(check, "LOB-004A", result)
    check.not_applicable_unless_checked("no poll answer carried Retry-After", "LOB-004B")
    plan = instance.plan
    if deleting:
        if result.succeeded:
            platform.ledger.mark_binding_deleted(instance.id, binding_id)
        return result
    if result.state in ("succeeded", "failed"):
        again = platform.client.binding_last_operation(
            instance.id, binding_id, plan.service.id, plan.id, operation)
        check("LOB-005", again.status == 200
              and again.body_object().get("state") == result.state,
              expected=f"polling again still reports the outcome {result.state!r}",
              observed=again.describe())
    return result
