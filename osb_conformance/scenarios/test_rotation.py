"""Binding rotation (spec #binding-rotation, #request-rotating-a-service-binding), v2.17."""

from __future__ import annotations

import pytest

from osb_conformance.catalog import Plan
from osb_conformance.checks import CheckRecorder
from osb_conformance.client import BrokerResponse
from osb_conformance.expectations import (
    binding_absent,
    is_json_object,
    needs_bindable,
    not_applicable,
)
from osb_conformance.platform import Instance, Platform, PreconditionFailed, new_id, operation_of
from osb_conformance.response_shapes import binding_information, operation_problem

requirement = pytest.mark.requirement


def needs_rotatable(plan: Plan) -> None:
    needs_bindable(plan)
    if not plan.binding_rotatable:
        not_applicable(f"{plan.label} does not declare binding_rotatable")


def rotation_body(platform: Platform, instance: Instance, predecessor: str) -> dict:  # type: ignore[type-arg]
    plan = instance.plan
    return {"predecessor_binding_id": predecessor, "service_id": plan.service.id,
            "plan_id": plan.id, "context": platform.context()}


def _new_binding_answer_problem(response: BrokerResponse) -> str | None:
    """What makes ``response`` no valid answer to a bind that creates a binding (spec
    #response-7: the rotation gets the same responses as a bind)."""
    if response.status == 201:
        return None if is_json_object(response) else "201 without a JSON object body"
    if response.status != 202:
        return f"{response.status}: a new binding is answered 201 or 202"
    body = response.body_object()
    found = binding_information(body)
    if found:
        return f"202 carrying binding information {found}"
    return operation_problem(body, null_allowed=False)


@requirement("ROT-001", "ROT-002", "ROT-004")
def test_rotation_keeps_both_bindings(plan: Plan, platform: Platform, check: CheckRecorder) -> None:
    needs_rotatable(plan)
    instance = platform.ready_instance(plan)
    old = platform.bind_ready(instance)
    new_id_, response = platform.bind(instance, rotation_body(platform, instance, old.id))
    problem = _new_binding_answer_problem(response)
    check("ROT-001", problem is None,
          expected="the answers of a normal bind that creates a binding: 201 Created with a "
                   "JSON object, or 202 Accepted with any operation a string and no binding "
                   "information (the predecessor may have been bound the other way)",
          observed=problem or response.describe())
    if response.status == 202:
        result = platform.poll_binding(instance, new_id_, operation_of(response))
        if result.state != "succeeded":
            raise PreconditionFailed("the rotated binding did not succeed")
    client, service_id = platform.client, plan.service.id
    if plan.service.bindings_retrievable:
        answers = [client.fetch_binding(instance.id, b, service_id, plan.id)
                   for b in (old.id, new_id_)]
        check("ROT-002", all(a.status == 200 for a in answers),
              expected="predecessor and successor both fetchable (200)",
              observed="; ".join(a.describe() for a in answers))
        unbound = platform.unbind(instance, old.id)
        if unbound.status == 202:
            platform.poll_binding(instance, old.id, operation_of(unbound), deleting=True)
        successor = client.fetch_binding(instance.id, new_id_, service_id, plan.id)
        check("ROT-002", successor.status == 200,
              expected="the successor still valid after unbinding the predecessor",
              observed=successor.describe())
    orphan_id, refused = platform.bind(instance, rotation_body(platform, instance, new_id()))
    check("ROT-004", 400 <= refused.status < 500,
          expected="a 4xx for a rotation naming a binding that does not exist",
          observed=refused.describe())
    if 400 <= refused.status < 500:
        binding_absent(platform, plan, instance.id, orphan_id, check, "ROT-004")
