"""Updating a service instance (spec #updating-a-service-instance)."""

from __future__ import annotations

from typing import Any

import pytest

from osb_conformance import update_requests
from osb_conformance.catalog import Plan
from osb_conformance.checks import CheckRecorder
from osb_conformance.client import BrokerResponse
from osb_conformance.error_checks import ERROR_BODY_REQUIREMENTS, check_error_body
from osb_conformance.expectations import instance_absent, is_json_object, not_applicable
from osb_conformance.platform import Instance, Platform, PreconditionFailed, new_id, operation_of
from osb_conformance.response_checks import ended_meanwhile
from osb_conformance.response_shapes import dashboard_url_problem, metadata_problem
from osb_conformance.update_requests import (
    acceptable_update,
    no_acceptable_update,
    sample_parameters,
)

requirement = pytest.mark.requirement
CONFLICTING_VERSION = "0.0.0-osbc.conflict"
UPDATE_ANSWER_IDS = ("UPD-015", "META-001")


def provision_with(platform: Platform, plan: Plan, parameters: dict[str, Any] | None,
                   ) -> Instance:
    """An instance of the test's own (one an earlier test left as provisioned, or new)."""
    if parameters is None:
        return platform.instance_to_change(plan)
    return platform.instance_to_change(plan, parameters=parameters)


def update_body(platform: Platform, instance: Instance, **fields: Any) -> dict[str, Any]:
    return update_requests.update_body(platform, instance.plan, **fields)


def fetch(platform: Platform, instance: Instance) -> dict[str, Any] | None:
    """The fetched instance (with instances_retrievable), else None."""
    plan = instance.plan
    if not plan.service.instances_retrievable:
        return None
    response = platform.client.fetch_instance(instance.id, plan.service.id, plan.id)
    return response.body_object() if response.status == 200 else None


def check_update_answer(check: CheckRecorder, response: BrokerResponse) -> None:
    body = response.body_object()
    problem = dashboard_url_problem(body)
    check("UPD-015", problem is None, expected="dashboard_url absent, null or a string",
          observed=problem or response.describe())
    problem = metadata_problem(body)
    check("META-001", problem is None, expected="metadata labels/attributes are objects",
          observed=problem or response.describe())


def wait_for_update(platform: Platform, instance: Instance, response: BrokerResponse) -> None:
    result = platform.poll_instance(instance.plan, instance.id, operation_of(response))
    if result.state != "succeeded":
        raise PreconditionFailed(f"the update of a {instance.plan.label} instance did not "
                                 f"succeed: {result.last.describe() if result.last else ''}")


@requirement("UPD-005", "UPD-008", "UPD-011", "UPD-016", *ERROR_BODY_REQUIREMENTS)
@pytest.mark.adopts
def test_refused_updates_change_nothing(
    plan: Plan, platform: Platform, check: CheckRecorder
) -> None:
    """Before test_update_keeps_plan_and_parameters (in this order in the module): an
    instance that only got refused updates serves it as provisioned."""
    parameters = sample_parameters(platform, plan)
    instance = provision_with(platform, plan, parameters)
    before = fetch(platform, instance)
    change: dict[str, Any] = {"parameters": {}} if parameters else {}
    if plan.plan_updateable and plan.other_plans():
        change["plan_id"] = plan.other_plans()[0].id  # a plan change only where allowed
    without_service_id = {k: v for k, v in update_body(platform, instance, **change).items()
                          if k != "service_id"}
    refusals = [("UPD-005", "a body without service_id", 400,
                 platform.update(instance, without_service_id)),
                ("UPD-005", "an unparseable body", 400,
                 platform.update(instance, None, content=b'{"service_id": '))]
    if plan.maintenance_info:
        conflicting = update_body(platform, instance, **change,
                                  maintenance_info={"version": CONFLICTING_VERSION})
        refusals.append(("UPD-008", "another maintenance_info.version", 422,
                         platform.update(instance, conflicting)))
    for rule, what, status, response in refusals:
        code_ok = status != 422 or response.error_code == "MaintenanceInfoConflict"
        check(rule, response.status == status and code_ok,
              expected=f"{status}{' MaintenanceInfoConflict' if status == 422 else ''} "
                       f"for {what}", observed=response.describe())
        check_error_body(check, response)
        flags = {k: v for k, v in response.body_object().items()
                 if k in ("instance_usable", "update_repeatable")}
        check.info("UPD-016", f"{what}: error flags {flags or 'none'}")
        after = fetch(platform, instance)
        if before is not None and after is not None:
            check("UPD-011", after == before,
                  expected=f"the instance unchanged after the refused update ({what})",
                  observed=f"before {before!r:.200}; after {after!r:.200}")


