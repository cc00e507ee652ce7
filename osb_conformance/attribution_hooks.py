"""Outcome attribution: each test report carries its findings, transcript and OSB outcome,
and failures read as expected/observed plus the redacted transcript."""

from __future__ import annotations

from typing import Any

import pytest

from .catalog import Plan
from .checks import CheckRecorder, Finding, Outcome, overall_outcome
from .errors import BrokerError, ConformanceFailure
from .known_deviations import mark_known
from .redaction import redact_text
from .requirements import load_catalogue
from .selection import requirement_ids
from .transcript import format_transcript

FAILING = (Outcome.FAIL, Outcome.ERROR)  # a finding with this outcome fails its test
RECORDER_KEY = pytest.StashKey[CheckRecorder]()
PLATFORM_KEY = pytest.StashKey[Any]()
CALL_OUTCOME_KEY = pytest.StashKey[str]()  # the OSB outcome of the test's call phase


class AttributionHooks:
    """Registered as a plugin object for the duration of a conformance run."""

    def __init__(self, run: Any) -> None:
        self.run = run

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        self.run.client.take_exchanges()  # the transcript starts with the test
        self._created_before = self.run.client.stats.created_counts()

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore[no-untyped-def]
        outcome = yield
        report: pytest.TestReport = outcome.get_result()
        recorder = item.stash.get(RECORDER_KEY, None)
        findings = [f.to_dict() for f in recorder.findings] if recorder else []
        if recorder and call.when == "call":
            recorder.findings = []  # each finding goes into exactly one report
        elif call.when != "call":
            findings = []
        exchanges = [e.redacted() for e in self.run.client.take_exchanges()]
        instances, bindings = self.run.client.stats.created_counts()
        before = getattr(self, "_created_before", (instances, bindings))
        self._created_before = (instances, bindings)  # each phase reports its own share
        errored = _is_error(call)
        _rewrite_longrepr(report, call, exchanges, findings)
        if call.when == "call":
            fail_on_failed_findings(report, findings, exchanges)
        report.sections = [(name, redact_text(text)) for name, text in report.sections]
        plan = item.callspec.params.get("plan") if hasattr(item, "callspec") else None
        service_name = plan.service.name if isinstance(plan, Plan) else None
        plan_name = plan.name if isinstance(plan, Plan) else None
        ids = sorted(requirement_ids(item))
        # The one place a known deviation changes an outcome: the findings it covers become
        # KNOWN, and a test that failed on nothing else ends like pytest's expected failure.
        covered = mark_known(findings, self.run.known, service_name, plan_name)
        waived = covered and _failed_only_on_known(report, call, findings)
        outcome = overall_outcome(findings, "passed" if waived else report.outcome, errored)
        if waived:
            _as_expected_failure(report, findings)
        report.osb = {
            "requirements": ids,
            "findings": findings,
            "transcript": exchanges,
            "service": service_name,
            "plan": plan_name,
            "outcome": str(outcome),
            "skip_reason": _skip_reason(report),
            "created": {"instances": instances - before[0], "bindings": bindings - before[1]},
        }
        if call.when == "call":
            item.stash[CALL_OUTCOME_KEY] = report.osb["outcome"]
        if call.when == "call" or (call.when == "setup" and report.outcome != "passed"):
            levels = sorted({load_catalogue()[i].level for i in ids})
            properties = [("requirements", " ".join(ids)), ("levels", " ".join(levels)),
                          ("outcome", report.osb["outcome"]), *_known_properties(findings)]
            report.user_properties += properties
            # junitxml writes the properties of the teardown report, made from the item's.
            item.user_properties += properties

    def pytest_report_teststatus(self, report: pytest.TestReport, config: pytest.Config):  # type: ignore[no-untyped-def]
        osb = getattr(report, "osb", None)
        if report.when == "call" and osb and osb["outcome"] == Outcome.WARN:
            return "warned", "W", ("WARN", {"yellow": True})
        if report.when == "call" and osb and osb["outcome"] == Outcome.KNOWN:
            return "known", "K", ("KNOWN", {"yellow": True})
        return None

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self.run.results.add(report)


