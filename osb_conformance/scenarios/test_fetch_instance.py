"""Fetching a service instance (spec #fetching-a-service-instance)."""

from __future__ import annotations

from typing import Any

import pytest

from osb_conformance.catalog import Plan
from osb_conformance.checks import CheckRecorder
from osb_conformance.expectations import not_applicable
from osb_conformance.platform import Platform, new_id
from osb_conformance.response_shapes import dashboard_url_problem, metadata_problem

requirement = pytest.mark.requirement


def needs_instances_retrievable(plan: Plan) -> None:
    if not plan.service.instances_retrievable:
        not_applicable(f"{plan.service.name} does not declare instances_retrievable")


def fetched_instance_problems(body: dict[str, Any]) -> list[str]:
    """Type rules of a fetched instance's fields (GETI-006A)."""
    problems = []
    for field in ("service_id", "plan_id"):
        if field in body and not isinstance(body[field], str):
            problems.append(f"{field} = {body[field]!r:.60} is not a string")
    problem = dashboard_url_problem(body)
    if problem:
        problems.append(problem)
    if "parameters" in body and not isinstance(body["parameters"], dict):
        problems.append(f"parameters = {body['parameters']!r:.60} is not an object")
    if "maintenance_info" in body:
        info = body["maintenance_info"]
        if not isinstance(info, dict) or not isinstance(info.get("version"), str):
            problems.append(f"maintenance_info = {info!r:.60} is not an object with a version")
    problem = metadata_problem(body)
    if problem:
        problems.append(problem)
    return problems


@requirement("GETI-001", "GETI-003", "GETI-006A", "GETI-006B", "GETI-007", "GETI-008",
             "PROV-004", "META-001")
def test_fetch_provisioned_instance(plan: Plan, platform: Platform, check: CheckRecorder) -> None:
    needs_instances_retrievable(plan)
    instance = platform.ready_instance(plan)
    client = platform.client
    fetched = client.fetch_instance(instance.id, plan.service.id, plan.id)
    check("GETI-001", fetched.status == 200, expected="200 OK for a provisioned instance",
          observed=fetched.describe())
    body = fetched.json_object()
    problems = fetched_instance_problems(body)
    check("GETI-006A", not problems, expected="fields of their declared types",
          observed="; ".join(problems) or fetched.describe())
    problem = metadata_problem(body)
    check("META-001", problem is None, expected="metadata labels/attributes are objects",
          observed=problem or fetched.describe())
    wrong = {f: body[f] for f, want in (("service_id", plan.service.id), ("plan_id", plan.id))
             if f in body and body[f] != want}
    check("GETI-006B", not wrong, expected=f"service_id {plan.service.id}, plan_id {plan.id}",
          observed=f"differs: {wrong}" if wrong else fetched.describe())
    check.info("GETI-007", "parameters returned" if "parameters" in body
               else "no parameters in the fetched instance")
    url = body.get("dashboard_url")
    check("PROV-004", url is None or instance.response.body_object().get("dashboard_url")
          is not None, expected="a dashboard_url the instance has is already in the "
          "provision answer", observed=f"fetched {url!r}; provision answered "
          f"{instance.response.describe()}")
    plain = client.fetch_instance(instance.id)
    check("GETI-008", plain.status == fetched.status and plain.body_object() == body,
          expected="the same answer without the service_id/plan_id hints",
          observed=f"with hints {fetched.describe()}; without {plain.describe()}")
    unknown = client.fetch_instance(new_id(), plan.service.id, plan.id)
    check("GETI-003", unknown.status == 404, expected="404 Not Found for an unknown id",
          observed=unknown.describe())
