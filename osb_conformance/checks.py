"""Checks and their grading: the level is looked up where a check is called.

A scenario calls ``check("PROV-001", status == 201, expected=..., observed=...)``.
The requirement's level in the catalogue decides what a violation does:
MUST fails the test at once, SHOULD records a warning (and fails under
``--osb-strict``), MAY records what the broker did as information.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any

from .errors import ConformanceFailure, SuiteError
from .redaction import redact_text
from .requirements import RequirementCatalogue


class Outcome(StrEnum):
    """A check's outcome as reports show it."""

    PASS = "PASS"
    FAIL = "FAIL"
    WARN = "WARN"
    NA = "N/A"
    INFO = "INFO"
    ERROR = "ERROR"
    KNOWN = "KNOWN"  # a FAIL or WARN a known-deviations entry covers (known_deviations.py)


@dataclass
class Finding:
    """What one check call found."""

    requirement: str
    level: str
    outcome: str
    expectation: str
    expected: str
    observed: str

    def describe(self) -> str:
        return (
            f"[{self.requirement} {self.level}] {self.expectation}\n"
            f"  expected: {self.expected}\n"
            f"  observed: {self.observed}"
        )

    def to_dict(self) -> dict[str, Any]:
        # plain str, not the enum: xdist (execnet) cannot serialize enums in reports
        return {**asdict(self), "outcome": str(self.outcome)}


class CheckRecorder:
    """The ``check`` fixture: records findings of one test and grades violations."""

    def __init__(
        self, catalogue: RequirementCatalogue, declared: set[str], *, strict: bool,
        api_version: str,
    ) -> None:
        self.catalogue = catalogue
        self.declared = declared
        self.strict = strict
        self.api_version = api_version
        self.findings: list[Finding] = []

    def __call__(
        self, requirement_id: str, ok: bool, *, expected: str, observed: Any,
        expectation: str | None = None,
    ) -> bool:
        """Record one check; raise :class:`ConformanceFailure` when it must fail the test.

        Returns whether the broker met the requirement, so a scenario can branch on it.
        """
        requirement = self._requirement(requirement_id)
        finding = Finding(
            requirement=requirement_id, level=requirement.level,
            outcome=self._outcome(requirement.severity, ok, requirement_id),
            expectation=expectation or requirement.text, expected=expected,
            observed=redact_text(str(observed)),
        )
        self.findings.append(finding)
        if finding.outcome == Outcome.FAIL:
            raise ConformanceFailure(finding)
        return ok

    def also(
        self, requirement_id: str, ok: bool, *, expected: str, observed: Any,
    ) -> None:
        """Record a finding without raising, so the test goes on: a SHOULD that accompanies
        the MUST checked right after it (one observation breaking both reports both), or a
        request that got no answer while other checks do not need it. A FAIL recorded this
        way still fails the test when it ends (``attribution_hooks``).
        """
        requirement = self._requirement(requirement_id)
        self.findings.append(Finding(
            requirement=requirement_id, level=requirement.level,
            outcome=self._outcome(requirement.severity, ok, requirement_id),
            expectation=requirement.text, expected=expected, observed=redact_text(str(observed)),
        ))

    def not_exercised(self, requirement_id: str, reason: str) -> None:
        """Record that this test could not judge the requirement, and why (N/A, never PASS)."""
        requirement = self._requirement(requirement_id)
        self.findings.append(Finding(
            requirement=requirement_id, level=requirement.level, outcome=Outcome.NA,
            expectation=requirement.text, expected="(not exercised)",
            observed=redact_text(f"not exercised: {reason}"),
        ))

    def info(self, requirement_id: str, observed: Any, expectation: str | None = None) -> None:
        """Record what the broker did where the spec leaves it open (never fails)."""
        requirement = self._requirement(requirement_id)
        self.findings.append(Finding(
            requirement=requirement_id, level=requirement.level, outcome=Outcome.INFO,
            expectation=expectation or requirement.text, expected="(any: recorded only)",
            observed=redact_text(str(observed)),
        ))

    def not_applicable(self, requirement_id: str, reason: str) -> None:
        """Record that the broker gave this check no occasion: the requirement is about a
        behaviour the broker does not show (e.g. it never refuses, never sends
        ``Retry-After``). The requirement is then N/A, not "not exercised"."""
        requirement = self._requirement(requirement_id)
        self.findings.append(Finding(
            requirement=requirement_id, level=requirement.level, outcome=Outcome.NA,
            expectation=requirement.text, expected="(not applicable)",
            observed=redact_text(reason),
        ))

    def not_applicable_unless_checked(self, reason: str, *requirement_ids: str) -> None:
        """At a scenario's end: each of these requirements that no check reached (its
        condition never arose) is N/A for ``reason``."""
        checked = {f.requirement for f in self.findings}
        for requirement_id in requirement_ids:
            if requirement_id not in checked:
                self.not_applicable(requirement_id, reason)

    def _outcome(self, severity: str, ok: bool, requirement_id: str) -> str:
        if not self.catalogue[requirement_id].applies_to(self.api_version):
            return Outcome.NA
        if severity == "info":
            return Outcome.INFO
        if ok:
            return Outcome.PASS
        if severity == "fail" or self.strict:
            return Outcome.FAIL
        return Outcome.WARN

    def _requirement(self, requirement_id: str):  # type: ignore[no-untyped-def]
        if requirement_id not in self.catalogue:
            raise SuiteError(f"check names unknown requirement {requirement_id!r}")
        if requirement_id not in self.declared:
            raise SuiteError(
                f"check names {requirement_id} but the test's requirement marker does not"
            )
        return self.catalogue[requirement_id]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.outcome == Outcome.WARN]


def overall_outcome(findings: list[dict[str, Any]], pytest_outcome: str, errored: bool) -> str:
    """The test's outcome from its findings and how pytest saw it end."""
    if errored:
        return Outcome.ERROR
    if pytest_outcome == "skipped":
        return Outcome.NA
    if pytest_outcome == "failed":
        return Outcome.FAIL
    outcomes = {f["outcome"] for f in findings}
    if Outcome.WARN in outcomes:
        return Outcome.WARN
    if Outcome.KNOWN in outcomes:
        return Outcome.KNOWN
    if outcomes == {Outcome.NA}:
        return Outcome.NA  # every check found nothing to judge
    if outcomes and outcomes <= {Outcome.INFO, Outcome.NA}:
        return Outcome.INFO
    return Outcome.PASS
