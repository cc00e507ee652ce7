"""--broker-api-version: a requirement newer than the version under test is N/A, never failed."""

from __future__ import annotations

from itertools import pairwise

import pytest

from osb_conformance.checks import CheckRecorder, Outcome
from osb_conformance.requirements import load_catalogue, version_tuple
from osb_conformance.settings import SUPPORTED_API_VERSIONS
from tests.suite_runner import run_suite_inprocess


def test_each_supported_version_gates_exactly_the_requirements_new_in_it() -> None:
    """Moving up one supported version enables exactly the requirements whose ``since`` is
    that version, and the newest supported version is the catalogue's spec version."""
    catalogue = load_catalogue()
    assert SUPPORTED_API_VERSIONS[-1] == catalogue.spec_version
    for older, newer in pairwise(SUPPORTED_API_VERSIONS):
        gained = {r.id for r in catalogue if r.applies_to(newer) and not r.applies_to(older)}
        assert gained == {r.id for r in catalogue if r.since == newer}, newer
    oldest = SUPPORTED_API_VERSIONS[0]
    assert {r.id for r in catalogue if not r.applies_to(oldest)} == {
        r.id for r in catalogue if version_tuple(r.since) > version_tuple(oldest)}


def test_an_unsupported_version_is_a_usage_error(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_inprocess("--broker-url=reference", "--broker-api-version=2.12")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "invalid choice: '2.12'" in "\n".join(result.errlines)


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
