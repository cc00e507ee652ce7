"""Provisioning (spec #provisioning) and the async rules it follows
(#synchronous-and-asynchronous-operations, #polling-last-operation-for-service-instances)."""

from __future__ import annotations

import pytest

from osb_conformance.catalog import Plan
from osb_conformance.checks import CheckRecorder
from osb_conformance.expectations import (
    STATES,
    async_required,
    conflicting_provision_body,
    instance_absent,
    instance_exists,
    is_json_object,
    not_applicable,
)
from osb_conformance.platform import Platform, PreconditionFailed, operation_of

requirement = pytest.mark.requirement


@requirement("PROV-001", "PROV-014", "PROV-016B", "PROV-021")
def test_sync_provision_then_identical_resend(
    plan: Plan, platform: Platform, check: CheckRecorder
) -> None:
    body = platform.provision_body(plan)
    instance_id, first = platform.provision(plan, body, accepts_incomplete=None)
    if async_required(first):
        not_applicable(f"{plan.label} provisions asynchronously only")
    check("PROV-001", first.status == 201 and is_json_object(first),
          expected="201 Created with a JSON object", observed=first.describe())
    instance_exists(platform, plan, instance_id, check, "PROV-021")
    _, again = platform.provision(plan, body, instance_id=instance_id, accepts_incomplete=None)
    check("PROV-016B", again.status != 201,
          expected="no 201 for an identical resend (it creates nothing)",
          observed=again.describe())
    check("PROV-014", again.status == 200, expected="200 OK for an identical resend",
          observed=again.describe())


@requirement("ASY-001", "PROV-017")
@pytest.mark.parametrize("flag", [None, False], ids=["no-flag", "flag-false"])
def test_provision_without_accepts_incomplete_is_never_202(
    plan: Plan, platform: Platform, check: CheckRecorder, flag: bool | None
) -> None:
    _, response = platform.provision(plan, accepts_incomplete=flag)
    check("ASY-001", response.status != 202,
          expected="a synchronous answer or 422 AsyncRequired, never 202",
          observed=response.describe())
    if response.status == 422 and response.error_code != "ConcurrencyError":
        check("PROV-017", response.error_code == "AsyncRequired",
              expected='422 with "error": "AsyncRequired" (exact, case-sensitive)',
              observed=response.describe())


@requirement("PROV-002", "PROV-021", "LOI-001", "LOI-007B")
def test_async_provision_polls_to_succeeded(
    plan: Plan, platform: Platform, check: CheckRecorder
) -> None:
    instance_id, response = platform.provision(plan, accepts_incomplete=True)
    if response.status in (200, 201):
        instance_exists(platform, plan, instance_id, check, "PROV-021")
        not_applicable(f"{plan.label} provisions synchronously")
    check("PROV-002", response.status == 202, expected="202 Accepted",
          observed=response.describe())
    result = platform.poll_instance(plan, instance_id, operation_of(response))
    for answer in result.responses:
        if answer.status == 410:
            check("LOI-007B", False, expected="no 410 Gone while polling a provision",
                  observed=answer.describe())
            continue
        state = answer.body_object().get("state")
        check("LOI-001", answer.status == 200 and state in STATES,
              expected=f"200 with state one of {STATES}", observed=answer.describe())
    check("PROV-002", result.state in ("succeeded", "failed"),
          expected="a terminal state within the polling bound",
          observed="still in progress at the bound" if result.timed_out else
          (result.last.describe() if result.last else "no answer"))
    if result.state != "succeeded":
        raise PreconditionFailed(f"asynchronous provisioning of {plan.label} failed: "
                                 f"{result.last.describe() if result.last else ''}")
    instance_exists(platform, plan, instance_id, check, "PROV-021")


@requirement("PROV-007", "PROV-008", "ERR-007")
@pytest.mark.parametrize("field", ["service_id", "plan_id"])
def test_provision_missing_id_is_400_and_creates_nothing(
    plan: Plan, platform: Platform, check: CheckRecorder, field: str
) -> None:
    body = platform.provision_body(plan)
    del body[field]
    instance_id, response = platform.provision(plan, body)
    check("PROV-007" if field == "service_id" else "PROV-008", response.status == 400,
          expected=f"400 Bad Request for a body without {field}", observed=response.describe())
    instance_absent(platform, plan, instance_id, check, "ERR-007")


@requirement("PROV-012")
def test_provision_with_other_attributes_is_409(
    plan: Plan, platform: Platform, check: CheckRecorder
) -> None:
    instance = platform.provision_ready(plan)
    other = conflicting_provision_body(platform, plan, instance.body)
    if other is None:
        not_applicable(f"{plan.label}: no other plan, and its schema may reject other parameters")
    _, response = platform.provision(plan, other, instance_id=instance.id)
    check("PROV-012", response.status == 409,
          expected="409 Conflict for the same id with other attributes",
          observed=response.describe())
