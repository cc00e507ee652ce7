"""Fuzzing on asynchronous plans is budgeted in broker operations, not in examples: the
count, the stop, the lifecycle machines' shares and the grouped boundary examples."""

from __future__ import annotations

import re
from typing import Any

import pytest

from osb_conformance.fuzzing.budget import (
    LIFECYCLE_OPERATIONS,
    MACHINES,
    OPERATIONS,
    OperationBudget,
    asynchronous_operations,
    make_budget,
)
from osb_conformance.fuzzing.runner import NOT_SENT, Tally
from osb_conformance.fuzzing.strategies import boundary_examples, grouped_examples, is_valid
from osb_conformance.reference_broker.catalog import BINDING_PARAMETERS, INSTANCE_PARAMETERS
from osb_conformance.transcript import Exchange
from tests.suite_runner import run_suite_inprocess

# An example that started runs to its end, and deleting what it created is never skipped:
# how far past its budget one test may go (a lifecycle step unbinds two bindings and
# deprovisions, then the teardown deletes two instances with their bindings). A lifecycle
# sequence that started may run on to twice its machine's budget.
OVERSHOOT = 8


def exchange(method: str, status: int) -> Exchange:
    return Exchange(method=method, url="http://broker/v2/x", request_headers={},
                    request_body=None, status=status)


def test_only_requests_answered_202_count_as_operations() -> None:
    exchanges = [exchange("PUT", 202), exchange("PATCH", 202), exchange("DELETE", 202),
                 exchange("PUT", 201), exchange("DELETE", 200), exchange("GET", 202),
                 exchange("PUT", 400)]
    assert asynchronous_operations(exchanges) == 3


def test_a_spent_budget_stops_sending_examples() -> None:
    tally = Tally(operations=OperationBudget(2))
    assert tally.should_run()
    tally.operations.charge([exchange("PUT", 202)])
    assert tally.should_run() and tally.may_continue([])
    running = [exchange("DELETE", 202)] * 2
    assert tally.may_continue(running)  # a started sequence runs on past the budget ...
    assert not tally.may_continue([*running, exchange("PUT", 202)])  # ... not past twice it
    tally.operations.charge([exchange("DELETE", 202)])
    assert not tally.should_run() and not tally.should_run()
    assert tally.examples == 2 and tally.notes[NOT_SENT] == 2  # skipped ones are not counted


def test_skipped_first_examples_send_nothing_and_are_not_counted() -> None:
    tally = Tally(skip_first=1)
    assert not tally.should_run() and tally.should_run()
    assert tally.examples == 1 and not tally.notes


def test_a_synchronous_plan_never_spends_the_budget() -> None:
    tally = Tally(operations=OperationBudget(1))
    for _ in range(50):
        assert tally.should_run()
        tally.operations.charge([exchange("PUT", 201), exchange("DELETE", 200)])
    assert tally.operations.spent == 0


@pytest.mark.parametrize("mode", ["quick", "thorough"])
def test_lifecycle_machines_share_the_sequences(mode: str) -> None:
    budget = make_budget(mode, None, 1)
    shares = [budget.machine_sequences(m) for m in range(1, MACHINES + 1)]
    assert sum(shares) == budget.sequences and max(shares) - min(shares) <= 1
    assert budget.operations == OPERATIONS[mode]
    assert budget.lifecycle_operations == LIFECYCLE_OPERATIONS[mode]
    assert make_budget(mode, 1, 1).machine_sequences(MACHINES) == 1  # never none


@pytest.mark.parametrize("schema", [INSTANCE_PARAMETERS, BINDING_PARAMETERS])
def test_grouped_boundary_examples_carry_every_edge_value_in_fewer_requests(
    schema: dict[str, Any],
) -> None:
    examples = boundary_examples(schema)
    groups = grouped_examples(schema, examples)
    assert len(groups) < len(examples)
    for group in groups:
        assert is_valid(schema, group.value)
        for part in group.parts:
            assert part.value.items() <= group.value.items()
    carried = [p.label for g in groups for p in (g.parts or (g,))]
    assert sorted(carried) == sorted(e.label for e in examples)  # each in exactly one group


def test_groups_never_hold_two_values_of_one_property() -> None:
    schema = {"type": "object", "properties": {"size": {"type": "integer"}}}
    examples = boundary_examples({**schema, "properties": {
        "size": {"type": "integer", "minimum": 1, "maximum": 10}}})
    assert [g.value for g in grouped_examples(schema, examples)] == [{"size": 1}, {"size": 10}]


def test_async_plan_fuzzing_stays_within_its_operation_budget(
    start_broker: Any, pytester: pytest.Pytester,
) -> None:
    """With 50 examples per property the async plan's operations stay at the budget: the
    budget, not the example count, bounds a fuzz test on an asynchronous plan."""
    broker = start_broker()
    started: list[str] = []
    handle = broker.broker.handle

    def counting(request: Any) -> Any:
        response = handle(request)
        if response.status == 202 and request.method in ("PUT", "PATCH", "DELETE"):
            started.append(request.route)
        return response

    broker.broker.handle = counting
    run = run_suite_inprocess(pytester, broker.url, "--osb-plans=async", "-k", "fuzz",
                              "--osb-fuzz-examples=50", "--hypothesis-seed=0")
    assert run.exit_code == 0, run.output
    budgets = {}
    for result in run.report["results"]:
        for finding in result["findings"]:
            spent = re.search(r"(\d+) asynchronous operations \(budget (\d+)\)",
                              finding["observed"] or "")
            if spent:
                budgets[result["nodeid"]] = (int(spent[1]), int(spent[2]))
    lifecycle = [n for n in budgets if "lifecycle" in n]
    assert len(lifecycle) == MACHINES, budgets
    assert len(budgets) >= MACHINES + 3, budgets  # valid provision, update and bind too
    ceilings = {nodeid: limit * (2 if nodeid in lifecycle else 1) + OVERSHOOT
                for nodeid, (_, limit) in budgets.items()}
    for nodeid, (spent, limit) in budgets.items():
        assert spent <= ceilings[nodeid], (nodeid, spent, limit)
    ceiling = sum(ceilings.values())
    assert len(started) <= ceiling, (len(started), ceiling)
    assert broker.broker.state.live() == {"instances": [], "bindings": []}
