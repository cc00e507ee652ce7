"""Provisioning (spec #provisioning) and the async rules it follows
(#synchronous-and-asynchronous-operations, #polling-last-operation-for-service-instances)."""

from __future__ import annotations

from typing import Any

import pytest

from osb_conformance.catalog import Catalog, Plan
from osb_conformance.checks import CheckRecorder
from osb_conformance.client import BrokerResponse
from osb_conformance.error_checks import ERROR_BODY_REQUIREMENTS, check_error_body
from osb_conformance.expectations import (
    STATES,
    conflicting_provision_body,
    gone_while_creating,
    instance_absent,
    instance_exists,
    is_json_object,
    needs_asynchronous,
    not_applicable,
)
from osb_conformance.parameter_samples import invalid_sample
from osb_conformance.platform import Platform, PreconditionFailed, new_id, operation_of
from osb_conformance.response_checks import (
    ASYNC_ANSWER_IDS,
    PROVISION_ANSWER_IDS,
    check_provision_answer,
    ended_meanwhile,
    judge_fetch_while_creating,
)

requirement = pytest.mark.requirement
pytestmark = pytest.mark.provisions  # scheduled early: see concurrency.py
CONFLICTING_VERSION = "0.0.0-osbc.conflict"


@requirement("PROV-001", "PROV-014", "PROV-016B", "PROV-021", "ASY-001", "PROV-017",
             *PROVISION_ANSWER_IDS)
def test_sync_provision_then_identical_resend(
    plan: Plan, platform: Platform, check: CheckRecorder
) -> None:
    """Without accepts_incomplete; also judged as such (test_provision_without_...
    sends it false)."""
    body = platform.provision_body(plan)
    instance_id, first = platform.provision(plan, body, accepts_incomplete=None)
    _judge_without_accepts_incomplete(check, first)
    if first.status == 422 and first.error_code != "ConcurrencyError":
        # The plan needs accepts_incomplete=true; whether the 422 says so correctly is
        # PROV-017's finding (one root cause, one failure), not a PROV-001 "expected 201".
        not_applicable(f"{plan.label} refuses a synchronous provision ({first.describe()}); "
                       "test_identical_resend_after_async_provision checks the resend")
    check("PROV-001", first.status == 201 and is_json_object(first),
          expected="201 Created with a JSON object", observed=first.describe())
    check_provision_answer(check, first)
    instance_exists(platform, plan, instance_id, check, "PROV-021")
    _, again = platform.provision(plan, body, instance_id=instance_id, accepts_incomplete=None)
    check("PROV-016B", again.status != 201,
          expected="no 201 for an identical resend (it creates nothing)",
          observed=again.describe())
    check("PROV-014", again.status == 200, expected="200 OK for an identical resend",
          observed=again.describe())


@requirement("PROV-014", "PROV-016B")
def test_identical_resend_after_async_provision(
    plan: Plan, platform: Platform, check: CheckRecorder
) -> None:
    """Once an asynchronous provision succeeded, an identical resend creates nothing and
    finds nothing in progress: 200 as for a synchronous plan, neither 201 nor 202."""
    needs_asynchronous(platform, plan, "provision")
    instance = platform.provision_ready(plan)
    if not instance.asynchronous:
        not_applicable(f"{plan.label} provisions synchronously: "
                       "test_sync_provision_then_identical_resend checks the resend")
    _, again = platform.provision(plan, instance.body, instance_id=instance.id)
    if again.status == 202:  # let whatever it started end before cleanup deletes it
        platform.poll_instance(plan, instance.id, operation_of(again))
    check("PROV-016B", again.status != 201,
          expected="no 201 for an identical resend after provisioning succeeded (it creates "
                   "nothing)", observed=again.describe())
    check("PROV-014", again.status == 200,
          expected="200 OK for an identical resend after provisioning succeeded (202 would "
                   "say provisioning is in progress; it has ended)", observed=again.describe())


@requirement("ASY-001", "PROV-017")
def test_provision_with_accepts_incomplete_false_is_never_202(
    plan: Plan, platform: Platform, check: CheckRecorder
) -> None:
    """accepts_incomplete=false; without it: test_sync_provision_then_identical_resend."""
    _, response = platform.provision(plan, accepts_incomplete=False)
    _judge_without_accepts_incomplete(check, response)


def _judge_without_accepts_incomplete(check: CheckRecorder, response: BrokerResponse) -> None:
    check("ASY-001", response.status != 202,
          expected="a synchronous answer or 422 AsyncRequired, never 202",
          observed=response.describe())
    if response.status == 422 and response.error_code != "ConcurrencyError":
        check("PROV-017", response.error_code == "AsyncRequired",
              expected='422 with "error": "AsyncRequired" (exact, case-sensitive)',
              observed=response.describe())