@requirement("UPD-001", "UPD-002", "UPD-003", "UPD-004", "UPD-007", "UPD-009", "UPD-010",
             "UPD-014A", "UPD-018", "GETI-005", "ASY-001", *UPDATE_ANSWER_IDS)
@pytest.mark.adopts
def test_update_keeps_plan_and_parameters(
    plan: Plan, platform: Platform, check: CheckRecorder
) -> None:
    change = acceptable_update(platform, plan)
    if change is None:  # a context-only update could rightly be refused (UPD-014B)
        not_applicable(no_acceptable_update(plan))
    service = plan.service
    provisioned = sample_parameters(platform, plan) if "parameters" in change.fields else None
    instance = provision_with(platform, plan, provisioned)
    parameters = change.fields.get("parameters")  # what the instance has after the update
    body = update_body(platform, instance, **change.fields)
    response = _first_update(platform, instance, body, check)
    if response.status == 202:
        _while_updating(platform, instance, body, response, check)
    else:
        check("UPD-001", response.status == 200 and is_json_object(response),
              expected="200 OK with a JSON object for an applied update (or 202)",
              observed=response.describe())
        check.info("UPD-002", f"an update repeating the instance's values: "
                              f"{response.describe()}")
    check_update_answer(check, response)
    _check_unchanged(platform, instance, parameters, check)
    if service.allow_context_updates:
        renamed = platform.context(instance_name="osbc-renamed")
        _update_without_plan_or_parameters(
            platform, instance, parameters, check, "UPD-014A", context=renamed)
    if plan.maintenance_info and isinstance(plan.maintenance_info.get("version"), str):
        _update_without_plan_or_parameters(
            platform, instance, parameters, check, "UPD-018",
            maintenance_info={"version": plan.maintenance_info["version"]})


def _first_update(platform: Platform, instance: Instance, body: dict[str, Any],
                  check: CheckRecorder) -> BrokerResponse:
    """Without accepts_incomplete first: a sync answer, or 422 AsyncRequired then 202.
    A 422 is about AsyncRequired only if the same update with the flag is accepted."""
    response = platform.update(instance, body, accepts_incomplete=None)
    check("ASY-001", response.status != 202,
          expected="no 202 without accepts_incomplete=true", observed=response.describe())
    if response.status != 422 or response.error_code == "ConcurrencyError":
        return response
    flagged = platform.update(instance, body, accepts_incomplete=True)
    if response.error_code != "AsyncRequired" and not 200 <= flagged.status < 300:
        if flagged.status == 422:
            not_applicable(f"the broker refuses this update with and without "
                           f"accepts_incomplete=true, so not for AsyncRequired: "
                           f"{flagged.describe()}")
        return flagged  # judged as the update's answer
    check("UPD-007", response.error_code == "AsyncRequired",
          expected='422 with "error": "AsyncRequired" without accepts_incomplete=true, for '
                   'an update the broker accepts with accepts_incomplete=true',
          observed=f"without the flag: {response.describe()}; "
                   f"with accepts_incomplete=true: {flagged.describe()}")
    return flagged


def _while_updating(platform: Platform, instance: Instance, body: dict[str, Any],
                    first: BrokerResponse, check: CheckRecorder) -> None:
    answer = first.body_object()
    operation = answer.get("operation")
    check("UPD-003", "operation" not in answer or (isinstance(operation, str) and operation != ""),
          expected="202 with any operation a non-empty string (null is not a string)",
          observed=first.describe())
    again = platform.update(instance, body, accepts_incomplete=True)
    plan = instance.plan
    if again.status != 202 and ended_meanwhile(platform, plan, instance.id,
                                               operation_of(first)):
        check.info("UPD-004", f"the update ended before the resend: {again.describe()}")
        return
    check("UPD-004", again.status == 202 and operation_of(again) == operation_of(first),
          expected=f"a re-sent identical update in progress answers 202 with the same "
                   f"operation {operation_of(first)!r}", observed=again.describe())
    if plan.service.instances_retrievable:
        fetched = platform.client.fetch_instance(instance.id, plan.service.id, plan.id)
        if fetched.status == 200 and ended_meanwhile(platform, plan, instance.id,
                                                     operation_of(first)):
            wait_for_update(platform, instance, first)
            return  # the update ended before the fetch: 200 is right
        check("GETI-005", fetched.status == 422 and fetched.error_code == "ConcurrencyError",
              expected="422 ConcurrencyError from GET while the update is in progress",
              observed=fetched.describe())
    wait_for_update(platform, instance, first)