def _is_error(call: pytest.CallInfo[None]) -> bool:
    """An exception that is neither the broker's fault nor a skip: a defect of the suite."""
    if call.excinfo is None:
        return False
    return not call.excinfo.errisinstance(
        (ConformanceFailure, BrokerError, pytest.skip.Exception, KeyboardInterrupt))


def _failed_only_on_known(report: pytest.TestReport, call: pytest.CallInfo[None],
                          findings: list[dict[str, Any]]) -> bool:
    """The test failed on a check whose finding is now KNOWN, and on nothing else."""
    return report.failed and call.excinfo is not None \
        and call.excinfo.errisinstance(ConformanceFailure) \
        and not any(f["outcome"] == Outcome.FAIL for f in findings) \
        and any(f.get("known", {}).get("was") == Outcome.FAIL for f in findings)


def _as_expected_failure(report: pytest.TestReport, findings: list[dict[str, Any]]) -> None:
    """A waived failure is reported the way pytest reports an xfail: skipped, with
    ``wasxfail`` as the reason (JUnit: ``<skipped type="pytest.xfail" message=...>``),
    so it fails neither pytest's exit code nor a JUnit consumer's build."""
    report.outcome = "skipped"
    report.wasxfail = redact_text("; ".join(_known_reason(f) for f in findings if "known" in f))


def _known_reason(finding: dict[str, Any]) -> str:
    known = finding["known"]
    who = " ".join(x for x in (known["owner"], known["tracking"]) if x)
    return (f"known deviation {finding['requirement']} ({known['was']}): {known['reason']} "
            f"[{who}; expires {known['expires']}]")


def _known_properties(findings: list[dict[str, Any]]) -> list[tuple[str, str]]:
    reasons = [_known_reason(f) for f in findings if "known" in f]
    return [("known_deviations", redact_text("; ".join(reasons)))] if reasons else []


def _rewrite_longrepr(
    report: pytest.TestReport, call: pytest.CallInfo[None], exchanges: list[dict[str, Any]],
    findings: list[dict[str, Any]],
) -> None:
    """Failures read as expected/observed plus transcript; nothing secret survives."""
    if report.outcome != "failed" or call.excinfo is None:
        return
    if call.excinfo.errisinstance((ConformanceFailure, BrokerError)):
        kind = "" if call.excinfo.errisinstance(ConformanceFailure) else "broker error: "
        text = kind + str(call.excinfo.value)
        raised = getattr(call.excinfo.value, "finding", None)
        earlier = [f for f in _failed(findings) if raised is None or f != raised.to_dict()]
        if earlier:  # recorded without ending the test (check.also, a dropped connection)
            text += "\n\nAlso failed:\n" + _describe(earlier)
        report.longrepr = redact_text(text + _transcript_text(exchanges))
    else:
        report.longrepr = redact_text(str(report.longrepr))


def fail_on_failed_findings(
    report: pytest.TestReport, findings: list[dict[str, Any]], exchanges: list[dict[str, Any]]
) -> None:
    """A call that pytest saw pass, but with a FAIL (or ERROR) finding recorded without
    raising (``check.also``, a transport failure graded as a finding), fails: the test's
    outcome, exit code and reports follow its findings. The message lists those findings
    as expected/observed plus the transcript, like any other failure."""
    failed = _failed(findings)
    if report.outcome != "passed" or not failed:
        return
    report.outcome = "failed"
    report.longrepr = redact_text(_describe(failed) + _transcript_text(exchanges))


def _failed(findings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [f for f in findings if f["outcome"] in FAILING]


def _describe(findings: list[dict[str, Any]]) -> str:
    return "\n".join(Finding(**f).describe() for f in findings)


def _transcript_text(exchanges: list[dict[str, Any]]) -> str:
    return "\n\nTranscript:\n" + format_transcript(exchanges) if exchanges else ""


def _skip_reason(report: pytest.TestReport) -> str | None:
    if report.skipped and hasattr(report, "wasxfail"):
        return str(report.wasxfail)
    if report.skipped and isinstance(report.longrepr, tuple):
        return str(report.longrepr[2])
    return None
