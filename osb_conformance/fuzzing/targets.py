"""Where fuzzed parameters go: provision, update or bind, each undone at once.

A target owns the instance that updates and binds need (created once per test,
under its own ledger owner so that the per-example cleanup leaves it alone) and
sends one example's parameters, waits for an asynchronous answer to end, and
deletes whatever the example created.
"""

from __future__ import annotations

from typing import Any

from ..catalog import Plan
from ..client import BrokerResponse
from ..expectations import needs_bindable, not_applicable
from ..platform import Instance, Platform
from .actions import (
    delete_binding,
    delete_instance,
    finish_binding_operation,
    finish_instance_operation,
    is_success,
)
from .budget import FuzzBudget
from .strategies import unsupported_reason

OPERATIONS = ("provision", "update", "bind")
SCHEMA_PATHS = {
    "provision": ("service_instance", "create"),
    "update": ("service_instance", "update"),
    "bind": ("service_binding", "create"),
}


def declared_schema(plan: Plan, operation: str) -> dict[str, Any] | None:
    """The parameters schema the plan declares for ``operation``, if any."""
    return plan.schema(*SCHEMA_PATHS[operation])


def fuzz_budget(platform: Platform) -> FuzzBudget:
    budget = platform.settings.fuzz
    if not budget.enabled:
        not_applicable("fuzzing is off (--osb-fuzz=off)")
    return budget


def fuzzable_schema(plan: Plan, operation: str) -> dict[str, Any]:
    """The plan's schema for ``operation``, or N/A when there is none or it cannot be used."""
    if operation == "bind":
        needs_bindable(plan)
    schema = declared_schema(plan, operation)
    if schema is None:
        not_applicable(f"{plan.label} declares no parameters schema for {operation}")
    reason = unsupported_reason(schema)
    if reason:
        not_applicable(f"{plan.label} {operation} schema: {reason}")
    return schema


class ParameterTarget:
    """Sends parameters with one kind of request and undoes what it created."""

    def __init__(self, plan: Plan, platform: Platform, operation: str) -> None:
        self.plan = plan
        self.platform = platform
        self.operation = operation
        # The instance updates need; its own owner keeps per-example cleanup off it.
        self.base = Platform(platform.client, platform.ledger, platform.owner + " [fuzz base]",
                             platform.shared, platform.stalled, platform.in_flight,
                             platform.synchronous)
        self.instance: Instance | None = None

    def __enter__(self) -> ParameterTarget:
        if self.operation == "bind":  # binds leave the instance as it was: a shared one
            self.instance = self.platform.ready_instance(self.plan)
        elif self.operation == "update":
            self.instance = self.base.instance_to_change(self.plan)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.instance is not None and not self.instance.shared:
            # The test's: deleted when it ends, or given on if it passed and every update
            # was refused (the instance is then as provisioned).
            self.platform.own(self.instance)
        self.base.clean_up()

    def send(self, body_or_parameters: Any, *, raw_body: bool = False) -> BrokerResponse:
        """Send one request (with these parameters, or this whole body) and undo it."""
        return getattr(self, "_" + self.operation)(body_or_parameters, raw_body)

    def body(self, parameters: Any = None) -> dict[str, Any]:
        """A well-formed body for the operation (with ``parameters`` when given)."""
        extra = {} if parameters is None else {"parameters": parameters}
        if self.operation == "provision":
            return self.platform.provision_body(self.plan, **extra)
        if self.operation == "bind":
            return self.platform.bind_body(self.plan, **extra)
        body = {"service_id": self.plan.service.id, "plan_id": self.plan.id, **extra}
        if extra or self.plan.service.allow_context_updates:  # never context-only (UPD-014B)
            body["context"] = self.platform.context()
        return body

    def _provision(self, given: Any, raw_body: bool) -> BrokerResponse:
        body = given if raw_body else self.body(given)
        instance_id, response = self.platform.provision(self.plan, body)
        if is_success(response):
            finish_instance_operation(self.platform, self.plan, instance_id, response)
            delete_instance(self.platform, self.plan, instance_id)
        return response

    def _update(self, given: Any, raw_body: bool) -> BrokerResponse:
        assert self.instance is not None
        body = given if raw_body else self.body(given)
        response = self.platform.client.update(self.instance.id, body, True)
        finish_instance_operation(self.platform, self.plan, self.instance.id, response)
        return response

    def _bind(self, given: Any, raw_body: bool) -> BrokerResponse:
        assert self.instance is not None
        body = given if raw_body else self.body(given)
        binding_id, response = self.platform.bind(self.instance, body)
        if is_success(response):
            finish_binding_operation(self.platform, self.instance, binding_id, response)
            delete_binding(self.platform, self.instance, binding_id)
        return response
