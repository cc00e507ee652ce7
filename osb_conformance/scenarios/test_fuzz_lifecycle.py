"""Fuzzing the lifecycle (spec #service-broker-errors and the response tables it anchors).

A Hypothesis state machine sends random sequences of provision, resend, conflicting
provision, update, bind, unbind, deprovision, fetch and last_operation requests and
compares each answer with the status codes the spec prescribes in the resource's
state at that point; a failure shrinks to the shortest sequence that shows it.

Each plan gets ``MACHINES`` independent machines (one test each, with its own seed and
share of the sequences, and its own asynchronous-operation budget): several short
chains of dependent operations instead of one long one, which workers can run side by
side. The machine numbers are fixed, so every xdist worker collects the same tests.
"""

from __future__ import annotations

import pytest

from osb_conformance.catalog import Plan
from osb_conformance.checks import CheckRecorder
from osb_conformance.fuzzing.budget import MACHINES, OperationBudget, hypothesis_settings
from osb_conformance.fuzzing.runner import Tally, run_and_record
from osb_conformance.fuzzing.targets import fuzz_budget
from osb_conformance.platform import Platform

requirement = pytest.mark.requirement
# Steps the model can only judge at SHOULD level are reported under their own IDs.
SHOULD_STEPS = ("PROV-014", "BND-005")


@requirement("FUZZ-004", *SHOULD_STEPS)
@pytest.mark.parametrize("machine", range(1, MACHINES + 1), ids=lambda n: f"machine{n}")
def test_lifecycle_sequences_follow_the_model(
    plan: Plan, machine: int, platform: Platform, check: CheckRecorder,
    request: pytest.FixtureRequest,
) -> None:
    from hypothesis import seed
    from hypothesis.stateful import run_state_machine_as_test

    # Imported here: Hypothesis costs a second to import, which a run without fuzzing
    # (and every xdist worker at collection) would otherwise pay.
    from osb_conformance.fuzzing.lifecycle import lifecycle_machine

    budget = fuzz_budget(platform)
    # Hypothesis starts every run with its simplest sequence, the same in every machine
    # whatever the seed: the first machine sends it, the others skip it (for free).
    skipped = 0 if machine == 1 else 1
    tally = Tally(shrink_limit=max(5, budget.shrink_limit // 4),  # a replay is a sequence
                  operations=OperationBudget(budget.lifecycle_operations,
                                             budget.lifecycle_creations),
                  skip_first=skipped)
    # Each plan and machine its own sequences, still fixed by the run's seed.
    seeded = seed(f"{budget.seed}:{plan.id}:{machine}")(
        lifecycle_machine(plan, platform, tally))
    chosen = hypothesis_settings(
        budget, max_examples=budget.machine_sequences(machine) + skipped)
    run_and_record(
        lambda: run_state_machine_as_test(seeded, settings=chosen),
        name=f"lifecycle sequences of {plan.label} (machine {machine} of {MACHINES})",
        check=check, platform=platform,
        budget=budget, tally=tally, nodeid=request.node.nodeid,
        requirements=lambda: ["FUZZ-004", *(r for r in SHOULD_STEPS if r in tally.checked)])
