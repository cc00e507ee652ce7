"""What a run covers: the selected plans and the requirement IDs a test names."""

from __future__ import annotations

import pytest

from .catalog import Catalog, Plan
from .settings import RunConfig


def requirement_ids(item: pytest.Item) -> set[str]:
    """The requirement IDs the test's ``requirement`` markers name."""
    return {rid for mark in item.iter_markers("requirement") for rid in mark.args}


def selected_plans(catalog: Catalog, chosen: RunConfig) -> list[Plan]:
    """The catalog's plans that the include/skip lists of services and plans keep."""
    plans = []
    for plan in catalog.plans:
        service_keys = {plan.service.id, plan.service.name}
        plan_keys = {plan.id, plan.label, plan.name}
        if chosen.include_services and not service_keys & set(chosen.include_services):
            continue
        if service_keys & set(chosen.skip_services):
            continue
        if chosen.include_plans and not plan_keys & set(chosen.include_plans):
            continue
        if plan_keys & set(chosen.skip_plans):
            continue
        plans.append(plan)
    return plans
