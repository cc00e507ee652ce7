"""Deprovisioning (spec #deprovisioning)."""

from __future__ import annotations

import pytest

from osb_conformance.catalog import Plan
from osb_conformance.checks import CheckRecorder
from osb_conformance.expectations import is_json_object
from osb_conformance.platform import Platform, new_id, operation_of

requirement = pytest.mark.requirement


@requirement("DEP-001", "DEP-002", "DEP-004")
def test_deprovision_then_again_is_410(
    plan: Plan, platform: Platform, check: CheckRecorder
) -> None:
    instance = platform.provision_ready(plan)
    response = platform.deprovision(plan, instance.id)
    if response.status == 202:
        result = platform.poll_instance(plan, instance.id, operation_of(response), deleting=True)
        check("DEP-002", result.succeeded,
              expected="the delete ends 'succeeded' or 410 Gone",
              observed=result.last.describe() if result.last else "no answer")
    else:
        check("DEP-001", response.status == 200 and is_json_object(response),
              expected="200 OK with a JSON object (or 202 for an async delete)",
              observed=response.describe())
    again = platform.deprovision(plan, instance.id)
    check("DEP-004", again.status == 410, expected="410 Gone: the instance no longer exists",
          observed=again.describe())


@requirement("DEP-004")
def test_deprovision_of_unknown_instance_is_410(
    plan: Plan, platform: Platform, check: CheckRecorder
) -> None:
    response = platform.deprovision(plan, new_id())
    check("DEP-004", response.status == 410, expected="410 Gone", observed=response.describe())
