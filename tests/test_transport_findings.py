"""A request that gets no answer is a finding of the requirement its answer was to be checked
against, and the checks that do not need that answer still run (issue 11, section 7).

Also the rule that makes this visible: a test pytest saw pass but with a FAIL finding
(recorded without raising) fails, its message listing those findings.
"""

from __future__ import annotations

from typing import Any

import pytest

from osb_conformance.attribution_hooks import fail_on_failed_findings
from osb_conformance.checks import CheckRecorder, Finding, Outcome, overall_outcome
from osb_conformance.client import BrokerResponse
from osb_conformance.errors import BrokerTransportError, TimeBoundSpent
from osb_conformance.expectations import answer_or_finding
from osb_conformance.reference_broker.chaos import OPTIONS
from osb_conformance.requirements import RequirementCatalogue
from osb_conformance.transcript import Exchange
from tests.suite_runner import SuiteRun, run_suite_inprocess

CATALOGUE = RequirementCatalogue.from_data({"spec_version": "2.17", "requirements": [
    {"id": "T-001", "level": "MUST", "section": "s", "area": "a", "text": "must"},
    {"id": "T-002", "level": "SHOULD", "section": "s", "area": "a", "text": "should"},
]})
DROPPED = "RemoteProtocolError"  # what httpx says when the server closes without an answer


def _recorder(strict: bool = False) -> CheckRecorder:
    return CheckRecorder(CATALOGUE, {"T-001", "T-002"}, strict=strict, api_version="2.17")


def _finding(requirement: str, outcome: str) -> dict[str, Any]:
    return Finding(requirement=requirement, level="MUST", outcome=outcome, expectation="must",
                   expected="201", observed=f"observed {outcome}").to_dict()


def _report(outcome: str = "passed") -> pytest.TestReport:
    return pytest.TestReport("t.py::test_x", ("t.py", 1, "test_x"), {}, outcome, None, "call")


def _dropped() -> BrokerResponse:
    raise BrokerTransportError("GET http://broker/v2/catalog: RemoteProtocolError: closed")


# -- the makereport rule -------------------------------------------------------------------------
def test_passed_test_with_a_fail_finding_fails_with_the_findings_and_transcript() -> None:
    report = _report()
    findings = [_finding("T-001", Outcome.PASS), _finding("T-001", Outcome.FAIL)]
    exchange = Exchange(method="GET", url="http://broker/v2/catalog", request_headers={},
                        request_body=None).redacted()
    fail_on_failed_findings(report, findings, [exchange])
    assert report.outcome == "failed"
    message = str(report.longrepr)
    assert message.startswith("[T-001 MUST] must")
    assert "observed: observed FAIL" in message and "observed PASS" not in message
    assert "Transcript:" in message and "/v2/catalog" in message
    assert overall_outcome(findings, report.outcome, errored=False) == Outcome.FAIL


@pytest.mark.parametrize("outcomes", [[], [Outcome.PASS], [Outcome.WARN, Outcome.INFO]])
def test_passed_test_without_a_fail_finding_stays_passed(outcomes: list[str]) -> None:
    report = _report()
    fail_on_failed_findings(report, [_finding("T-001", o) for o in outcomes], [])
    assert report.outcome == "passed" and report.longrepr is None


def test_a_skipped_test_is_left_alone() -> None:
    report = _report("skipped")
    fail_on_failed_findings(report, [_finding("T-001", Outcome.FAIL)], [])
    assert report.outcome == "skipped"


# -- answer_or_finding ----------------------------------------------------------------------------
def test_an_answer_is_passed_through_without_a_finding() -> None:
    check = _recorder()
    sentinel: Any = object()
    assert answer_or_finding(check, "T-001", lambda: sentinel) is sentinel
    assert check.findings == []


