"""What a fuzz failure reports: the minimal falsifying input, the seed, how to repeat the
run, one finding per requirement (not one per example), and no secret."""

from __future__ import annotations

import pytest

from tests.suite_runner import run_suite_inprocess


def test_fuzz_failure_report(start_broker, pytester: pytest.Pytester) -> None:
    broker = start_broker(mutant="fuzz-maximum-rejected")
    run = run_suite_inprocess(pytester, broker.url, "--osb-strict",
                              "--osb-requirements=FUZZ-001", "--hypothesis-seed=5")
    failed = [f for f in run.findings("FUZZ-001") if f["outcome"] == "FAIL"]
    assert failed, run.output
    for finding in failed:
        observed = finding["observed"]
        assert "minimal falsifying input: " in observed and ": at maximum " in observed
        assert "seed 5" in observed and "--hypothesis-seed=5" in observed
    for result in run.report["results"]:
        ids = [f["requirement"] for f in result["findings"]]
        assert len(ids) == len(set(ids)), f"one finding per requirement: {ids}"
        if result["outcome"] == "FAIL":
            assert result["transcript"], "the minimal example's transcript is kept"
    assert "secret" not in run.output  # the broker password the run used
    assert broker.broker.state.live() == {"instances": [], "bindings": []}


def test_fuzzing_off_makes_fuzz_scenarios_not_applicable(start_broker,
                                                         pytester: pytest.Pytester) -> None:
    broker = start_broker(mutant="fuzz-maximum-rejected")
    run = run_suite_inprocess(pytester, broker.url, "--osb-strict", "--osb-fuzz=off",
                              "--osb-requirements=FUZZ-001")
    # Nothing was checked: INCOMPLETE, exit 5, never CONFORMANT.
    assert run.exit_code == 5 and "INCOMPLETE (nothing checked)" in run.output, run.output
    assert all(r["outcome"] == "N/A" for r in run.report["results"]), run.output
