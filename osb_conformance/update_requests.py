"""Update requests a broker must accept apart from what a scenario checks.

A scenario that sends an update to judge something else (AsyncRequired, ConcurrencyError,
polling) must send an update the spec obliges the broker to accept. A context-only update
is one only for offerings declaring ``allow_context_updates`` (spec
#updating-a-service-instance); the suite sends none to other offerings (UPD-014B), whose
brokers rightly refuse it with 422.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .catalog import Plan
from .parameter_samples import accepts, valid_sample
from .platform import Platform


@dataclass(frozen=True)
class AcceptableUpdate:
    """What the update changes (for messages) and the fields it adds to the body."""

    change: str
    fields: dict[str, Any]


def sample_parameters(platform: Platform, plan: Plan) -> dict[str, Any] | None:
    """Parameters both the create and the update schema accept (configured ones first)."""
    parameters = platform.parameters_for(plan) or valid_sample(
        plan.schema("service_instance", "create"))
    if not parameters:
        return None
    update_schema = plan.schema("service_instance", "update")
    configured_update = platform.update_parameters_for(plan) != platform.parameters_for(plan)
    if not configured_update and update_schema is not None \
            and accepts(update_schema, parameters) is False:
        return None
    return parameters


def parameters_to_update(platform: Platform, plan: Plan,
                         provisioned: dict[str, Any]) -> dict[str, Any]:
    """The operator's ``update_parameters`` for the plan where configured, else the
    provision parameters again (an update that repeats the instance's values)."""
    configured = platform.update_parameters_for(plan)
    if configured is not None and configured != platform.parameters_for(plan):
        return configured
    return provisioned


def acceptable_update(platform: Platform, plan: Plan) -> AcceptableUpdate | None:
    """An update of an instance of ``plan`` that keeps its plan: parameters the plan's
    schemas accept, else a context-only update where the offering allows it, else the
    plan's own maintenance_info; None when the plan offers none of these."""
    parameters = sample_parameters(platform, plan)
    if parameters:
        return AcceptableUpdate("parameters",
                                {"parameters": parameters_to_update(platform, plan, parameters)})
    if plan.service.allow_context_updates:
        return AcceptableUpdate("context", {})
    version = (plan.maintenance_info or {}).get("version")
    if isinstance(version, str):
        return AcceptableUpdate("maintenance_info", {"maintenance_info": {"version": version}})
    return None


def no_acceptable_update(plan: Plan) -> str:
    """Why ``acceptable_update`` found nothing to send for ``plan``."""
    return (f"{plan.label} offers no update the broker must accept: no parameters its schemas "
            f"accept, no allow_context_updates, no maintenance_info")


def update_body(platform: Platform, plan: Plan, **fields: Any) -> dict[str, Any]:
    """An update body for an instance of ``plan`` as a platform sends it. It carries the
    context only when it changes something else too, or the offering allows context-only
    updates (UPD-014B)."""
    body: dict[str, Any] = {
        "service_id": plan.service.id,
        "previous_values": {"service_id": plan.service.id, "plan_id": plan.id},
        **fields,
    }
    if "context" not in body and (plan.service.allow_context_updates or changes(body, plan)):
        body["context"] = platform.context()
    return body


def changes(body: dict[str, Any], plan: Plan) -> bool:
    """Whether the body changes more than the context of an instance of ``plan``."""
    return "parameters" in body or "maintenance_info" in body \
        or body.get("plan_id", plan.id) != plan.id
