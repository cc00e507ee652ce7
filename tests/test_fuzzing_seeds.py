"""Each fuzz-only mutant is caught at the default budget whatever the seed, not only with
the fixed seed ``tests/test_mutants_detected.py`` uses."""

from __future__ import annotations

import random

import pytest

from osb_conformance.reference_broker.mutants import MUTANTS
from tests.suite_runner import run_suite_inprocess

FUZZ_ONLY = sorted(name for name in MUTANTS if name.startswith("fuzz-"))
SEEDS_PER_MUTANT = 3


def test_there_are_fuzz_only_mutants() -> None:
    assert len(FUZZ_ONLY) >= 4, FUZZ_ONLY


@pytest.mark.parametrize("name", FUZZ_ONLY)
def test_fuzz_mutant_is_detected_with_random_seeds(
    name: str, start_broker, pytester: pytest.Pytester
) -> None:
    mutant = MUTANTS[name]
    seeds = random.Random().sample(range(1, 2**32), SEEDS_PER_MUTANT)
    for seed in seeds:
        broker = start_broker(mutant=name)
        run = run_suite_inprocess(pytester, broker.url, "--osb-strict",
                                  f"--osb-requirements={','.join(mutant.violates)}",
                                  f"--hypothesis-seed={seed}", "-k", "fuzz")
        detected = {rid for rid in mutant.violates if "FAIL" in run.outcomes_of(rid)}
        assert detected == set(mutant.violates), (
            f"mutant {name} with --hypothesis-seed={seed}: the suite failed only "
            f"{detected} of {mutant.violates}:\n{run.output}")
        assert broker.broker.state.live() == {"instances": [], "bindings": []}, \
            f"resources leaked with seed {seed}"
