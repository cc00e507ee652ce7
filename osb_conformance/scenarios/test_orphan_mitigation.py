"""Orphan mitigation (spec #orphan-mitigation): the broker's side of it.

The platform deletes what it cannot be sure was created (see ``orphan_mitigation.py``);
a compliant broker gives no occasion for it, so these checks are N/A unless the broker
answered a provision or bind with a 5xx, a malformed 201/202, another 2xx or a timeout,
or an asynchronous operation ended 'failed'.
"""

from __future__ import annotations

import pytest

from osb_conformance.catalog import Plan
from osb_conformance.checks import CheckRecorder
from osb_conformance.errors import BrokerError
from osb_conformance.expectations import not_applicable
from osb_conformance.orphan_mitigation import Mitigation
from osb_conformance.platform import Platform

requirement = pytest.mark.requirement
pytestmark = pytest.mark.provisions  # scheduled early: see concurrency.py


def acceptable(mitigation: Mitigation) -> bool:
    """200, 202 or 410 (or 422 while the original operation still runs), never a 5xx."""
    return all(a.status in (200, 202, 410) or a.status == 422 and a.error_code
               == "ConcurrencyError" for a in mitigation.answers) and not mitigation.problems


@requirement("OM-001B", "OM-002B", "OM-003B")
def test_orphan_mitigation_deletes_are_answered(
    plan: Plan, platform: Platform, check: CheckRecorder
) -> None:
    try:
        instance = platform.provision_ready(plan)
        if plan.bindable:
            platform.bind_ready(instance)
    except BrokerError:
        pass  # a failed provision or bind is what gives occasion for orphan mitigation
    if not platform.orphan_mitigations:
        not_applicable("the broker gave no occasion for orphan mitigation")
    for mitigation in platform.orphan_mitigations:
        if mitigation.resource.kind == "binding":
            rule = "OM-002B"
        elif "last_operation" in mitigation.reason:
            rule = "OM-003B"
        else:
            rule = "OM-001B"
        check(rule, acceptable(mitigation),
              expected="the orphan-mitigation DELETE answered 200, 202 or 410, not a 5xx",
              observed=mitigation.describe())
