"""What a run covers: the selected plans and the requirement IDs a test names; selections
and per-plan parameters that do not fit the catalog."""

from __future__ import annotations

from typing import Any

import pytest
from jsonschema import validators

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


def selection_problems(catalog: Catalog, chosen: RunConfig) -> list[str]:
    """Names in the selection or the per-plan settings that match nothing in the catalog,
    and a selection that leaves no plan: each would silently test less than was asked."""
    services = {key for s in catalog.services for key in (s.id, s.name)}
    plans = {key for p in catalog.plans for key in (p.id, p.label, p.name)}
    problems = []
    for names, known, what in (
            (chosen.include_services, services, "services include (--osb-services)"),
            (chosen.skip_services, services, "services skip"),
            (chosen.include_plans, plans, "plans include (--osb-plans)"),
            (chosen.skip_plans, plans, "plans skip"),
            (chosen.parameters, plans, "parameters"),
            (chosen.update_parameters, plans, "update_parameters"),
            (chosen.bind_parameters, plans, "bind_parameters")):
        unknown = [name for name in names if name not in known]
        if unknown:
            problems.append(f"{what}: {', '.join(map(repr, unknown))} match(es) nothing in "
                            f"the catalog")
    selecting = (chosen.include_services, chosen.skip_services, chosen.include_plans,
                 chosen.skip_plans)
    if any(selecting) and catalog.plans and not selected_plans(catalog, chosen):
        problems.append("the selection of services and plans leaves no plan to test")
    if problems:
        labels = ", ".join(p.label for p in catalog.plans) or "none"
        problems.append(f"the catalog's plans: {labels}")
    return problems


# Which schema of a plan each kind of configured parameters must satisfy.
PARAMETER_SCHEMAS = {"parameters": ("service_instance", "create"),
                     "update_parameters": ("service_instance", "update"),
                     "bind_parameters": ("service_binding", "create")}


def parameter_problems(catalog: Catalog, chosen: RunConfig) -> list[str]:
    """Configured parameters that the plan's own schema rejects."""
    problems = []
    for kind, path in PARAMETER_SCHEMAS.items():
        for plan in catalog.plans:
            parameters = configured_for(getattr(chosen, kind), plan)
            schema = plan.schema(*path)
            if parameters is None or schema is None:
                continue
            for message in schema_errors(schema, parameters):
                problems.append(f"{kind} for {plan.label} do not satisfy the plan's "
                                f"schemas.{'.'.join(path)}.parameters: {message}")
    return problems


def configured_for(per_plan: dict[str, Any], plan: Plan) -> dict[str, Any] | None:
    """What a per-plan mapping holds for this plan (by id, label or name)."""
    for key in (plan.id, plan.label, plan.name):
        if key in per_plan:
            return dict(per_plan[key])
    return None


def schema_errors(schema: dict[str, Any], value: Any) -> list[str]:
    """Why ``schema`` rejects ``value`` (nothing when the schema itself is unusable: the
    catalog checks judge it)."""
    try:
        validator_class = validators.validator_for(schema)
        validator_class.check_schema(schema)
        return [error.message for error in validator_class(schema).iter_errors(value)]
    except Exception:  # noqa: BLE001 - a broker's odd schema (bad $ref...) must not crash
        return []
