"""Scenario support: the suite acting as a platform.

Records every resource in the ledger before creating it, polls asynchronous operations
to their end and cleans up after the test. The request bodies come from
:mod:`osb_conformance.request_bodies`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from .catalog import Plan
from .cleanup import clean_up
from .client import BrokerResponse, OSBClient
from .errors import BrokerError, BrokerTransportError
from .ledger import Ledger, Resource
from .load_safety import ensure_instance_capacity
from .orphan_mitigation import Mitigation, mitigate, mitigation_reason
from .polling import PollResult, poll_binding, poll_instance, polling_limit
from .redaction import redact
from .request_bodies import RequestBodies, new_id
from .settings import Settings


class PreconditionFailed(BrokerError):
    """A scenario could not set up what it tests (e.g. no instance could be provisioned)."""


@dataclass
class Instance:
    """An instance the scenario provisioned and saw succeed."""

    id: str
    plan: Plan
    asynchronous: bool
    response: BrokerResponse
    body: dict[str, Any]


@dataclass
class BindingHandle:
    """A binding the scenario created and saw succeed."""

    id: str
    instance: Instance
    asynchronous: bool
    response: BrokerResponse
    body: dict[str, Any]


class Platform(RequestBodies):
    """What a scenario uses to talk to the broker as a platform would."""

    def __init__(self, client: OSBClient, ledger: Ledger, owner: str) -> None:
        self.client = client
        self.ledger = ledger
        self.owner = owner
        self.settings: Settings = client.settings
        self.leftovers: list[Resource] = []
        self.orphan_mitigations: list[Mitigation] = []

    # -- instances --------------------------------------------------------------------------
    def provision(
        self, plan: Plan, body: Any = None, instance_id: str | None = None,
        accepts_incomplete: bool | None = True, **kw: Any,
    ) -> tuple[str, BrokerResponse]:
        """Send a provision request; the id is in the ledger before the request goes out."""
        instance_id = instance_id or new_id()
        ensure_instance_capacity(self.ledger, self.settings, instance_id)  # --osb-max-instances
        self._record(plan, instance_id)
        body = self.provision_body(plan) if body is None else body
        try:
            response = self.client.provision(instance_id, body, accepts_incomplete, **kw)
        except BrokerTransportError:
            self._mitigate_after(plan, "provision", None, instance_id, timed_out=True)
            raise
        self._mitigate_after(plan, "provision", response, instance_id)
        return instance_id, response

    def provision_ready(self, plan: Plan, **overrides: Any) -> Instance:
        """Provision and wait until it succeeded; anything else fails the scenario's setup."""
        body = self.provision_body(plan, **overrides)
        instance_id, response = self.provision(plan, body)
        if response.status in (200, 201) and not mitigation_reason("provision", response):
            return Instance(instance_id, plan, False, response, body)
        if response.status != 202:
            raise PreconditionFailed(
                f"could not provision a {plan.label} instance to test with: "
                f"{response.describe()}{self._configured_parameters_hint(plan, body)}",
                response.exchange)
        result = self.poll_instance(plan, instance_id, operation_of(response))
        if result.state == "failed":
            self._mitigate_after(plan, "provision", result.last, instance_id,
                                 reason="last_operation 'failed' for the provision")
        if result.state != "succeeded":
            raise PreconditionFailed(
                f"asynchronous provisioning of a {plan.label} instance did not succeed "
                f"({_poll_summary(result)}){self._configured_parameters_hint(plan, body)}",
                result.last.exchange if result.last else None)
        return Instance(instance_id, plan, True, response, body)

    def _configured_parameters_hint(self, plan: Plan, body: dict[str, Any]) -> str:
        """Where the operator's parameters were sent, a failed provision may be theirs."""
        configured = self.parameters_for(plan)
        if configured is None or body.get("parameters") != configured:
            return ""
        return (f"; it was sent the parameters configured for {plan.label}: "
                f"{json.dumps(redact(configured))}: check them in the --osb-config file")

    def poll_instance(
        self, plan: Plan, instance_id: str, operation: str | None, deleting: bool = False,
        plan_id: str | None = None,
    ) -> PollResult:
        return poll_instance(
            self.client, instance_id, plan.service.id, plan_id or plan.id, operation,
            limit=self.polling_limit(plan), deleting=deleting,
        )

    def deprovision(
        self, plan: Plan, instance_id: str, accepts_incomplete: bool | None = True, **kw: Any
    ) -> BrokerResponse:
        response = self.client.deprovision(instance_id, plan.service.id, plan.id,
                                           accepts_incomplete, **kw)
        if response.status in (200, 410):
            self.ledger.mark_instance_deleted(instance_id)
        return response

    def deprovision_done(self, instance: Instance) -> BrokerResponse:
        """Deprovision and wait for the end; return the DELETE's response."""
        response = self.deprovision(instance.plan, instance.id)
        if response.status == 202:
            result = self.poll_instance(instance.plan, instance.id, operation_of(response),
                                        deleting=True)
            if result.succeeded:
                self.ledger.mark_instance_deleted(instance.id)
        return response

    def unbind_done(self, instance: Instance, binding_id: str) -> BrokerResponse:
        """Unbind and wait for the end; return the DELETE's response."""
        response = self.unbind(instance, binding_id)
        if response.status == 202:
            result = self.poll_binding(instance, binding_id, operation_of(response),
                                       deleting=True)
            if result.succeeded:
                self.ledger.mark_binding_deleted(instance.id, binding_id)
        return response

    # -- updates ------------------------------------------------------------------------------
    def update(
        self, instance: Instance, body: Any, accepts_incomplete: bool | None = True, **kw: Any
    ) -> BrokerResponse:
        return self.client.update(instance.id, body, accepts_incomplete, **kw)

    def follow_plan(self, instance: Instance, plan: Plan) -> Instance:
        """After a plan change: cleanup (and later requests) name the instance's new plan."""
        for resource in self.ledger.live(self.owner):
            if resource.instance_id == instance.id:
                resource.plan_id, resource.plan_label = plan.id, plan.label
        return Instance(instance.id, plan, instance.asynchronous, instance.response,
                        instance.body)

    # -- bindings -----------------------------------------------------------------------------
    def bind(
        self, instance: Instance, body: Any = None, binding_id: str | None = None,
        accepts_incomplete: bool | None = True, instance_id: str | None = None, **kw: Any,
    ) -> tuple[str, BrokerResponse]:
        binding_id = binding_id or new_id()
        target = instance_id or instance.id
        self._record(instance.plan, target, binding_id)
        body = self.bind_body(instance.plan) if body is None else body
        try:
            response = self.client.bind(target, binding_id, body, accepts_incomplete, **kw)
        except BrokerTransportError:
            self._mitigate_after(instance.plan, "bind", None, target, binding_id, timed_out=True)
            raise
        self._mitigate_after(instance.plan, "bind", response, target, binding_id)
        return binding_id, response

    def bind_ready(self, instance: Instance, **overrides: Any) -> BindingHandle:
        body = self.bind_body(instance.plan, **overrides)
        binding_id, response = self.bind(instance, body)
        if response.status in (200, 201) and not mitigation_reason("bind", response):
            return BindingHandle(binding_id, instance, False, response, body)
        if response.status != 202:
            raise PreconditionFailed(
                f"could not bind to a {instance.plan.label} instance to test with: "
                f"{response.describe()}", response.exchange)
        result = self.poll_binding(instance, binding_id, operation_of(response))
        if result.state == "failed":
            self._mitigate_after(instance.plan, "bind", result.last, instance.id, binding_id,
                                 reason="binding last_operation 'failed'")
        if result.state != "succeeded":
            raise PreconditionFailed(
                f"asynchronous binding to a {instance.plan.label} instance did not succeed "
                f"({_poll_summary(result)})", result.last.exchange if result.last else None)
        return BindingHandle(binding_id, instance, True, response, body)

    def poll_binding(
        self, instance: Instance, binding_id: str, operation: str | None, deleting: bool = False
    ) -> PollResult:
        plan = instance.plan
        return poll_binding(
            self.client, instance.id, binding_id, plan.service.id, plan.id, operation,
            limit=self.polling_limit(plan), deleting=deleting,
        )

    def unbind(
        self, instance: Instance, binding_id: str, accepts_incomplete: bool | None = True,
        **kw: Any,
    ) -> BrokerResponse:
        plan = instance.plan
        response = self.client.unbind(instance.id, binding_id, plan.service.id, plan.id,
                                      accepts_incomplete, **kw)
        if response.status in (200, 410):
            self.ledger.mark_binding_deleted(instance.id, binding_id)
        return response

    # -- bookkeeping ----------------------------------------------------------------------------
    def polling_limit(self, plan: Plan) -> float:
        return polling_limit(plan.maximum_polling_duration, self.settings.poll_timeout)

    def track(self, plan: Plan, instance_id: str, binding_id: str | None = None) -> None:
        """Record a resource that may exist although no create was sent for it, or although
        the broker said it was deleted, so that cleanup deletes it if it does exist."""
        self._record(plan, instance_id, binding_id)

    def _record(self, plan: Plan, instance_id: str, binding_id: str | None = None) -> None:
        if any(r.instance_id == instance_id and r.binding_id == binding_id
               for r in self.ledger.live(self.owner)):
            return  # a re-sent request: already recorded
        self.ledger.record(Resource(
            kind="binding" if binding_id else "instance", instance_id=instance_id,
            binding_id=binding_id, service_id=plan.service.id, plan_id=plan.id,
            plan_label=plan.label, owner=self.owner,
        ))

    def _mitigate_after(
        self, plan: Plan, route: str, response: BrokerResponse | None, instance_id: str,
        binding_id: str | None = None, timed_out: bool = False, reason: str | None = None,
    ) -> None:
        """Orphan mitigation (spec #orphan-mitigation) when the answer calls for it."""
        reason = reason or mitigation_reason(route, response, timed_out)
        if reason is None or self.settings.keep_resources:  # the user keeps them to look
            return
        resource = next((r for r in self.ledger.live(self.owner)
                         if r.instance_id == instance_id and r.binding_id == binding_id), None)
        if resource is None:
            return
        mitigation = mitigate(self.client, resource, reason, self.polling_limit(plan))
        self.orphan_mitigations.append(mitigation)
        if mitigation.succeeded:
            if binding_id is None:
                self.ledger.mark_instance_deleted(instance_id)
            else:
                self.ledger.mark_binding_deleted(instance_id, binding_id)

    def clean_up(self) -> list[Resource]:
        """Delete what this scenario created; return what could not be deleted."""
        self.leftovers = clean_up(self.client, self.ledger, self.owner)
        return self.leftovers


def operation_of(response: BrokerResponse) -> str | None:
    """The ``operation`` a 202 carried, if it is a string."""
    operation = response.body_object().get("operation")
    return operation if isinstance(operation, str) else None


def _poll_summary(result: PollResult) -> str:
    if result.timed_out:
        return "still in progress when the polling bound ran out"
    if result.last is None:
        return "no answer"
    return f"state {result.state!r}, last answer {result.last.describe()}"
