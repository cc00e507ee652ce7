"""Fuzzing the lifecycle (spec #service-broker-errors and the response tables it anchors).

A Hypothesis state machine sends random sequences of provision, resend, conflicting
provision, update, bind, unbind, deprovision, fetch and last_operation requests and
compares each answer with the status codes the spec prescribes in the resource's
state at that point; a failure shrinks to the shortest sequence that shows it.
"""

from __future__ import annotations

import pytest

from osb_conformance.catalog import Plan
from osb_conformance.checks import CheckRecorder
from osb_conformance.fuzzing.budget import hypothesis_settings
from osb_conformance.fuzzing.runner import Tally, run_and_record
from osb_conformance.fuzzing.targets import fuzz_budget
from osb_conformance.platform import Platform

requirement = pytest.mark.requirement
# Steps the model can only judge at SHOULD level are reported under their own IDs.
SHOULD_STEPS = ("PROV-014", "BND-005")


@requirement("FUZZ-004", *SHOULD_STEPS)
def test_lifecycle_sequences_follow_the_model(
    plan: Plan, platform: Platform, check: CheckRecorder, request: pytest.FixtureRequest,
) -> None:
    from hypothesis import seed
    from hypothesis.stateful import run_state_machine_as_test

    # Imported here: Hypothesis costs a second to import, which a run without fuzzing
    # (and every xdist worker at collection) would otherwise pay.
    from osb_conformance.fuzzing.lifecycle import lifecycle_machine

    budget = fuzz_budget(platform)
    tally = Tally(shrink_limit=max(5, budget.shrink_limit // 4))  # a replay is a sequence
    # Each plan its own sequences, still fixed by the run's seed.
    machine = seed(f"{budget.seed}:{plan.id}")(lifecycle_machine(plan, platform, tally))
    chosen = hypothesis_settings(budget, max_examples=budget.sequences)
    run_and_record(
        lambda: run_state_machine_as_test(machine, settings=chosen),
        name=f"lifecycle sequences of {plan.label}", check=check, platform=platform,
        budget=budget, tally=tally, nodeid=request.node.nodeid,
        requirements=lambda: ["FUZZ-004", *(r for r in SHOULD_STEPS if r in tally.checked)])
