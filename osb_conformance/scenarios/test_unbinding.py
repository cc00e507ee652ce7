"""Unbinding (spec #unbinding)."""

from __future__ import annotations

import pytest

from osb_conformance.catalog import Plan
from osb_conformance.checks import CheckRecorder
from osb_conformance.client import BrokerResponse
from osb_conformance.error_checks import ERROR_BODY_REQUIREMENTS, check_error_body
from osb_conformance.expectations import (
    binding_absent,
    is_json_object,
    needs_accepted,
    needs_asynchronous,
    needs_bindable,
)
from osb_conformance.platform import BindingHandle, Instance, Platform, operation_of
from osb_conformance.response_checks import ended_meanwhile, judge_delete_refused_while_creating
from osb_conformance.response_shapes import operation_problem

requirement = pytest.mark.requirement


@requirement("UNB-001", "UNB-002", "UNB-003", "UNB-004", "UNB-006", "GETB-007",
             *ERROR_BODY_REQUIREMENTS)
def test_unbind_then_again_is_410(plan: Plan, platform: Platform, check: CheckRecorder) -> None:
    needs_bindable(plan)
    instance = platform.ready_instance(plan)
    binding = platform.bind_ready(instance)
    _missing_query_ids_are_400(platform, binding, check)
    response = platform.unbind(instance, binding.id, accepts_incomplete=None)
    if response.status == 422 and response.error_code != "ConcurrencyError":
        check("UNB-006", response.error_code == "AsyncRequired",
              expected='422 with "error": "AsyncRequired" without accepts_incomplete=true',
              observed=response.describe())
        response = platform.unbind(instance, binding.id, accepts_incomplete=True)
    if response.status == 202:
        _async_unbind(platform, binding, response, check)
    else:
        check("UNB-001", response.status == 200 and is_json_object(response),
              expected="200 OK with a JSON object (or 202 for an async unbind)",
              observed=response.describe())
    again = platform.unbind(instance, binding.id)
    check("UNB-004", again.status == 410, expected="410 Gone: the binding no longer exists",
          observed=again.describe())
    if plan.service.bindings_retrievable:
        fetched = platform.client.fetch_binding(instance.id, binding.id, plan.service.id,
                                                plan.id)
        check("GETB-007", fetched.status == 404,
              expected="404 Not Found from GET after the unbind completed",
              observed=fetched.describe())


def _missing_query_ids_are_400(platform: Platform, binding: BindingHandle,
                               check: CheckRecorder) -> None:
    instance = binding.instance
    plan = instance.plan
    for service_id, plan_id, missing in ((None, plan.id, "service_id"),
                                         (plan.service.id, None, "plan_id")):
        response = platform.client.unbind(instance.id, binding.id, service_id, plan_id, True)
        check("UNB-003", response.status == 400,
              expected=f"400 Bad Request for an unbind without the {missing} query parameter",
              observed=response.describe())
        check_error_body(check, response)


def _async_unbind(platform: Platform, binding: BindingHandle, first: BrokerResponse,
                  check: CheckRecorder) -> None:
    instance = binding.instance
    problem = operation_problem(first.body_object(), null_allowed=False)
    check("UNB-002", problem is None,
          expected="operation absent, or a string (not null) of at most 10,000 characters",
          observed=problem or first.describe())
    again = platform.unbind(instance, binding.id)
    if again.status != 202 and ended_meanwhile(platform, instance.plan, instance.id,
                                               operation_of(first), binding.id):
        check.info("UNB-002", f"the unbind ended before the resend: {again.describe()}")
        return
    check("UNB-002", again.status == 202,
          expected="a re-sent unbind in progress answers 202 again, not 200",
          observed=again.describe())
    result = platform.poll_binding(instance, binding.id, operation_of(first), deleting=True)
    check("UNB-002", result.succeeded, expected="the unbind ends 'succeeded' or 410 Gone",
          observed=result.last.describe() if result.last else "no answer")
    platform.ledger.mark_binding_deleted(instance.id, binding.id)


@requirement("UNB-001", "UNB-006", "UNB-007A", "UNB-007B")
def test_unbind_during_async_bind(plan: Plan, platform: Platform, check: CheckRecorder) -> None:
    needs_bindable(plan)
    needs_asynchronous(platform, plan, "bind")
    instance = platform.ready_instance(plan)
    binding_id, bound = platform.bind(instance, accepts_incomplete=True)
    needs_accepted(plan, bound, "binds")
    response = platform.unbind(instance, binding_id)
    if response.status not in (200, 202):
        _unbind_refused(platform, instance, binding_id, bound, response, check)
        return
    client = platform.client
    if response.status == 200:
        polled = client.binding_last_operation(instance.id, binding_id, plan.service.id,
                                               plan.id, operation_of(bound))
        check("UNB-007B", polled.status == 200 and polled.body_object().get("state") == "failed",
              expected="after a synchronous unbind, binding last_operation reports the bind "
                       "'failed'", observed=polled.describe())
    else:
        result = platform.poll_binding(instance, binding_id, operation_of(response),
                                       deleting=True)
        check("UNB-007B", result.succeeded,
              expected="binding last_operation reports the unbind's state, ending "
                       "'succeeded' or 410", observed=result.last.describe() if result.last
              else "none")
    platform.track(plan, instance.id, binding_id)  # said deleted; cleanup checks it is
    binding_absent(platform, plan, instance.id, binding_id, check, "UNB-007A")


def _unbind_refused(
    platform: Platform, instance: Instance, binding_id: str, bound: BrokerResponse,
    response: BrokerResponse, check: CheckRecorder,
) -> None:
    """An unbind during the bind not answered 200 or 202."""
    judge_delete_refused_while_creating(
        check, response, ("UNB-001", "UNB-006", "UNB-007A", "UNB-007B"),
        request="unbind", deleting="unbinding", creation="the bind")
    # let the bind end, polled with its operation, before cleanup unbinds it
    platform.poll_binding(instance, binding_id, operation_of(bound))
