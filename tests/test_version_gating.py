"""--broker-api-version: a requirement newer than the version under test is N/A, never failed."""

from __future__ import annotations

import pytest

from osb_conformance.checks import CheckRecorder, Outcome
from osb_conformance.requirements import load_catalogue
from osb_conformance.settings import SUPPORTED_API_VERSIONS
from tests.suite_runner import run_suite_inprocess


def test_supported_versions_are_2_13_to_2_17() -> None:
    assert SUPPORTED_API_VERSIONS == ("2.13", "2.14", "2.15", "2.16", "2.17")


def test_a_violation_of_a_newer_requirement_is_not_applicable() -> None:
    catalogue = load_catalogue()
    assert catalogue["HDR-005"].since == "2.15"
    recorder = CheckRecorder(catalogue, {"HDR-005", "HDR-002B"}, strict=True,
                             api_version="2.13")
    recorder("HDR-005", False, expected="echoed", observed="not echoed")  # must not raise
    recorder("HDR-002B", True, expected="412", observed="412")
    assert [f.outcome for f in recorder.findings] == [Outcome.NA, Outcome.PASS]


def test_a_newer_requirement_is_enforced_from_its_version_on() -> None:
    recorder = CheckRecorder(load_catalogue(), {"HDR-005"}, strict=False, api_version="2.15")
    recorder("HDR-005", False, expected="echoed", observed="not echoed")
    assert [f.outcome for f in recorder.findings] == [Outcome.WARN]


def test_run_at_2_13_marks_newer_checks_na(start_broker, pytester: pytest.Pytester) -> None:
    """A mutant violating a 2.15 rule passes a strict 2.13 run: the check is N/A there;
    a test whose requirements are all newer than 2.13 is not run at all."""
    broker = start_broker(mutant="request-identity-not-echoed")
    run = run_suite_inprocess(pytester, broker.url, "--osb-strict", "--broker-api-version=2.13",
                              "--osb-requirements=HDR-005,HDR-003A")
    assert run.exit_code == 0, run.output
    assert run.outcomes_of("HDR-005") == {"N/A"}
    outcomes = {r["nodeid"].split("::")[-1]: r["outcome"] for r in run.report["results"]}
    assert outcomes["test_missing_version_header_is_400_if_refused"] == "N/A"
    assert all(o in ("PASS", "N/A", "INFO") for o in outcomes.values()), outcomes
    sent = {e["request_headers"].get("X-Broker-API-Version")
            for r in run.report["results"] for e in r["transcript"]}
    assert sent == {"2.13"}
