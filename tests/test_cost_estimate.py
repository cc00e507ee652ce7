"""The cost announced before a run is an upper bound of what the run creates (issue 10)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from osb_conformance.cost_estimate import creates_at_most, estimate
from osb_conformance.fuzzing.budget import MACHINES, make_budget
from tests.suite_runner import run_suite


def test_every_test_creates_no_more_than_announced(
    start_broker: Callable[..., Any], tmp_path: Path
) -> None:
    broker = start_broker()
    run = run_suite(broker.url, tmp_path, "--hypothesis-seed=0")
    assert run.exit_code == 0, run.output
    fuzz = make_budget("quick", None, 0)
    over = []
    for result in run.report["results"]:
        name = result["nodeid"].rsplit("::", 1)[-1].split("[", 1)[0]
        instances, bindings = creates_at_most(name, fuzz, MACHINES)
        created = result["created"]
        # The test that first needs a plan's shared instance provisions it.
        if created["instances"] > instances + 1 or created["bindings"] > bindings:
            over.append((result["nodeid"], created, (instances, bindings)))
    assert not over, over
    announced = run.output.split("osb-conformance will create at most ", 1)[1]
    total_instances = int(announced.split(" instances", 1)[0])
    assert sum(r["created"]["instances"] for r in run.report["results"]) <= total_instances
    assert run.report["cost"]["created_total"] == sum(
        r["created"]["instances"] + r["created"]["bindings"] for r in run.report["results"])


def test_plans_are_told_apart_by_their_labels() -> None:
    plans = [_plan("db/s", bindable=True), _plan("db/small", bindable=False)]
    ids = ["m.py::test_async_bind[db/s]", "m.py::test_async_bind[db/small]",
           "m.py::test_lifecycle_sequences_follow_the_model[db/small-machine2]",
           "m.py::test_catalog_is_an_object_with_services"]
    costs = estimate(ids, plans, make_budget("quick", None, 0), processes=2, machines=4)
    assert costs["db/s"].bindings == 3 and costs["db/s"].tests == 1
    assert costs["db/small"].bindings == 0 and costs["db/small"].tests == 2
    # Two shared, one lifecycle machine: at most twice its creation budget of 3.
    assert costs["db/small"].instances == 2 + 6


def _plan(label: str, bindable: bool) -> Any:
    from types import SimpleNamespace
    return SimpleNamespace(label=label, bindable=bindable)