@requirement("PROV-002", "PROV-021", "LOI-001", "LOI-007B", "PROV-013", "PROV-015",
             "PROV-016A", "PROV-004", "GETI-002", "GETI-004", *PROVISION_ANSWER_IDS,
             *ASYNC_ANSWER_IDS)
def test_async_provision_polls_to_succeeded(
    plan: Plan, platform: Platform, check: CheckRecorder
) -> None:
    body = platform.provision_body(plan)
    instance_id, response = platform.provision(plan, body, accepts_incomplete=True)
    if response.status in (200, 201):
        instance_exists(platform, plan, instance_id, check, "PROV-021")
        not_applicable(f"{plan.label} provisions synchronously")
    check("PROV-002", response.status == 202, expected="202 Accepted",
          observed=response.describe())
    check_provision_answer(check, response)
    _while_provisioning(plan, platform, check, instance_id, body, response)
    result = platform.poll_instance(plan, instance_id, operation_of(response))
    for answer in result.settled_answers:  # a transient error polled past is no violation
        if answer.status == 410:
            gone_while_creating(check, "provision", answer)
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
    if plan.service.instances_retrievable:
        _fetch_after_provision(platform, plan, instance_id, response, check)
    else:
        instance_exists(platform, plan, instance_id, check, "PROV-021")


def _while_provisioning(
    plan: Plan, platform: Platform, check: CheckRecorder, instance_id: str,
    body: dict[str, Any], first: BrokerResponse,
) -> None:
    """What the broker must answer while the provision is still in progress: the cheapest
    observation first, so that it is made while the operation surely runs."""
    if plan.service.instances_retrievable:
        judge_fetch_while_creating(
            check, "GETI-004",
            platform.client.fetch_instance(instance_id, plan.service.id, plan.id),
            lambda: ended_meanwhile(platform, plan, instance_id, operation_of(first)),
            creation="provisioning", in_progress="provisioning is in progress")
    _, again = platform.provision(plan, body, instance_id=instance_id, accepts_incomplete=True)
    if again.status != 202 and ended_meanwhile(platform, plan, instance_id, operation_of(first)):
        for requirement_id in ("PROV-015", "PROV-016A"):
            check.not_exercised(requirement_id, f"provisioning ended before the resend "
                                f"({again.describe()})")
    else:
        check("PROV-016A", again.status != 200,
              expected="no 200 OK before the instance is fully provisioned",
              observed=again.describe())
        check("PROV-015", again.status == 202 and operation_of(again) == operation_of(first),
              expected=f"202 with the same operation {operation_of(first)!r} for an "
                       f"identical resend in progress", observed=again.describe())
    other = conflicting_provision_body(platform, plan, body)
    if other is not None:
        _, conflict = platform.provision(plan, other, instance_id=instance_id)
        check("PROV-013", conflict.status == 409,
              expected="409 Conflict for the same id with other attributes while "
                       "provisioning is in progress", observed=conflict.describe())


def _fetch_after_provision(
    platform: Platform, plan: Plan, instance_id: str, first: BrokerResponse,
    check: CheckRecorder,
) -> None:
    fetched = platform.client.fetch_instance(instance_id, plan.service.id, plan.id)
    for requirement_id in ("GETI-002", "PROV-021"):
        check(requirement_id, fetched.status == 200,
              expected="200 OK from GET once last_operation said 'succeeded'",
              observed=fetched.describe())
    url = fetched.body_object().get("dashboard_url")
    check("PROV-004", url is None or first.body_object().get("dashboard_url") is not None,
          expected="a dashboard_url the instance has is already in the initial 202",
          observed=f"fetched dashboard_url {url!r}; initial answer {first.describe()}")


@requirement("PROV-007", "PROV-008", "PROV-009", "ERR-007", *ERROR_BODY_REQUIREMENTS)
@pytest.mark.parametrize("field", ["service_id", "plan_id", "organization_guid", "space_guid"])
def test_provision_missing_field_is_400_and_creates_nothing(
    plan: Plan, platform: Platform, check: CheckRecorder, field: str
) -> None:
    body = platform.provision_body(plan)
    del body[field]
    instance_id, response = platform.provision(plan, body)
    rule = {"service_id": "PROV-007", "plan_id": "PROV-008"}.get(field, "PROV-009")
    check(rule, response.status == 400,
          expected=f"400 Bad Request for a body without {field}", observed=response.describe())
    check_error_body(check, response)
    instance_absent(platform, plan, instance_id, check, "ERR-007")