def _update_without_plan_or_parameters(
    platform: Platform, instance: Instance, parameters: dict[str, Any] | None,
    check: CheckRecorder, rule: str, **fields: Any,
) -> None:
    body = update_body(platform, instance, **fields)
    response = platform.update(instance, body)
    check(rule, response.status in (200, 202),
          expected=f"the update ({', '.join(fields)}) accepted with 200 or 202",
          observed=response.describe())
    if response.status == 202:
        wait_for_update(platform, instance, response)
    _check_unchanged(platform, instance, parameters, check)


def _check_unchanged(platform: Platform, instance: Instance,
                     parameters: dict[str, Any] | None, check: CheckRecorder) -> None:
    """No plan_id and no parameters in the update: the fetched instance kept both."""
    fetched = fetch(platform, instance)
    if fetched is None:
        return
    if "plan_id" in fetched:
        check("UPD-009", fetched["plan_id"] == instance.plan.id,
              expected=f"plan_id still {instance.plan.id} after an update without plan_id",
              observed=f"plan_id {fetched['plan_id']!r}")
    if parameters and "parameters" in fetched:
        kept = fetched["parameters"]
        check("UPD-010", isinstance(kept, dict) and all(
                  kept.get(k) == v for k, v in parameters.items()),
              expected=f"parameters still {parameters} after an update without parameters",
              observed=f"parameters {fetched['parameters']!r:.200}")


@requirement("UPD-017")
def test_update_of_unknown_instance_is_4xx(
    plan: Plan, platform: Platform, check: CheckRecorder
) -> None:
    phantom = Instance(new_id(), plan, False, None, {})  # type: ignore[arg-type]
    platform.track(plan, phantom.id)  # deleted afterwards should the PATCH create it
    response = platform.update(phantom, update_body(platform, phantom))
    check("UPD-017", 400 <= response.status < 500,
          expected="a 4xx for an update of an instance that was never provisioned",
          observed=response.describe())
    instance_absent(platform, plan, phantom.id, check, "UPD-017")


@requirement("UPD-013", "UPD-006A", "UPD-006B", "GETI-006B")
@pytest.mark.adopts
def test_plan_change(plan: Plan, platform: Platform, check: CheckRecorder) -> None:
    if not plan.plan_updateable or not plan.other_plans():
        not_applicable(f"{plan.label} is not plan_updateable or has no other plan")
    target = plan.other_plans()[0]
    instance = platform.instance_to_change(plan)
    response = platform.update(instance, update_body(platform, instance, plan_id=target.id))
    if 400 <= response.status < 500:
        check("UPD-006A", response.status == 422,
              expected="422 for a plan change the broker does not support",
              observed=response.describe())
    else:
        check.not_applicable("UPD-006A", f"the broker did not refuse the plan change to "
                                         f"{target.name}: {response.describe()}")
    if response.status != 422:
        check.not_applicable("UPD-006B", "the broker did not refuse the plan change with 422")
    check("UPD-013", response.status in (200, 202, 422),
          expected=f"200, 202 or 422 for a change to plan {target.name}",
          observed=response.describe())
    if response.status == 422:
        description = response.body_object().get("description")
        check("UPD-006B", isinstance(description, str) and description.strip() != "",
              expected="the refused plan change explains why in description",
              observed=response.describe())
        return
    if response.status == 202:
        wait_for_update(platform, instance, response)
    moved = platform.follow_plan(instance, target)
    fetched = fetch(platform, moved)
    if fetched is not None and "plan_id" in fetched:
        check("GETI-006B", fetched["plan_id"] == target.id,
              expected=f"the fetched instance names the new plan {target.id}",
              observed=f"plan_id {fetched['plan_id']!r}")
