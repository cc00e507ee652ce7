"""The lifecycle state machine: random request sequences against a model of status codes.

Hypothesis drives provision, conflicting provision, update (valid and
schema-violating), bind, bind resend, unbind, deprovision, fetches and
last_operation in random order, and after every step resends each live instance's
identical provision, which must be idempotent in every state. The model says which
status codes each step may get in the resources' current state. Every asynchronous
operation is polled to its end before the next step, so the model has no in-progress
states. A sequence keeps at most ``MAX_LIVE_INSTANCES`` instances and deletes
everything when it ends; a failure shrinks to the shortest sequence that shows it.
Once the tally's asynchronous-operation budget is spent, later sequences send nothing;
the running one ends (and deletes what it created) early only at twice the budget.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from ..catalog import Plan
from ..client import BrokerResponse
from ..errors import BrokerError
from ..expectations import conflicting_provision_body
from ..platform import Instance, Platform, new_id
from ..polling import PollResult
from ..stalled_plans import PlanStalled
from .actions import (
    delete_binding,
    delete_instance,
    finish_binding_operation,
    finish_instance_operation,
)
from .budget import MAX_LIVE_INSTANCES
from .runner import Tally, Verdict, violation_type
from .strategies import unsupported_reason
from .targets import declared_schema
from .violations import violation_examples

MAX_BINDINGS = 2
PICK = st.integers(min_value=0, max_value=7)  # an index into the live resources (shrinks to 0)
INVALID_PARAMETERS = "osbc-not-an-object"  # for plans without an update schema
OBSERVATIONS = ("fetch instance", "fetch binding", "deleted instance", "deleted binding",
                "unknown instance")


@dataclass
class ModelInstance:
    """What the model knows about one instance the sequence created."""

    name: str  # i1, i2, ... in the step log
    handle: Instance
    synchronous: bool
    changed: bool = False  # an accepted update changed parameters since provisioning
    bindings: dict[str, tuple[str, dict[str, Any], bool]] = field(default_factory=dict)
    unbound: list[str] = field(default_factory=list)


def gated(step: Callable[..., None]) -> Callable[..., None]:
    """A rule that does nothing in a sequence the shrink budget skips, nor once twice
    the operation budget is spent."""
    @functools.wraps(step)
    def run(self: Any, *args: Any, **kwargs: Any) -> None:
        if self.skipped or self.stopped():
            return
        self.note(step.__name__)
        try:
            step(self, *args, **kwargs)
        except PlanStalled as exc:  # no further step, and no shrinking (runner.Tally)
            self.plan_stalled(exc)
        except BrokerError as exc:  # starts the shrink budget, as a violation does
            self.broker_error(exc)
            raise
    return run


def invalid_update_parameters(plan: Plan) -> tuple[str, Any]:
    """Parameters an update must refuse: a schema violation, else not even an object."""
    schema = declared_schema(plan, "update")
    if schema is not None and unsupported_reason(schema) is None:
        examples = violation_examples(schema)
        if examples:
            return examples[0].label, examples[0].value
    return "parameters that are not an object", INVALID_PARAMETERS


def lifecycle_machine(plan: Plan, platform: Platform, tally: Tally) -> type[Any]:
    """A state machine class for ``plan`` (Hypothesis instantiates it once per sequence)."""
    invalid_label, invalid_parameters = invalid_update_parameters(plan)
    service = plan.service

    class Lifecycle(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.skipped = not tally.should_run()  # the shrink budget is spent
            platform.client.take_exchanges()  # the transcript of a failure is its sequence's
            self.live: dict[str, ModelInstance] = {}
            self.gone: list[str] = []
            self.steps: list[str] = []
            self.count = 0

        # -- bookkeeping ------------------------------------------------------------------
        def note(self, step_name: str) -> None:
            tally.note(step_name)

        def broker_error(self, exc: BrokerError) -> None:
            tally.broker_error = exc

        def plan_stalled(self, exc: PlanStalled) -> None:
            tally.stalled = exc

        def stopped(self) -> bool:
            """Twice the operation budget is spent: no further step (teardown still runs)."""
            return not tally.may_continue(platform.client.exchanges)

        def expect(self, step: str, response: BrokerResponse, allowed: set[int],
                   requirement: str = "FUZZ-004", expected: str | None = None,
                   log: bool = True) -> bool:
            """Log the step; raise a violation when its status is not one the model allows."""
            if log:  # a step judged twice (MUST, then SHOULD) is logged once
                number = sum(1 for line in self.steps if line[0].isdigit()) + 1
                self.steps.append(f"{number}. {step} -> {response.status}")
            tally.checked.add(requirement)
            if response.status in allowed:
                return True
            wanted = expected or f"one of {sorted(allowed)}"
            verdict = Verdict(requirement, False, f"{wanted} for: {step}",
                              response.describe())
            raise tally.failed(violation_type((requirement,))(
                [verdict], "\n    " + "\n    ".join(self.steps),
                list(platform.client.exchanges)))

        def finished(self, step: str, result: PollResult | None) -> bool:
            """An asynchronous step's polling must end in a terminal state."""
            if result is None:
                return True
            state = result.state
            self.steps.append(f"   polled {len(result.responses)}x -> {state}")
            if state in ("succeeded", "gone"):
                return True
            if state == "failed":
                return False  # the broker may fail an operation; the model drops it
            last = result.last.describe() if result.last else "no answer"
            raise tally.failed(violation_type(("FUZZ-004",))(
                [Verdict("FUZZ-004", False, f"last_operation reaches a terminal state after: "
                         f"{step}", f"polling ended with {last}")],
                "\n    " + "\n    ".join(self.steps), list(platform.client.exchanges)))

        def pick_instance(self, index: int) -> ModelInstance:
            names = sorted(self.live)
            return self.live[names[index % len(names)]]

        def pick_binding(self, index: int) -> tuple[ModelInstance, str]:
            pairs = sorted((name, b) for name, m in self.live.items() for b in m.bindings)
            name, binding = pairs[index % len(pairs)]
            return self.live[name], binding

        def has_bindings(self) -> bool:
            return any(m.bindings for m in self.live.values())

        # -- what holds in every state --------------------------------------------------
        @invariant()
        def identical_provision_is_idempotent(self) -> None:
            """Resending an instance's identical provision never changes or breaks it."""
            if self.skipped or self.stopped():
                return
            for model in list(self.live.values()):
                _, response = platform.provision(plan, model.handle.body,
                                                 instance_id=model.handle.id)
                step = f"resend the identical provision of {model.name}"
                if model.changed:  # the spec does not say whether "identical" means to the
                    self.expect(step, response, {200, 201, 202, 409})  # original or current
                    continue
                self.expect(step, response, {200, 201, 202})
                # The model holds only instances whose provision succeeded: synchronous or
                # not, nothing is created (no 201) nor in progress (no 202) any more.
                self.expect(step, response, {200}, "PROV-014", "200 OK", log=False)

        # -- instances --------------------------------------------------------------------
        @initialize()
        @gated
        def first_instance(self) -> None:
            self.provision()

        @precondition(lambda self: len(self.live) < MAX_LIVE_INSTANCES)
        @rule()
        @gated
        def provision(self) -> None:
            self.count += 1
            name = f"i{self.count}"
            body = platform.provision_body(plan)
            instance_id, response = platform.provision(plan, body)
            self.expect(f"provision new instance {name}", response, {201, 202})
            ok = self.finished(f"provision {name}",
                               finish_instance_operation(platform, plan, instance_id, response))
            handle = Instance(instance_id, plan, response.status == 202, response, body)
            if ok:
                self.live[name] = ModelInstance(name, handle, response.status == 201)

        @precondition(lambda self: bool(self.live))
        @rule(index=PICK)
        @gated
        def conflicting_provision(self, index: int) -> None:
            model = self.pick_instance(index)
            other = conflicting_provision_body(platform, plan, model.handle.body)
            if other is None:
                return
            _, response = platform.provision(plan, other, instance_id=model.handle.id)
            self.expect(f"provision {model.name} again with other attributes", response, {409})

        @precondition(lambda self: bool(self.live))
        @rule(index=PICK, valid=st.booleans())
        @gated
        def update(self, index: int, valid: bool) -> None:
            """An update with empty parameters, or with parameters it must refuse."""
            model = self.pick_instance(index)
            parameters = {} if valid else invalid_parameters
            response = platform.client.update(model.handle.id, {
                "service_id": service.id, "plan_id": plan.id, "parameters": parameters}, True)
            if valid:
                step = f"update {model.name} with empty parameters"
                self.expect(step, response, {200, 202, 422})
            else:  # refusing is a SHOULD (FUZZ-002); accepting only changes the model
                step = f"update {model.name} with invalid parameters ({invalid_label})"
                self.expect(step, response, {200, 202, 400, 422})
            if response.status in (200, 202):
                model.changed = True
                self.finished(step, finish_instance_operation(platform, plan, model.handle.id,
                                                              response))

        @precondition(lambda self: bool(self.live))
        @rule(index=PICK)
        @gated
        def deprovision(self, index: int) -> None:
            model = self.pick_instance(index)
            for binding_id in list(model.bindings):  # a platform unbinds first (DEP-008)
                self.unbind_binding(model, binding_id)
            response = platform.deprovision(plan, model.handle.id)
            step = f"deprovision {model.name}"
            self.expect(step, response, {200, 202})
            if self.finished(step, finish_instance_operation(
                    platform, plan, model.handle.id, response, deleting=True)):
                platform.ledger.mark_instance_deleted(model.handle.id)
                del self.live[model.name]
                self.gone.append(model.handle.id)

        # -- bindings ---------------------------------------------------------------------
        @precondition(lambda self: plan.bindable and any(
            len(m.bindings) < MAX_BINDINGS for m in self.live.values()))
        @rule(index=PICK)
        @gated
        def bind(self, index: int) -> None:
            candidates = [m for m in self.live.values() if len(m.bindings) < MAX_BINDINGS]
            model = candidates[index % len(candidates)]
            body = platform.bind_body(plan)
            binding_id, response = platform.bind(model.handle, body)
            label = f"b{len(model.bindings) + len(model.unbound) + 1}@{model.name}"
            step = f"bind {label}"
            self.expect(step, response, {201, 202})
            if self.finished(step, finish_binding_operation(platform, model.handle,
                                                            binding_id, response)):
                model.bindings[binding_id] = (label, body, response.status == 201)

        @precondition(lambda self: self.has_bindings())
        @rule(index=PICK)
        @gated
        def resend_identical_bind(self, index: int) -> None:
            model, binding_id = self.pick_binding(index)
            label, body, _ = model.bindings[binding_id]
            _, response = platform.bind(model.handle, body, binding_id=binding_id)
            step = f"resend the identical bind {label}"
            self.expect(step, response, {200, 201, 202})
            # The binding's bind succeeded (synchronously or polled): 200, as for sync binds.
            self.expect(step, response, {200}, "BND-005", "200 OK", log=False)

        @precondition(lambda self: self.has_bindings())
        @rule(index=PICK)
        @gated
        def unbind(self, index: int) -> None:
            model, binding_id = self.pick_binding(index)
            self.unbind_binding(model, binding_id)

        def unbind_binding(self, model: ModelInstance, binding_id: str) -> None:
            label = model.bindings[binding_id][0]
            response = platform.unbind(model.handle, binding_id)
            step = f"unbind {label}"
            self.expect(step, response, {200, 202})
            if self.finished(step, finish_binding_operation(
                    platform, model.handle, binding_id, response, deleting=True)):
                platform.ledger.mark_binding_deleted(model.handle.id, binding_id)
                del model.bindings[binding_id]
                model.unbound.append(binding_id)

        # -- observations (one rule, so that changes get most of the steps) ----------------
        @rule(index=PICK, kind=st.sampled_from(OBSERVATIONS))
        @gated
        def observe(self, index: int, kind: str) -> None:
            """A read or a repeated delete, answered by the resources' current state."""
            getattr(self, "observe_" + kind.replace(" ", "_"))(index)

        def observe_fetch_instance(self, index: int) -> None:
            if not self.live or not service.instances_retrievable:
                return
            model = self.pick_instance(index)
            response = platform.client.fetch_instance(model.handle.id, service.id, plan.id)
            self.expect(f"fetch {model.name}", response, {200})

        def observe_fetch_binding(self, index: int) -> None:
            if not self.has_bindings() or not service.bindings_retrievable:
                return
            model, binding_id = self.pick_binding(index)
            response = platform.client.fetch_binding(model.handle.id, binding_id, service.id,
                                                     plan.id)
            self.expect(f"fetch binding {model.bindings[binding_id][0]}", response, {200})

        def observe_deleted_instance(self, index: int) -> None:
            if not self.gone:
                return
            instance_id = self.gone[index % len(self.gone)]
            if service.instances_retrievable:
                response = platform.client.fetch_instance(instance_id, service.id, plan.id)
                self.expect("fetch a deleted instance", response, {404})
            response = platform.client.deprovision(instance_id, service.id, plan.id, True)
            self.expect("deprovision a deleted instance again", response, {410})

        def observe_deleted_binding(self, index: int) -> None:
            pairs = [(m, b) for m in self.live.values() for b in m.unbound]
            if not pairs:
                return
            model, binding_id = pairs[index % len(pairs)]
            response = platform.client.unbind(model.handle.id, binding_id, service.id,
                                              plan.id, True)
            self.expect(f"unbind an unbound binding of {model.name} again", response, {410})

        def observe_unknown_instance(self, index: int) -> None:
            response = platform.client.instance_last_operation(new_id(), service.id, plan.id)
            self.expect("last_operation of an instance never provisioned", response, {404})

        def teardown(self) -> None:
            """Delete what the sequence left, now: the next sequence starts from nothing.
            An instance still as provisioned serves later checks (shared_instances.py):
            given on at once while every sequence so far passed, else kept to the test's
            end (given on if the test passes after all, deleted if not)."""
            if self.skipped:
                return
            passed_so_far = not tally.latest and tally.broker_error is None
            for model in list(self.live.values()):
                for binding_id in list(model.bindings):
                    delete_binding(platform, model.handle, binding_id)
                if passed_so_far and platform.give_on(model.handle):
                    continue
                if platform.may_give_on(model.handle):
                    platform.keep_to_the_end(model.handle)
                else:
                    delete_instance(platform, plan, model.handle.id)
            platform.clean_up()
            tally.operations.charge(platform.client.exchanges)

    Lifecycle.__name__ = Lifecycle.__qualname__ = "Lifecycle"
    return Lifecycle
