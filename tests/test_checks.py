"""Grading: the requirement's level decides what a failed check does."""

from __future__ import annotations

import pytest

from osb_conformance.checks import CheckRecorder, Outcome, overall_outcome
from osb_conformance.errors import ConformanceFailure, SuiteError
from osb_conformance.requirements import RequirementCatalogue, load_catalogue

CATALOGUE = RequirementCatalogue.from_data({"spec_version": "2.17", "requirements": [
    {"id": "T-001", "level": "MUST", "section": "s", "area": "a", "text": "must"},
    {"id": "T-002", "level": "SHOULD NOT", "section": "s", "area": "a", "text": "should not"},
    {"id": "T-003", "level": "MAY", "section": "s", "area": "a", "text": "may"},
    {"id": "T-004", "level": "MUST", "since": "2.17", "section": "s", "area": "a",
     "text": "new"},
]})


def _recorder(strict: bool = False, version: str = "2.17") -> CheckRecorder:
    return CheckRecorder(CATALOGUE, {"T-001", "T-002", "T-003", "T-004"}, strict=strict,
                         api_version=version)


def test_must_violation_fails_at_once_with_expected_and_observed() -> None:
    check = _recorder()
    with pytest.raises(ConformanceFailure) as failure:
        check("T-001", False, expected="201", observed="200 {}")
    assert "[T-001 MUST] must" in str(failure.value)
    assert "expected: 201" in str(failure.value) and "observed: 200 {}" in str(failure.value)


def test_should_violation_warns_and_fails_only_when_strict() -> None:
    check = _recorder()
    assert check("T-002", False, expected="x", observed="y") is False
    assert [f.outcome for f in check.findings] == [Outcome.WARN]
    with pytest.raises(ConformanceFailure):
        _recorder(strict=True)("T-002", False, expected="x", observed="y")


def test_may_is_recorded_and_never_fails() -> None:
    check = _recorder(strict=True)
    check("T-003", False, expected="x", observed="y")
    check.info("T-003", "answered 412")
    assert [f.outcome for f in check.findings] == [Outcome.INFO, Outcome.INFO]


def test_requirement_newer_than_the_tested_version_is_not_applicable() -> None:
    check = _recorder(version="2.16")
    check("T-004", False, expected="x", observed="y")
    assert check.findings[0].outcome == Outcome.NA


def test_unknown_or_undeclared_requirement_is_a_suite_defect() -> None:
    with pytest.raises(SuiteError, match="unknown"):
        _recorder()("NOPE-1", True, expected="", observed="")
    check = CheckRecorder(CATALOGUE, {"T-001"}, strict=False, api_version="2.17")
    with pytest.raises(SuiteError, match="marker"):
        check("T-002", True, expected="", observed="")


def test_secrets_in_observations_are_redacted() -> None:
    check = _recorder()
    check("T-002", False, expected="x", observed='{"password": "hunter2-secret"}')
    assert "hunter2-secret" not in check.findings[0].observed


@pytest.mark.parametrize("findings,pytest_outcome,errored,expected", [
    ([], "passed", False, Outcome.PASS),
    ([{"outcome": "WARN"}], "passed", False, Outcome.WARN),
    ([{"outcome": "INFO"}], "passed", False, Outcome.INFO),
    ([{"outcome": "PASS"}, {"outcome": "INFO"}], "passed", False, Outcome.PASS),
    ([{"outcome": "N/A"}], "passed", False, Outcome.NA),
    ([{"outcome": "N/A"}, {"outcome": "INFO"}], "passed", False, Outcome.INFO),
    ([], "skipped", False, Outcome.NA),
    ([], "failed", False, Outcome.FAIL),
    ([], "failed", True, Outcome.ERROR),
])
def test_overall_outcome(findings, pytest_outcome, errored, expected) -> None:  # type: ignore[no-untyped-def]
    assert overall_outcome(findings, pytest_outcome, errored) == expected


def test_shipped_catalogue_is_well_formed() -> None:
    catalogue = load_catalogue()
    assert len(catalogue) > 150
    for requirement in catalogue:
        assert requirement.level in ("MUST", "MUST NOT", "SHOULD", "SHOULD NOT", "MAY")
        assert requirement.subject in ("broker", "platform")
        assert requirement.section and requirement.text and requirement.area
        assert "2.11" <= requirement.since <= "2.17"
        assert requirement.url("2.17").startswith("https://github.com/openservicebrokerapi/")
