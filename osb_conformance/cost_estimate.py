"""How many instances and bindings a run will create, per plan, before it starts.

An upper bound for a broker that passes the checks (a failing fuzz property replays up to
its shrink budget on top): per test, what its scenario creates at most (the fixed table,
kept honest by tests/test_cost_estimate.py against the reference broker), per fuzz test what
its budget allows, and per plan one shared instance for each process that runs its tests.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .catalog import Plan
from .fuzzing.budget import FuzzBudget

# Instances and bindings one test of a plan creates at most (its own, not the shared one).
SCENARIO_CREATES: dict[str, tuple[int, int]] = {
    "test_async_bind": (0, 3),
    "test_async_provision_polls_to_succeeded": (2, 0),
    "test_binding_operations_poll_to_a_remembered_end": (0, 1),
    "test_concurrent_requests_are_refused_with_concurrency_error": (1, 1),
    "test_deprovision_during_async_provision": (1, 0),
    "test_deprovision_then_again_is_410": (1, 0),
    "test_identical_resend_after_async_provision": (1, 0),
    "test_instance_operations_poll_to_a_remembered_end": (1, 0),
    "test_json_body_with_other_content_type": (1, 0),
    "test_lifecycle_responses_echo_identity_and_are_json": (1, 1),
    "test_no_202_without_accepts_incomplete": (1, 3),
    "test_orphan_mitigation_deletes_are_answered": (1, 1),
    "test_plan_change": (1, 0),
    "test_provision_maintenance_info": (2, 0),
    "test_provision_with_accepts_incomplete_false_is_never_202": (1, 0),
    "test_refused_updates_change_nothing": (1, 0),
    "test_rotation_keeps_both_bindings": (0, 2),
    "test_sync_bind_then_identical_resend_and_fetch": (1, 3),
    "test_sync_provision_then_identical_resend": (1, 0),
    "test_synchronous_answer_to_accepts_incomplete_means_done": (1, 1),
    "test_unbind_during_async_bind": (0, 1),
    "test_unbind_then_again_is_410": (0, 1),
    "test_unknown_fields_are_ignored": (2, 2),
    "test_update_keeps_plan_and_parameters": (1, 0),
}
# Refused requests of these tests may create something on a broker that wrongly accepts
# them (which the test then reports); a compliant broker creates nothing.
REFUSALS_ONLY = 0
# Fuzz tests whose examples each may create one instance and bind once to it.
FUZZ_EXAMPLES = ("test_valid_parameters_are_accepted", "test_schema_violations_are_refused",
                 "test_malformed_requests_are_refused", "test_odd_ids_and_contexts_never_5xx",
                 "test_parameters_without_schema_never_5xx")
FUZZ_EXPLICIT_EXAMPLES = 10  # boundary, violation and malformed examples on top of generated
LIFECYCLE = "test_lifecycle_sequences_follow_the_model"


@dataclass
class PlanCost:
    instances: int = 0
    bindings: int = 0
    tests: int = 0


def creates_at_most(name: str, fuzz: FuzzBudget, machines: int) -> tuple[int, int]:
    """At most this many instances and bindings for one test called ``name``."""
    if name == LIFECYCLE:
        if not fuzz.enabled:
            return 0, 0
        # A machine starts no sequence past its creation budget, and a started one never
        # goes past twice it.
        per_machine = min(-(-fuzz.sequences // machines) * fuzz.steps,
                          2 * fuzz.lifecycle_creations)
        return per_machine, per_machine
    if name in FUZZ_EXAMPLES:
        if not fuzz.enabled:
            return 0, 0
        # An example creates one instance or binding; the one that spends the creation
        # budget may be followed by no other.
        examples = min(fuzz.max_examples + FUZZ_EXPLICIT_EXAMPLES, fuzz.creations + 1)
        return examples, examples
    return SCENARIO_CREATES.get(name, (REFUSALS_ONLY, REFUSALS_ONLY))


def estimate(nodeids: Iterable[str], plans: Iterable[Plan], fuzz: FuzzBudget,
             processes: int, machines: int) -> dict[str, PlanCost]:
    """Per plan label: the instances and bindings the tests ``nodeids`` create at most
    (node ids, not items: the xdist controller knows only those)."""
    by_label = {plan.label: plan for plan in plans}
    costs: dict[str, PlanCost] = {}
    for nodeid in nodeids:
        plan = _plan_of(nodeid, by_label)
        if plan is None:
            continue
        cost = costs.setdefault(plan.label, PlanCost(instances=processes))  # shared ones
        name = nodeid.rsplit("::", 1)[-1].split("[", 1)[0]
        instances, bindings = creates_at_most(name, fuzz, machines)
        cost.instances += instances
        cost.bindings += bindings if plan.bindable else 0
        cost.tests += 1
    return costs


def estimate_lines(costs: dict[str, PlanCost], processes: int) -> list[str]:
    total_i = sum(c.instances for c in costs.values())
    total_b = sum(c.bindings for c in costs.values())
    lines = [f"osb-conformance will create at most {total_i} instances and {total_b} bindings "
             f"({processes} test(s) at a time; an upper bound for a broker that passes):"]
    lines += [f"  {label}: {c.tests} tests, at most {c.instances} instances and "
              f"{c.bindings} bindings" for label, c in sorted(costs.items())]
    return lines


def _plan_of(nodeid: str, by_label: dict[str, Plan]) -> Plan | None:
    """The plan a test id names in its parameters, e.g. ``test_x[db/small-machine2]``."""
    parameters = nodeid.rsplit("::", 1)[-1].partition("[")[2].rstrip("]")
    for label in sorted(by_label, key=len, reverse=True):  # "db/s" must not match "db/small"
        if parameters == label or parameters.startswith(label + "-"):
            return by_label[label]
    return None
