"""Verdicts from evidence: requirement outcomes come from findings only, the verdict states
its coverage, and the exit code says what kind of end the run had."""

from __future__ import annotations

from typing import Any

from osb_conformance.cli import diff_reports
from osb_conformance.reporting.results import (
    EXIT_BROKER_FAILURE,
    EXIT_CONFORMANT,
    EXIT_INCOMPLETE,
    EXIT_SUITE_DEFECT,
    NOT_EXERCISED,
    ResultCollector,
    coverage,
    requirement_outcomes,
    verdict,
)


def result(nodeid: str, requirements: list[str], outcome: str,
           findings: list[tuple[str, str]] = (), message: str | None = None) -> dict[str, Any]:
    return {"nodeid": nodeid, "requirements": requirements, "outcome": outcome,
            "findings": [{"requirement": r, "outcome": o, "level": "MUST"} for r, o in findings],
            "message": message, "service": None, "plan": None, "transcript": [],
            "duration": 0.0, "phases": {}}


def collector(*results: dict[str, Any]) -> ResultCollector:
    collected = ResultCollector()
    collected._by_nodeid = {r["nodeid"]: r for r in results}
    return collected


def test_a_requirement_without_a_finding_is_not_exercised_never_pass() -> None:
    outcomes = requirement_outcomes([
        result("t1", ["PROV-001", "PROV-012"], "PASS", [("PROV-001", "PASS")])])
    assert outcomes["PROV-001"]["outcome"] == "PASS"
    assert outcomes["PROV-012"]["outcome"] == NOT_EXERCISED
    assert "t1 ended PASS without reaching this check" in outcomes["PROV-012"]["reason"]


def test_a_failed_setup_fails_no_requirement_it_never_reached() -> None:
    outcomes = requirement_outcomes([
        result("t1", ["PROV-001", "PROV-012"], "FAIL",
               message="could not provision a db/small instance to test with: 500")])
    assert {e["outcome"] for e in outcomes.values()} == {NOT_EXERCISED}
    assert "could not provision" in outcomes["PROV-012"]["reason"]


def test_a_requirement_whose_tests_were_all_na_is_na_with_the_reason() -> None:
    outcomes = requirement_outcomes([
        result("t1", ["BND-001"], "N/A", message="Skipped: N/A: plan x is not bindable"),
        result("t2", ["BND-001"], "N/A", message="Skipped: N/A: plan y is not bindable")])
    assert outcomes["BND-001"] == {"outcome": "N/A", "tests": ["t1", "t2"],
                                   "reason": "Skipped: N/A: plan x is not bindable"}


def test_na_for_lack_of_capacity_is_not_exercised() -> None:
    outcomes = requirement_outcomes([result(
        "t1", ["BND-001"], "N/A",
        message="Skipped: N/A: --osb-max-instances allows 1 live instance(s) here")])
    assert outcomes["BND-001"]["outcome"] == NOT_EXERCISED


def test_coverage_counts_applicable_broker_musts_and_shoulds() -> None:
    results = [result("t1", ["PROV-001", "PROV-012", "HDR-001"], "PASS",
                      [("PROV-001", "PASS"), ("HDR-001", "PASS")]),
               result("t2", ["BND-001"], "N/A", message="Skipped: N/A: not bindable")]
    covered = coverage(results, "2.17")
    assert "PROV-001" in covered.exercised and "PROV-012" in covered.not_exercised
    assert "HDR-001" not in covered.applicable  # a platform obligation of the suite
    assert "BND-001" not in covered.applicable  # the catalog offers no bindable plan
    assert "HDR-002A" not in covered.applicable  # MAY
    assert "HDR-005" not in coverage(results, "2.13").applicable  # since 2.15
    assert "no test of this run names it" in covered.not_exercised["CAT-001"]
    assert covered.phrase() == (f"1/{len(covered.applicable)} applicable MUST/SHOULD "
                                f"requirements exercised")


def test_verdict_and_exit_codes() -> None:
    passed = result("t1", ["PROV-001"], "PASS", [("PROV-001", "PASS")])
    failed = result("t2", ["PROV-012"], "FAIL", [("PROV-012", "FAIL")])
    errored = result("t3", ["PROV-002"], "ERROR", message="KeyError")
    cases = [((passed,), "CONFORMANT", EXIT_CONFORMANT),
             ((passed, failed, errored), "NOT CONFORMANT", EXIT_BROKER_FAILURE),
             ((passed, errored), "INCOMPLETE (suite error)", EXIT_SUITE_DEFECT),
             ((result("t4", ["BND-001"], "N/A"),), "INCOMPLETE (nothing checked)",
              EXIT_INCOMPLETE)]
    for results, text, code in cases:
        found = verdict(collector(*results), "2.17")
        assert (found.text, found.exit_code) == (text, code), results
    headline = verdict(collector(passed), "2.17").headline()
    assert headline.startswith("CONFORMANT (OSB API 2.17; 1/")
    assert headline.endswith(" applicable MUST/SHOULD requirements exercised)")


def test_certification_refuses_when_an_applicable_must_was_not_exercised() -> None:
    passed = result("t1", ["PROV-001", "PROV-012"], "PASS", [("PROV-001", "PASS")])
    found = verdict(collector(passed), "2.17", certify=True)
    assert found.text == "INCOMPLETE (applicable MUST requirements not exercised)"
    assert found.exit_code == EXIT_INCOMPLETE
    assert "PROV-012" in found.coverage.missing_musts()
    assert verdict(collector(passed), "2.17").text == "CONFORMANT"


def test_diff_reads_outcomes_from_findings_only() -> None:
    """An old report (no requirements section) whose test passed without a PROV-012
    finding does not count PROV-012 as passed: losing it is no fix."""
    old = {"results": [result("t1", ["PROV-001", "PROV-012"], "PASS", [("PROV-001", "PASS")])]}
    new = {"results": [result("t1", ["PROV-001", "PROV-012"], "FAIL",
                              [("PROV-001", "PASS"), ("PROV-012", "FAIL")])]}
    changes = {c.requirement: (c.kind, c.old, c.new) for c in diff_reports(old, new)}
    assert changes == {"PROV-012": ("REGRESSED", NOT_EXERCISED, "FAIL")}
