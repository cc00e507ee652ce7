"""Binding and unbinding (spec #binding, #unbinding)."""

from __future__ import annotations

import pytest

from osb_conformance.catalog import Plan
from osb_conformance.checks import CheckRecorder
from osb_conformance.expectations import (
    async_required,
    is_json_object,
    needs_bindable,
    not_applicable,
)
from osb_conformance.platform import Platform, new_id

requirement = pytest.mark.requirement


@requirement("BND-001", "BND-005", "UNB-001", "UNB-004")
def test_sync_bind_resend_unbind_and_unbind_again(
    plan: Plan, platform: Platform, check: CheckRecorder
) -> None:
    needs_bindable(plan)
    instance = platform.provision_ready(plan)
    body = platform.bind_body(plan)
    binding_id, first = platform.bind(instance, body, accepts_incomplete=None)
    if async_required(first):
        not_applicable(f"{plan.label} binds asynchronously only")
    check("BND-001", first.status == 201 and is_json_object(first),
          expected="201 Created with a JSON object", observed=first.describe())
    _, again = platform.bind(instance, body, binding_id=binding_id, accepts_incomplete=None)
    check("BND-005", again.status == 200, expected="200 OK for an identical resend",
          observed=again.describe())
    unbound = platform.unbind(instance, binding_id, accepts_incomplete=None)
    check("UNB-001", unbound.status == 200 and is_json_object(unbound),
          expected="200 OK with a JSON object", observed=unbound.describe())
    twice = platform.unbind(instance, binding_id, accepts_incomplete=None)
    check("UNB-004", twice.status == 410, expected="410 Gone: the binding no longer exists",
          observed=twice.describe())


@requirement("BND-006")
def test_bind_with_other_parameters_is_409(
    plan: Plan, platform: Platform, check: CheckRecorder
) -> None:
    needs_bindable(plan)
    instance = platform.provision_ready(plan)
    binding = platform.bind_ready(instance)
    other = {**binding.body, "bind_resource": {"app_guid": new_id()}}
    _, response = platform.bind(instance, other, binding_id=binding.id)
    check("BND-006", response.status == 409,
          expected="409 Conflict for the same binding id with other parameters",
          observed=response.describe())


@requirement("BND-018A", "BND-018B")
def test_bind_to_missing_instance_is_404(
    plan: Plan, platform: Platform, check: CheckRecorder
) -> None:
    needs_bindable(plan)
    instance_id = new_id()
    binding_id, response = platform.bind(_phantom(plan, instance_id), accepts_incomplete=True)
    check("BND-018A", not 200 <= response.status < 300,
          expected="no 2xx: there is no instance to bind to", observed=response.describe())
    check("BND-018B", response.status == 404, expected="404 Not Found",
          observed=response.describe())


def _phantom(plan: Plan, instance_id: str):  # type: ignore[no-untyped-def]
    """An instance handle for an id that was never provisioned."""
    from osb_conformance.platform import Instance

    return Instance(instance_id, plan, False, None, {})  # type: ignore[arg-type]