@pytest.mark.parametrize("requirement,strict,outcome", [
    ("T-001", False, Outcome.FAIL), ("T-002", False, Outcome.WARN),
    ("T-002", True, Outcome.FAIL),
])
def test_no_answer_is_a_finding_graded_by_the_requirements_level(
    requirement: str, strict: bool, outcome: str
) -> None:
    check = _recorder(strict)
    assert answer_or_finding(check, requirement, _dropped, expected="401") is None
    [finding] = check.findings
    assert (finding.requirement, finding.outcome) == (requirement, outcome)
    assert finding.expected == "401"
    assert finding.observed.startswith("no answer: GET http://broker/v2/catalog")
    assert DROPPED in finding.observed


def test_a_request_not_sent_for_lack_of_test_time_still_ends_the_test() -> None:
    def not_sent() -> BrokerResponse:
        raise TimeBoundSpent("GET /v2/catalog: not sent, the test used up its time bound")

    check = _recorder()
    with pytest.raises(TimeBoundSpent):
        answer_or_finding(check, "T-001", not_sent)
    assert check.findings == []


# -- against a broker that drops one route -----------------------------------------------------
def _results(run: SuiteRun, test_name: str) -> list[dict[str, Any]]:
    found = [r for r in run.report["results"] if f"::{test_name}" in r["nodeid"]]
    assert found, f"{test_name} did not run:\n{run.output}"
    return found


def _no_answer(findings: list[dict[str, Any]], requirement: str) -> list[dict[str, Any]]:
    return [f for f in findings if f["requirement"] == requirement
            and f["observed"].startswith("no answer: GET ") and DROPPED in f["observed"]
            and "/v2/service_instances/" in f["observed"]]


def _passed(findings: list[dict[str, Any]], requirement: str) -> list[dict[str, Any]]:
    return [f for f in findings if f["requirement"] == requirement and f["outcome"] == "PASS"]


def test_dropped_fetch_is_a_finding_and_the_other_checks_of_the_test_still_run(
    start_broker: Any, pytester: pytest.Pytester
) -> None:
    broker = start_broker(chaos="drop-fetch-instance")
    run = run_suite_inprocess(
        pytester, broker.url, "--osb-requirements=HDR-005,ERR-001,AUTH-001", "--osb-fuzz=off",
        "--osb-concurrency=1",
        *OPTIONS["drop-fetch-instance"], "--osb-test-timeout=10")
    assert run.summary["ERROR"] == 0, run.output
    assert "Traceback" not in run.output and "INTERNALERROR" not in run.output, run.output

    # SHOULD: the dropped GET is the lifecycle's ERR-010 warning; HDR-005 and CT-001 are
    # still reported on every other answer of the same test.
    lifecycles = [r for r in _results(run, "test_lifecycle_responses_echo_identity_and_are_json")
                  if _no_answer(r["findings"], "ERR-010")]
    assert lifecycles, "no lifecycle test reported the dropped GET as an ERR-010 finding"
    for result in lifecycles:
        assert {f["outcome"] for f in _no_answer(result["findings"], "ERR-010")} == {"WARN"}
        assert len(_passed(result["findings"], "HDR-005")) >= 5, result["findings"]
        assert _passed(result["findings"], "CT-001"), result["findings"]
        assert result["outcome"] == "WARN"

    # MUST: the dropped GET is a failed ERR-001 of the induced errors; the other routes are
    # still judged, and the test fails though no check raised.
    [errors] = _results(run, "test_induced_errors_are_4xx_with_well_formed_bodies")
    assert {f["outcome"] for f in _no_answer(errors["findings"], "ERR-001")} == {"FAIL"}
    assert len(_passed(errors["findings"], "ERR-001")) >= 7, errors["findings"]
    assert errors["outcome"] == "FAIL"
    assert errors["message"].startswith("[ERR-001 MUST]") and DROPPED in errors["message"]
    assert "Transcript:" in errors["message"]

    # The same in the loop over the ten routes without credentials.
    [auth] = _results(run, "test_every_route_without_credentials_is_401")
    assert {f["outcome"] for f in _no_answer(auth["findings"], "AUTH-001")} == {"FAIL"}
    assert len(_passed(auth["findings"], "AUTH-001")) == 9, auth["findings"]

    assert run.exit_code == 1, run.output
    assert run.report["leftovers"] == []
    assert broker.broker.state.live() == {"instances": [], "bindings": []}
