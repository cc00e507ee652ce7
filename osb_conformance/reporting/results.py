"""Per-test results merged from pytest's setup/call/teardown reports (also under xdist),
per-requirement outcomes from findings, the run's coverage and its verdict."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..checks import Outcome
from ..load_safety import CAPACITY_SKIP
from ..requirements import load_catalogue

NOT_EXERCISED = "NOT EXERCISED"  # a requirement no finding of this run speaks about
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
            "phases": {}, "created": {"instances": 0, "bindings": 0},
        })
        for kind, count in osb.get("created", {}).items():
            result["created"][kind] += count
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


def worst(outcomes: Any) -> str | None:
    """The most severe of some outcomes (ERROR > FAIL > WARN > INFO > PASS > N/A)."""
    ranked = [o for o in outcomes if o in _SEVERITY]
    return max(ranked, key=_SEVERITY.index) if ranked else None


def requirement_outcomes(results: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Each requirement's outcome over the run, from its own findings only, and the tests
    that name it.

    A requirement with findings of its own takes the worst of them. Without any, it is
    N/A when every test naming it was N/A (the broker does not offer what they need),
    else NOT EXERCISED: a test naming it ran but never checked it (it stopped on another
    requirement's failure, errored, or took a path that does not reach the check). The
    entry's ``reason`` says which, for both.
    """
    by_requirement: dict[str, list[dict[str, Any]]] = {}
    for result in results:
        for requirement in result["requirements"]:
            by_requirement.setdefault(requirement, []).append(result)
    return {rid: _requirement_entry(rid, named)
            for rid, named in sorted(by_requirement.items())}


def _requirement_entry(requirement: str, results: list[dict[str, Any]]) -> dict[str, Any]:
    tests = [r["nodeid"] for r in results]
    own = [o for r in results if (o := evidence(r, requirement)) is not None]
    if own:
        return {"outcome": worst(own), "tests": tests}
    if all(r["outcome"] == Outcome.NA for r in results) and not any(
            _capacity_bound(r) for r in results):
        return {"outcome": str(Outcome.NA), "tests": tests,
                "reason": _first_line(results[0]["message"]) or "not applicable"}
    unchecked = next(r for r in results if r["outcome"] != Outcome.NA or _capacity_bound(r))
    return {"outcome": NOT_EXERCISED, "tests": tests,
            "reason": _why_unchecked(unchecked)}


def evidence(result: dict[str, Any], requirement: str) -> str | None:
    """What one test's own findings say about one requirement (None: nothing)."""
    own = [f["outcome"] for f in result["findings"] if f["requirement"] == requirement]
    return worst(own) if own else None


def _capacity_bound(result: dict[str, Any]) -> bool:
    # N/A because of --osb-max-instances says nothing about the broker's features.
    return result["outcome"] == Outcome.NA and CAPACITY_SKIP in (result["message"] or "")


def _why_unchecked(result: dict[str, Any]) -> str:
    outcome, nodeid = result["outcome"], result["nodeid"]
    if outcome == Outcome.NA:
        return f"{nodeid}: {_first_line(result['message'])}"
    if outcome in (Outcome.FAIL, Outcome.ERROR):
        return (f"{nodeid} ended {outcome} before checking it: "
                f"{_first_line(result['message']) or 'no message'}")
    return f"{nodeid} ended {outcome} without reaching this check"


def _first_line(text: str | None) -> str:
    return (text or "").strip().splitlines()[0][:200] if (text or "").strip() else ""


def merged_outcome(phases: dict[str, str]) -> str:
    """One outcome from the setup/call/teardown outcomes of a test."""
    values = set(phases.values())
    for decisive in (Outcome.ERROR, Outcome.FAIL, Outcome.NA):
        if decisive in values:
            return decisive
    return phases.get("call", Outcome.PASS)


# -- the verdict ----------------------------------------------------------------------------
# Exit codes (README "Exit code"): pytest's own usage error is 4 as well, its interruption 2.
EXIT_CONFORMANT = 0
EXIT_BROKER_FAILURE = 1
EXIT_BROKER_UNREADABLE = 2  # catalog unreadable; broker stopped answering; run interrupted
EXIT_SUITE_DEFECT = 3
EXIT_USAGE = 4
EXIT_INCOMPLETE = 5  # nothing checked; certification with applicable MUSTs not exercised
CHECKED_LEVELS = ("MUST", "MUST NOT", "SHOULD", "SHOULD NOT")


