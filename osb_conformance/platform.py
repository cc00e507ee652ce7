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
from .errors import BrokerError, BrokerTransportError, SuiteError
from .in_flight import InFlight
from .ledger import Ledger, Resource
from .load_safety import ensure_instance_capacity
from .orphan_mitigation import Mitigation, mitigate, mitigation_reason
from .polling import PollResult, poll_binding, poll_instance, polling_limit
from .redaction import redact
from .request_bodies import RequestBodies, new_id
from .settings import Settings
from .shared_instances import SharedInstances
from .stalled_plans import PlanStalled, StalledPlans
from .synchronous_plans import SynchronousPlans


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
    shared: bool = False  # borrowed from the run's shared instances: never change it


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

    def __init__(
        self, client: OSBClient, ledger: Ledger, owner: str,
        shared: SharedInstances | None = None, stalled: StalledPlans | None = None,
        in_flight: InFlight | None = None, synchronous: SynchronousPlans | None = None,
    ) -> None:
        self.client = client
        self.ledger = ledger
        self.owner = owner
        self.settings: Settings = client.settings
        self.leftovers: list[Resource] = []
        self.orphan_mitigations: list[Mitigation] = []
        self.shared = shared or SharedInstances()
        self.stalled = stalled or StalledPlans(None)
        self.borrowed: set[str] = set()  # ids of the shared instances this test used
        self.in_flight = in_flight or InFlight(None, client.stats.count_pause)
        self.synchronous = synchronous or SynchronousPlans(None)
        # The kind of the latest accepted operation per resource, to say what is polled.
        self._running: dict[tuple[str, str | None], str] = {}
        # Instances this test provisioned (body, first answer), and those seen ready or
        # adopted: candidates to donate to the pool at the end.
        self._provisioned: dict[str, tuple[Any, BrokerResponse | None]] = {}
        self._ready: dict[str, Instance] = {}
        self._kept: set[str] = set()  # instances spared by cleanups until the test ends

    # -- instances --------------------------------------------------------------------------
    def provision(
        self, plan: Plan, body: Any = None, instance_id: str | None = None,
        accepts_incomplete: bool | None = True, **kw: Any,
    ) -> tuple[str, BrokerResponse]:
        """Send a provision request; the id is in the ledger before the request goes out."""
        instance_id = instance_id or new_id()
        self._make_room(instance_id)
        ensure_instance_capacity(self.ledger, self.settings, instance_id)  # --osb-max-instances
        self._record(plan, instance_id)
        standard = self.provision_body(plan)
        body = standard if body is None else body
        self._provisioned.setdefault(instance_id, (body, None))
        try:
            response = self.client.provision(instance_id, body, accepts_incomplete, **kw)
        except BrokerTransportError:
            self._mitigate_after(plan, "provision", None, instance_id, timed_out=True)
            raise
        self._note_running("provision", response, instance_id)
        self._mitigate_after(plan, "provision", response, instance_id)
        self._note_provisioned(plan, instance_id, response)
        if body == standard:
            self._note_if_synchronous("provision", plan, accepts_incomplete, response)
        return instance_id, response

    def provision_ready(self, plan: Plan, **overrides: Any) -> Instance:
        """Provision and wait until it succeeded; anything else fails the scenario's setup."""
        self._refuse_if_stalled(plan)  # it would create one more that never finishes
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

    def instance_to_change(self, plan: Plan, **overrides: Any) -> Instance:
        """A ready instance of the plan that this test owns and may update or delete, for
        checks whose subject is not its creation: a free one from the pool provisioned with
        the same body, which an earlier test left as provisioned, else a new one."""
        self._refuse_if_stalled(plan)
        adopted = self.shared.adopt(self, plan, self.provision_body(plan, **overrides))
        if adopted is None:
            return self.provision_ready(plan, **overrides)
        self._ready[adopted.id] = adopted
        return adopted

    def ready_instance(self, plan: Plan) -> Instance:
        """A ready instance of the plan that other checks share (see shared_instances.py):
        for checks that only need one to exist. Never update or delete it."""
        instance = self.shared.borrow(self, plan)
        self.borrowed.add(instance.id)
        return instance

    def _configured_parameters_hint(self, plan: Plan, body: dict[str, Any]) -> str:
        """Where the operator's parameters were sent, a failed provision may be theirs."""
        configured = self.parameters_for(plan)
        if configured is None or body.get("parameters") != configured:
            return ""
        return (f"; it was sent the parameters configured for {plan.label}: "
                f"{json.dumps(redact(configured))}: check them in the --osb-config file")

    def poll_instance(
        self, plan: Plan, instance_id: str, operation: str | None, deleting: bool = False,
        plan_id: str | None = None, interval: float | None = None,
    ) -> PollResult:
        """Poll to the end within the polling bound; a stalled plan is not polled at all
        (stalled_plans.py), and a poll that runs out of time marks the plan stalled."""
        self._refuse_if_stalled(plan)
        with self.in_flight.waiting(self._describe(plan, instance_id, None, deleting)) as sleep:
            result = poll_instance(
                self.client, instance_id, plan.service.id, plan_id or plan.id, operation,
                limit=self.polling_limit(plan), deleting=deleting, sleep=sleep,
                interval=interval,
            )
        self._note_if_stalled(plan, result, f"an operation on instance {instance_id}")
        if result.succeeded and not deleting \
                and self._running.get((instance_id, None)) == "provision":
            self._note_ready(plan, instance_id, asynchronous=True)
        return result

    def deprovision(
        self, plan: Plan, instance_id: str, accepts_incomplete: bool | None = True, **kw: Any
    ) -> BrokerResponse:
        self._refuse_shared(instance_id, "deprovision")
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
        self._refuse_shared(instance.id, "update")
        response = self.client.update(instance.id, body, accepts_incomplete, **kw)
        self._note_running("update", response, instance.id)
        return response

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
        standard = not kw and self.is_standard_bind_body(instance.plan, body)
        try:
            response = self.client.bind(target, binding_id, body, accepts_incomplete, **kw)
        except BrokerTransportError:
            self._mitigate_after(instance.plan, "bind", None, target, binding_id, timed_out=True)
            raise
        self._note_running("bind", response, target, binding_id)
        self._mitigate_after(instance.plan, "bind", response, target, binding_id)
        if standard and target == instance.id:
            self._note_if_synchronous("bind", instance.plan, accepts_incomplete, response)
        return binding_id, response

    def bind_ready(self, instance: Instance, **overrides: Any) -> BindingHandle:
        self._refuse_if_stalled(instance.plan)
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
        self, instance: Instance, binding_id: str, operation: str | None, deleting: bool = False,
        interval: float | None = None,
    ) -> PollResult:
        plan = instance.plan
        self._refuse_if_stalled(plan)
        description = self._describe(plan, instance.id, binding_id, deleting)
        with self.in_flight.waiting(description) as sleep:
            result = poll_binding(
                self.client, instance.id, binding_id, plan.service.id, plan.id, operation,
                limit=self.polling_limit(plan), deleting=deleting, sleep=sleep,
                interval=interval,
            )
        self._note_if_stalled(plan, result, f"an operation on binding {binding_id}")
        return result

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
    def own(self, instance: Instance) -> None:
        """A ready instance another owner in this process held (a fuzz target's) becomes
        this test's: deleted with its resources, or given on like its own."""
        self.ledger.hand_over(instance.id, self.owner)  # its bindings stay with ``owner``
        self._ready.setdefault(instance.id, instance)

    def take_over(self, plan: Plan, instance_id: str, owner: str) -> None:
        """Make ``owner`` delete an instance another process provisioned."""
        self.ledger.record(Resource(
            kind="instance", instance_id=instance_id, binding_id=None,
            service_id=plan.service.id, plan_id=plan.id, plan_label=plan.label, owner=owner,
        ))

    def _note_if_synchronous(self, kind: str, plan: Plan, accepts_incomplete: bool | None,
                             response: BrokerResponse) -> None:
        # Only 201 Created: a 200 answers a re-send for what exists already.
        if accepts_incomplete is True and response.status == 201 \
                and not mitigation_reason(kind, response):
            self.synchronous.note(kind, plan.id, plan.label, self.owner)

    def _note_provisioned(self, plan: Plan, instance_id: str, response: BrokerResponse) -> None:
        provisioned = self._provisioned.get(instance_id)
        if provisioned is None:
            return
        if provisioned[1] is None:  # the first answer is the instance's (a re-send's is not)
            self._provisioned[instance_id] = (provisioned[0], response)
        if response.status in (200, 201) and not mitigation_reason("provision", response):
            self._note_ready(plan, instance_id, asynchronous=False)

    def _note_ready(self, plan: Plan, instance_id: str, asynchronous: bool) -> None:
        provisioned = self._provisioned.get(instance_id)
        if provisioned is None or provisioned[1] is None or instance_id in self._ready:
            return
        body, response = provisioned
        self._ready[instance_id] = Instance(instance_id, plan, asynchronous, response, body)

    def may_give_on(self, instance: Instance) -> bool:
        """Whether the instance, if this test passes, can serve later checks: one of its
        own, seen ready, still as provisioned, provisioned as later checks ask for."""
        if self.settings.max_instances is not None:
            return False  # under a bound on live instances, keeping one uses the room up
        ready = self._ready.get(instance.id)
        return ready is not None and self._givable(ready, self._own_instances())

    def _donations(self) -> list[Instance]:
        """Instances of this test's own, ready and still as provisioned."""
        own = self._own_instances()
        return [instance for instance in self._ready.values() if self._givable(instance, own)]

    def _own_instances(self) -> set[str]:
        return {r.instance_id for r in self.ledger.live(self.owner) if r.kind == "instance"}

    def _givable(self, instance: Instance, own: set[str]) -> bool:
        return (not self.settings.keep_resources and instance.id in own
                and self.client.changes.as_provisioned(instance.id)
                and self.shared.wants(self, instance)
                and self.stalled.reason(instance.plan.id) is None
                and not self.shared.is_shared(instance.id))

    def polling_limit(self, plan: Plan) -> float:
        return polling_limit(plan.maximum_polling_duration, self.settings.poll_timeout)

    def track(self, plan: Plan, instance_id: str, binding_id: str | None = None) -> None:
        """Record a resource that may exist although no create was sent for it, or although
        the broker said it was deleted, so that cleanup deletes it if it does exist."""
        self._record(plan, instance_id, binding_id)

    def _describe(self, plan: Plan, instance_id: str, binding_id: str | None,
                  deleting: bool) -> str:
        kind = self._running.get((instance_id, binding_id), "operation")
        if deleting:
            kind = "unbind" if binding_id else "deprovision"
        what = f"binding {binding_id}" if binding_id else f"instance {instance_id}"
        return f"{plan.label} {kind} of {what} ({self.owner})"

    def _note_running(self, kind: str, response: BrokerResponse, instance_id: str,
                      binding_id: str | None = None) -> None:
        if response.status == 202:
            self._running[(instance_id, binding_id)] = kind

    def _make_room(self, instance_id: str) -> None:
        """At the --osb-max-instances bound, shared instances this test does not hold are
        deleted before the test is refused an instance of its own."""
        limit = self.settings.max_instances
        if limit is None:
            return
        for idle in self.shared.idle(in_use=self.borrowed):
            live = {r.instance_id for r in self.ledger.live() if r.kind == "instance"}
            if instance_id in live or len(live) < limit:
                return
            owner = f"{self.owner} (making room)"
            self.shared.retire(self, {idle.id}, owner)
            clean_up(self.client, self.ledger, owner)

    def _refuse_shared(self, instance_id: str, what: str) -> None:
        if self.shared.is_shared(instance_id):
            raise SuiteError(f"a check may not {what} shared instance {instance_id}: "
                             f"use provision_ready() for an instance of its own")

    def _refuse_if_stalled(self, plan: Plan) -> None:
        reason = self.stalled.reason(plan.id)
        if reason is not None:
            raise PlanStalled(f"not attempted: {reason}; this check needs an operation of "
                              f"the plan to finish")

    def _note_if_stalled(self, plan: Plan, result: PollResult, what: str) -> None:
        if result.timed_out:
            self.stalled.mark(plan.id, (
                f"{what} of plan {plan.label} was still in progress when the "
                f"{self.polling_limit(plan):g}s polling bound ran out (in {self.owner})"))

    def _record(self, plan: Plan, instance_id: str, binding_id: str | None = None) -> None:
        if binding_id is None and instance_id in self.borrowed:
            return  # a conflicting create for a shared instance: its keeper deletes it
        if any(r.instance_id == instance_id and r.binding_id == binding_id
               for r in self.ledger.live()):
            return  # a re-sent request
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
        if self.stalled.reason(plan.id) is not None:
            return  # deleted at the end of the run, with the plan's other resources
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

    def give_on(self, instance: Instance) -> bool:
        """Give an instance that may be given on (may_give_on) to the pool now, before
        the test ends: for a step of a test that has passed every check so far."""
        return self.may_give_on(instance) and self.shared.donate(self, instance)

    def keep_to_the_end(self, instance: Instance) -> None:
        """Spare an instance from cleanups until the test ends (a fuzz sequence's that is
        still as provisioned), so that the test can give it on if it passes."""
        self._kept.add(instance.id)

    def finish(self, test_failed: bool) -> list[Resource]:
        """The test ended: if it passed, the instances it left as provisioned join the
        pool; everything else it created is deleted."""
        self._kept.clear()
        return self.clean_up(test_failed=test_failed, donate=not test_failed)

    def clean_up(self, test_failed: bool = False, donate: bool = False) -> list[Resource]:
        """Delete what this scenario created; return what could not be deleted.

        A shared instance held by a test that failed or warned may have been changed by
        the broker's deviation: it is deleted too, and the next test gets a fresh one.
        With ``donate`` (the test passed), instances it left as provisioned join the pool
        once their bindings are deleted (shared_instances.py). Instances kept to the end
        of the test stay. Resources of stalled plans wait for the end of the run (see
        stalled_plans.py).
        """
        if test_failed and self.borrowed:
            self.shared.retire(self, self.borrowed)
        donations = self._donations() if donate and not test_failed else []
        keep = {instance.id for instance in donations}
        self.leftovers = clean_up(
            self.client, self.ledger, self.owner,
            defer=lambda r: self._deferred(r) or r.kind == "instance" and r.instance_id in keep)
        unbound = {r.instance_id for r in self.leftovers if r.kind == "binding"}
        declined = [instance for instance in donations
                    if instance.id in unbound or not self.shared.donate(self, instance)]
        if declined:  # a binding left on it, or the pool is full: deleted as usual
            self.leftovers = clean_up(self.client, self.ledger, self.owner,
                                      defer=self._deferred)
        else:
            self.leftovers = self.ledger.live(self.owner)
        return self.leftovers

    def _deferred(self, resource: Resource) -> bool:
        """Not deleted now: kept to the test's end, or of a stalled plan (the run's end)."""
        return self.stalled.reason(resource.plan_id) is not None \
            or resource.kind == "instance" and resource.instance_id in self._kept


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