@requirement("PROV-010", "ERR-007", *ERROR_BODY_REQUIREMENTS)
def test_malformed_provision_is_400_and_creates_nothing(
    plan: Plan, platform: Platform, check: CheckRecorder
) -> None:
    good = platform.provision_body(plan)
    malformed: dict[str, dict[str, Any]] = {
        "unparseable JSON": {"content": b'{"service_id": '},
        "an empty body": {"content": b""},
        "a numeric service_id": {"body": {**good, "service_id": 42}},
        "a plan_id that is an object": {"body": {**good, "plan_id": {"id": plan.id}}},
    }
    for what, request in malformed.items():
        instance_id, response = platform.provision(plan, request.get("body"), **(
            {"content": request["content"]} if "content" in request else {}))
        check("PROV-010", response.status == 400,
              expected=f"400 Bad Request for {what}", observed=response.describe())
        check_error_body(check, response)
        instance_absent(platform, plan, instance_id, check, "ERR-007")


def _unknown_id_bodies(
    platform: Platform, plan: Plan, catalog: Catalog
) -> dict[str, dict[str, Any]]:
    body = platform.provision_body(plan)
    bodies = {"an unknown service_id": {**body, "service_id": new_id()},
              "an unknown plan_id": {**body, "plan_id": new_id()}}
    foreign = [p for p in catalog.plans if p.service.id != plan.service.id]
    if foreign:
        bodies["a plan of another offering"] = {**body, "plan_id": foreign[0].id}
    return bodies


@requirement("PROV-011A", "PROV-011B", "ERR-007")
def test_provision_with_unknown_ids_is_refused(
    plan: Plan, platform: Platform, check: CheckRecorder, osb_catalog: Catalog
) -> None:
    for what, body in _unknown_id_bodies(platform, plan, osb_catalog).items():
        instance_id, response = platform.provision(plan, body)
        check.info("PROV-011A", f"{what}: {response.describe()}")
        check("PROV-011B", not 200 <= response.status < 300,
              expected=f"no 2xx for a provision naming {what}", observed=response.describe())
        if 400 <= response.status < 500:
            instance_absent(platform, plan, instance_id, check, "ERR-007")


@requirement("PROV-012")
def test_provision_with_other_attributes_is_409(
    plan: Plan, platform: Platform, check: CheckRecorder
) -> None:
    instance = platform.ready_instance(plan)
    other = conflicting_provision_body(platform, plan, instance.body)
    if other is None:
        not_applicable(f"{plan.label}: no other plan, and its schema may reject other parameters")
    _, response = platform.provision(plan, other, instance_id=instance.id)
    check("PROV-012", response.status == 409,
          expected="409 Conflict for the same id with other attributes",
          observed=response.describe())


@requirement("PROV-018", "PROV-019B", "ERR-007", *ERROR_BODY_REQUIREMENTS)
def test_provision_maintenance_info(
    plan: Plan, platform: Platform, check: CheckRecorder
) -> None:
    offered = plan.maintenance_info
    if offered is None or not isinstance(offered.get("version"), str):
        not_applicable(f"{plan.label} declares no maintenance_info")
    wrong = platform.provision_body(plan, maintenance_info={"version": CONFLICTING_VERSION})
    instance_id, conflict = platform.provision(plan, wrong)
    check("PROV-018", conflict.status == 422 and conflict.error_code == "MaintenanceInfoConflict",
          expected="422 MaintenanceInfoConflict for another maintenance_info.version",
          observed=conflict.describe())
    check_error_body(check, conflict)
    instance_absent(platform, plan, instance_id, check, "ERR-007")
    current = platform.provision_body(plan, maintenance_info={"version": offered["version"]})
    accepted_id, accepted = platform.provision(plan, current)
    if accepted.status == 202:  # let it end before cleanup deletes it
        platform.poll_instance(plan, accepted_id, operation_of(accepted))
    check("PROV-019B", accepted.status in (200, 201, 202),
          expected="the plan's current maintenance_info.version is accepted (201 or 202)",
          observed=accepted.describe())


@requirement("PROV-020", "ERR-007")
def test_provision_with_parameters_violating_the_schema_is_refused(
    plan: Plan, platform: Platform, check: CheckRecorder
) -> None:
    parameters = invalid_sample(plan.schema("service_instance", "create"))
    if parameters is None:
        not_applicable(f"{plan.label}: no create schema that a simple value violates")
    instance_id, response = platform.provision(
        plan, platform.provision_body(plan, parameters=parameters))
    check("PROV-020", not 200 <= response.status < 300,
          expected=f"parameters {parameters} violate the plan's schema: refused, not 2xx",
          observed=response.describe())
    if 400 <= response.status < 500:
        instance_absent(platform, plan, instance_id, check, "ERR-007")
