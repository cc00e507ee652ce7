"""Every mutant of the reference broker makes the suite fail on the requirement it violates."""

from __future__ import annotations

import pytest

from osb_conformance.reference_broker.mutants import MUTANTS
from tests.suite_runner import run_suite_inprocess


@pytest.mark.parametrize("name", sorted(MUTANTS))
def test_mutant_is_detected(name: str, start_broker, pytester: pytest.Pytester) -> None:
    mutant = MUTANTS[name]
    broker = start_broker(mutant=name)
    run = run_suite_inprocess(pytester, broker.url, "--osb-strict",
                    f"--osb-requirements={','.join(mutant.violates)}", *mutant.options)
    assert run.exit_code != 0, f"mutant {name} went unnoticed:\n{run.output}"
    detected = {rid for rid in mutant.violates if "FAIL" in run.outcomes_of(rid)}
    assert detected == set(mutant.violates), (
        f"mutant {name} violates {mutant.violates} but the suite failed only {detected}:\n"
        f"{run.output}")
    assert broker.broker.state.live() == {"instances": [], "bindings": []}, "resources leaked"
