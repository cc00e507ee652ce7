"""Per-test results merged from pytest's setup/call/teardown reports (also under xdist)."""

from __future__ import annotations

from typing import Any

from ..checks import Outcome

_SEVERITY = [Outcome.NA, Outcome.PASS, Outcome.INFO, Outcome.KNOWN, Outcome.WARN, Outcome.FAIL,
             Outcome.ERROR]


class ResultCollector:
    """Collects the ``osb`` data that each test report carries."""

    def __init__(self) -> None:
        self._by_nodeid: dict[str, dict[str, Any]] = {}
        self.interrupted = False  # Ctrl-C or SIGTERM: the run did not finish

    def add(self, report: Any) -> None:
        osb = getattr(report, "osb", None)
        if osb is None:
            return
        result = self._by_nodeid.setdefault(report.nodeid, {
            "nodeid": report.nodeid, "requirements": osb["requirements"],
            "service": osb["service"], "plan": osb["plan"], "outcome": Outcome.PASS,
            "findings": [], "transcript": [], "message": None, "duration": 0.0,
            "phases": {},
        })
        result["findings"] += osb["findings"]
        result["transcript"] += osb["transcript"]
        result["duration"] += getattr(report, "duration", 0.0)
        result["phases"][report.when] = osb["outcome"]
        result["outcome"] = merged_outcome(result["phases"])
        if report.failed and result["message"] is None:
            result["message"] = str(report.longrepr)
        if report.skipped and result["message"] is None:
            result["message"] = osb["skip_reason"]

    @property
    def results(self) -> list[dict[str, Any]]:
        return list(self._by_nodeid.values())

    def counts(self) -> dict[str, int]:
        counts = {str(o): 0 for o in _SEVERITY}
        for result in self.results:
            counts[str(result["outcome"])] += 1
        return counts

    def warnings(self) -> list[dict[str, Any]]:
        return [f | {"nodeid": r["nodeid"]} for r in self.results for f in r["findings"]
                if f["outcome"] == Outcome.WARN]

    def known(self) -> list[dict[str, Any]]:
        """Findings a known-deviations entry covers, each with its test's nodeid."""
        return [f | {"nodeid": r["nodeid"], "service": r["service"], "plan": r["plan"]}
                for r in self.results for f in r["findings"] if f["outcome"] == Outcome.KNOWN]

    def known_failures(self) -> list[dict[str, Any]]:
        """Known findings that would have failed the run (a MUST, or a SHOULD under strict)."""
        return [f for f in self.known() if f["known"]["was"] == Outcome.FAIL]

    def verdict(self) -> str:
        counts = self.counts()
        # A known deviation changes the exit code, never the truth (known_deviations.py).
        failed = counts[Outcome.FAIL] or counts[Outcome.ERROR] or self.known_failures()
        if failed:
            return "NOT CONFORMANT"
        if self.interrupted:
            return "INCOMPLETE (interrupted)"
        # A run that checked nothing proves nothing (e.g. everything deselected or N/A).
        checked = sum(counts[o] for o in (Outcome.PASS, Outcome.WARN, Outcome.INFO,
                                          Outcome.KNOWN))
        return "CONFORMANT" if checked else "INCOMPLETE (nothing checked)"


def worst(outcomes: Any) -> str | None:
    """The most severe of some outcomes (ERROR > FAIL > WARN > INFO > PASS > N/A)."""
    ranked = [o for o in outcomes if o in _SEVERITY]
    return max(ranked, key=_SEVERITY.index) if ranked else None


def requirement_outcomes(results: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Each requirement's outcome over the run, and the tests that gave it.

    A test's findings for a requirement decide; without such a finding the test's own
    outcome counts, except when the test stopped on another requirement's failure (the
    requirement was then never reached, so that test is no evidence about it).
    """
    outcomes: dict[str, dict[str, Any]] = {}
    for result in results:
        for requirement in result["requirements"]:
            outcome = evidence(result, requirement)
            if outcome is None:
                continue
            entry = outcomes.setdefault(requirement, {"outcome": outcome, "tests": []})
            entry["outcome"] = worst([entry["outcome"], outcome])
            entry["tests"].append(result["nodeid"])
    return dict(sorted(outcomes.items()))


def evidence(result: dict[str, Any], requirement: str) -> str | None:
    """What one test says about one requirement (None: nothing)."""
    own = [f["outcome"] for f in result["findings"] if f["requirement"] == requirement]
    if own:
        return worst(own)
    others_failed = any(f["outcome"] == Outcome.FAIL
                        or f.get("known", {}).get("was") == Outcome.FAIL
                        for f in result["findings"])
    if result["outcome"] in (Outcome.FAIL, Outcome.KNOWN) and others_failed:
        return None
    if result["outcome"] == Outcome.KNOWN:  # known for another requirement, not this one
        return str(Outcome.PASS)
    return str(result["outcome"])


def merged_outcome(phases: dict[str, str]) -> str:
    """One outcome from the setup/call/teardown outcomes of a test."""
    values = set(phases.values())
    for decisive in (Outcome.ERROR, Outcome.FAIL, Outcome.NA):
        if decisive in values:
            return decisive
    return phases.get("call", Outcome.PASS)
