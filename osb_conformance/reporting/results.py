"""Per-test results merged from pytest's setup/call/teardown reports (also under xdist)."""

from __future__ import annotations

from typing import Any

from ..checks import Outcome

_SEVERITY = [Outcome.NA, Outcome.PASS, Outcome.INFO, Outcome.WARN, Outcome.FAIL, Outcome.ERROR]


class ResultCollector:
    """Collects the ``osb`` data that each test report carries."""

    def __init__(self) -> None:
        self._by_nodeid: dict[str, dict[str, Any]] = {}

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

    def verdict(self) -> str:
        counts = self.counts()
        failed = counts[Outcome.FAIL] or counts[Outcome.ERROR]
        return "NOT CONFORMANT" if failed else "CONFORMANT"


def merged_outcome(phases: dict[str, str]) -> str:
    """One outcome from the setup/call/teardown outcomes of a test."""
    values = set(phases.values())
    for decisive in (Outcome.ERROR, Outcome.FAIL, Outcome.NA):
        if decisive in values:
            return decisive
    return phases.get("call", Outcome.PASS)