@dataclass(frozen=True)
class Coverage:
    """Which of the broker's MUST/SHOULD requirements apply to this run, and which of them
    a finding speaks about.

    Applicable: broker requirements (not platform obligations, not ``untestable``) at
    MUST/SHOULD level that hold at the tested API version, unless every test naming them
    was N/A (the catalog or the broker's behaviour does not offer the feature they need,
    e.g. no bindable plan, no asynchronous plan). A requirement that no test of the run
    names (deselected, or no plan selected) stays applicable and is not exercised.
    """

    applicable: tuple[str, ...]
    exercised: tuple[str, ...]
    not_exercised: dict[str, str]  # applicable requirement -> why no finding speaks of it

    @property
    def complete(self) -> bool:
        return not self.not_exercised

    def missing_musts(self) -> dict[str, str]:
        catalogue = load_catalogue()
        return {rid: why for rid, why in self.not_exercised.items()
                if catalogue[rid].severity == "fail"}

    def phrase(self) -> str:
        return (f"{len(self.exercised)}/{len(self.applicable)} applicable MUST/SHOULD "
                f"requirements exercised")


def coverage(results: list[dict[str, Any]], api_version: str) -> Coverage:
    outcomes = requirement_outcomes(results)
    applicable, exercised, not_exercised = [], [], {}
    for requirement in load_catalogue():
        if requirement.subject != "broker" or requirement.untestable \
                or requirement.level not in CHECKED_LEVELS \
                or not requirement.applies_to(api_version):
            continue
        entry = outcomes.get(requirement.id)
        if entry is not None and entry["outcome"] == Outcome.NA:
            continue
        applicable.append(requirement.id)
        if entry is None:
            not_exercised[requirement.id] = "no test of this run names it (not selected)"
        elif entry["outcome"] == NOT_EXERCISED:
            not_exercised[requirement.id] = entry["reason"]
        else:
            exercised.append(requirement.id)
    return Coverage(tuple(applicable), tuple(exercised), not_exercised)


@dataclass(frozen=True)
class Verdict:
    """The run's verdict: its word, its coverage and the process's exit code."""

    text: str  # CONFORMANT, NOT CONFORMANT or INCOMPLETE (...)
    api_version: str
    coverage: Coverage
    exit_code: int
    note: str = ""  # what a known-deviations file adds, e.g. " (2 known MUST deviations)"

    def headline(self) -> str:
        """e.g. ``CONFORMANT (OSB API 2.17; 141/152 applicable MUST/SHOULD requirements
        exercised)``."""
        return f"{self.text}{self.note} (OSB API {self.api_version}; {self.coverage.phrase()})"


def verdict(collector: ResultCollector, api_version: str, certify: bool = False) -> Verdict:
    """The one place that decides a run's verdict and exit code."""
    counts = collector.counts()
    covered = coverage(collector.results, api_version)
    checked = sum(counts[o] for o in (Outcome.PASS, Outcome.WARN, Outcome.INFO, Outcome.KNOWN))
    if counts[Outcome.FAIL]:
        text, code = "NOT CONFORMANT", EXIT_BROKER_FAILURE
    elif counts[Outcome.ERROR]:
        text, code = "INCOMPLETE (suite error)", EXIT_SUITE_DEFECT
    elif collector.known_failures():
        # A known deviation changes the exit code, never the truth (known_deviations.py).
        text, code = "NOT CONFORMANT", EXIT_CONFORMANT
    elif collector.interrupted:
        text, code = "INCOMPLETE (interrupted)", EXIT_BROKER_UNREADABLE
    elif not checked:  # a run that checked nothing proves nothing
        text, code = "INCOMPLETE (nothing checked)", EXIT_INCOMPLETE
    elif certify and covered.missing_musts():
        text, code = "INCOMPLETE (applicable MUST requirements not exercised)", EXIT_INCOMPLETE
    else:
        text, code = "CONFORMANT", EXIT_CONFORMANT
    if collector.interrupted:  # an unfinished run says so in its exit code, whatever it found
        code = EXIT_BROKER_UNREADABLE
    return Verdict(text, api_version, covered, code)
