"""Deprovisioning (spec #deprovisioning)."""

from __future__ import annotations

import pytest

from osb_conformance.catalog import Plan
from osb_conformance.checks import CheckRecorder
from osb_conformance.client import BrokerResponse
from osb_conformance.error_checks import ERROR_BODY_REQUIREMENTS, check_error_body
from osb_conformance.expectations import (
    instance_absent,
    is_json_object,
    needs_accepted,
    needs_asynchronous,
)
from osb_conformance.platform import Instance, Platform, new_id, operation_of
from osb_conformance.response_checks import ended_meanwhile, judge_delete_refused_while_creating
from osb_conformance.response_shapes import operation_problem

requirement = pytest.mark.requirement


@requirement("DEP-001", "DEP-002", "DEP-003", "DEP-004", "DEP-005", "DEP-009A", "DEP-009B",
             "GETI-010",
             *ERROR_BODY_REQUIREMENTS)
@pytest.mark.adopts
def test_deprovision_then_again_is_410(
    plan: Plan, platform: Platform, check: CheckRecorder
) -> None:
    instance = platform.instance_to_change(plan)
    _missing_query_ids_are_400(platform, instance, check)
    response = platform.deprovision(plan, instance.id, accepts_incomplete=None)
    if response.status == 422 and response.error_code != "ConcurrencyError":
        check("DEP-005", response.error_code == "AsyncRequired",
              expected='422 with "error": "AsyncRequired" without accepts_incomplete=true',
              observed=response.describe())
        response = platform.deprovision(plan, instance.id, accepts_incomplete=True)
    if response.status == 202:
        _async_deprovision(platform, instance, response, check)
    else:
        check("DEP-001", response.status == 200 and is_json_object(response),
              expected="200 OK with a JSON object (or 202 for an async delete)",
              observed=response.describe())
    again = platform.deprovision(plan, instance.id)
    check("DEP-004", again.status == 410, expected="410 Gone: the instance no longer exists",
          observed=again.describe())
    if plan.service.instances_retrievable:
        fetched = platform.client.fetch_instance(instance.id, plan.service.id, plan.id)
        check("GETI-010", fetched.status == 404,
              expected="404 Not Found from GET after the deprovision completed",
              observed=fetched.describe())


def _missing_query_ids_are_400(platform: Platform, instance: Instance,
                               check: CheckRecorder) -> None:
    plan = instance.plan
    for service_id, plan_id, missing in ((None, plan.id, "service_id"),
                                         (plan.service.id, None, "plan_id")):
        response = platform.client.deprovision(instance.id, service_id, plan_id, True)
        check("DEP-003", response.status == 400,
              expected=f"400 Bad Request for a DELETE without the {missing} query parameter",
              observed=response.describe())
        _check_deprovision_error(check, response)
        check_error_body(check, response)


def _check_deprovision_error(check: CheckRecorder, response: BrokerResponse) -> None:
    body = response.body_object()
    check("DEP-009B", "update_repeatable" not in body,
          expected="no update_repeatable in a deprovision error", observed=response.describe())
    if "instance_usable" in body:
        check.info("DEP-009A", f"instance_usable = {body['instance_usable']!r}")


def _async_deprovision(platform: Platform, instance: Instance, first: BrokerResponse,
                       check: CheckRecorder) -> None:
    problem = operation_problem(first.body_object())
    check("DEP-002", problem is None,
          expected="operation absent, null or a string of at most 10,000 characters",
          observed=problem or first.describe())
    again = platform.deprovision(instance.plan, instance.id)
    if again.status == 410 and ended_meanwhile(platform, instance.plan, instance.id,
                                               operation_of(first)):
        check.info("DEP-002", f"the delete ended before the resend: {again.describe()}")
        return
    check("DEP-002", again.status == 202 and operation_of(again) == operation_of(first),
          expected=f"a re-sent DELETE in progress answers 202 with the same operation "
                   f"{operation_of(first)!r}", observed=again.describe())
    result = platform.poll_instance(instance.plan, instance.id, operation_of(first),
                                    deleting=True)
    check("DEP-002", result.succeeded, expected="the delete ends 'succeeded' or 410 Gone",
          observed=result.last.describe() if result.last else "no answer")
    platform.ledger.mark_instance_deleted(instance.id)


@requirement("DEP-004")
def test_deprovision_of_unknown_instance_is_410(
    plan: Plan, platform: Platform, check: CheckRecorder
) -> None:
    response = platform.deprovision(plan, new_id())
    check("DEP-004", response.status == 410, expected="410 Gone", observed=response.describe())


@requirement("DEP-001", "DEP-006", "DEP-007A", "DEP-007B")
def test_deprovision_during_async_provision(
    plan: Plan, platform: Platform, check: CheckRecorder
) -> None:
    needs_asynchronous(platform, plan, "provision")
    instance_id, provision = platform.provision(plan, accepts_incomplete=True)
    needs_accepted(plan, provision, "provisions")
    response = platform.deprovision(plan, instance_id)
    if response.status not in (200, 202):
        _deprovision_refused(platform, plan, instance_id, provision, response, check)
        return
    if response.status == 200:
        polled = platform.client.instance_last_operation(
            instance_id, plan.service.id, plan.id, operation_of(provision))
        check("DEP-007B", polled.status == 200 and polled.body_object().get("state") == "failed",
              expected="after a synchronous delete, last_operation reports the provision "
                       "'failed'", observed=polled.describe())
    else:
        result = platform.poll_instance(plan, instance_id, operation_of(response), deleting=True)
        check("DEP-007B", result.succeeded,
              expected="last_operation reports the delete's state and it ends 'succeeded' "
                       "or 410", observed=result.last.describe() if result.last else "none")
    platform.track(plan, instance_id)  # the broker said deleted; cleanup checks it is
    instance_absent(platform, plan, instance_id, check, "DEP-007A")


def _deprovision_refused(
    platform: Platform, plan: Plan, instance_id: str, provision: BrokerResponse,
    response: BrokerResponse, check: CheckRecorder,
) -> None:
    """A DELETE during provisioning not answered 200 or 202."""
    judge_delete_refused_while_creating(
        check, response, ("DEP-001", "DEP-006", "DEP-007A", "DEP-007B"),
        request="DELETE", deleting="deleting", creation="provisioning")
    # let provisioning end, polled with its operation, before cleanup deletes it
    platform.poll_instance(plan, instance_id, operation_of(provision))
