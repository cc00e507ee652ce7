"""Known deviations: findings a team has accepted for now, each with an owner and an expiry.

A file (``--osb-known-deviations=FILE`` or the ``known_deviations`` key of ``--osb-config``,
schema ``specs/known-deviations.schema.json``) lists entries. A FAIL or WARN finding that a
live entry covers becomes KNOWN: it no longer fails the run, yet it is reported everywhere a
failure is, and a MUST that is only known keeps the verdict NOT CONFORMANT. An expired entry
covers nothing. This module reads, validates and matches; :func:`mark_known` is the one place
a finding's outcome changes.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from .checks import Outcome
from .requirements import load_catalogue

COVERABLE = (Outcome.FAIL, Outcome.WARN)


class InvalidKnownDeviations(ValueError):
    """The file cannot be read or does not follow the schema (a usage error)."""


@dataclass(frozen=True)
class Deviation:
    """One entry of the file; ``number`` is its 1-based position, for messages."""

    number: int
    requirement: str
    reason: str
    expires: dt.date
    owner: str | None = None
    tracking: str | None = None
    service: str | None = None
    plan: str | None = None

    def expired(self, today: dt.date) -> bool:
        """The expiry date is the last day the entry covers anything."""
        return today > self.expires

    def in_scope(self, service: str | None, plan: str | None) -> bool:
        return (self.service is None or self.service == service) and \
            (self.plan is None or self.plan == plan)

    @property
    def scope(self) -> str:
        if self.service is None and self.plan is None:
            return "everywhere"
        return f"{self.service or '*'}/{self.plan or '*'}"

    @property
    def who(self) -> str:
        return " ".join(x for x in (self.owner, self.tracking) if x)

    def to_dict(self) -> dict[str, Any]:
        """What a covered finding carries about its entry (plain data: xdist sends it)."""
        return {"entry": self.number, "requirement": self.requirement, "reason": self.reason,
                "expires": self.expires.isoformat(), "owner": self.owner,
                "tracking": self.tracking, "service": self.service, "plan": self.plan}


@dataclass(frozen=True)
class KnownDeviations:
    """The entries of one file, and the day the run judges their expiry by."""

    path: str
    entries: tuple[Deviation, ...]
    today: dt.date

    @property
    def live(self) -> list[Deviation]:
        return [d for d in self.entries if not d.expired(self.today)]

    @property
    def expired(self) -> list[Deviation]:
        return [d for d in self.entries if d.expired(self.today)]

    def covering(self, requirement: str, service: str | None,
                 plan: str | None) -> Deviation | None:
        """The first live entry that covers a finding of ``requirement`` in this scope."""
        return next((d for d in self.live if d.requirement == requirement
                     and d.in_scope(service, plan)), None)


def mark_known(findings: list[dict[str, Any]], known: KnownDeviations | None,
               service: str | None, plan: str | None) -> bool:
    """Turn the FAIL/WARN findings a live entry covers into KNOWN (in place).

    The finding keeps what it was under ``known["was"]``, so the verdict can still tell a
    known MUST deviation from a known SHOULD one. Returns whether anything was covered.
    """
    covered = False
    for finding in findings if known else []:
        if finding["outcome"] not in COVERABLE:
            continue
        entry = known.covering(finding["requirement"], service, plan)  # type: ignore[union-attr]
        if entry is not None:
            finding["known"] = {**entry.to_dict(), "was": str(finding["outcome"])}
            finding["outcome"] = str(Outcome.KNOWN)
            covered = True
    return covered


def load_known_deviations(path: str, today: dt.date | None = None) -> KnownDeviations:
    """Read and validate a YAML or JSON file; errors name the file and the entry."""
    data = _read(path)
    _validate(path, data)
    catalogue = load_catalogue()
    entries = []
    for number, raw in enumerate(data["deviations"], start=1):
        where = f"{path}: entry {number} ({raw['requirement']})"
        if raw["requirement"] not in catalogue:
            raise InvalidKnownDeviations(
                f"{where}: unknown requirement ID (see specs/requirements.yaml)")
        try:
            expires = dt.date.fromisoformat(raw["expires"])
        except ValueError:
            raise InvalidKnownDeviations(
                f"{where}: expires {raw['expires']!r} is not a date (YYYY-MM-DD)") from None
        entries.append(Deviation(
            number=number, requirement=raw["requirement"], reason=raw["reason"].strip(),
            expires=expires, owner=raw.get("owner"), tracking=raw.get("tracking"),
            service=raw.get("service"), plan=raw.get("plan")))
    return KnownDeviations(path, tuple(entries), today or dt.datetime.now(dt.UTC).date())


def _read(path: str) -> Any:
    try:
        text = Path(path).read_text(encoding="utf-8")
        data = json.loads(text) if path.endswith(".json") else yaml.safe_load(text)
    except (OSError, ValueError, yaml.YAMLError) as exc:
        raise InvalidKnownDeviations(f"{path}: cannot read: {exc}") from None
    return _dates_as_text(data)


def _dates_as_text(data: Any) -> Any:
    """YAML reads ``2025-01-31`` as a date; the schema (shared with JSON) wants text."""
    if isinstance(data, dict):
        return {k: _dates_as_text(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_dates_as_text(v) for v in data]
    if isinstance(data, dt.date):
        return data.isoformat()[:10]
    return data


def _validate(path: str, data: Any) -> None:
    import jsonschema  # deferred: only runs that use a file pay for it

    validator = jsonschema.Draft202012Validator(schema())
    errors = sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
    if not errors:
        return
    error = errors[0]
    place = list(error.absolute_path)
    if len(place) >= 2 and place[0] == "deviations" and isinstance(place[1], int):
        entry = data["deviations"][place[1]]
        rid = entry.get("requirement", "?") if isinstance(entry, dict) else "?"
        where = f"{path}: entry {place[1] + 1} ({rid})"
    else:
        where = path
    message = error.message
    if error.validator == "anyOf" and place[:1] == ["deviations"]:
        message = "needs an owner or a tracking link"
    field = ".".join(str(p) for p in place[2:])
    raise InvalidKnownDeviations(f"{where}: {field + ': ' if field else ''}{message}")


@functools.cache
def schema() -> dict[str, Any]:
    text = resources.files("osb_conformance.specs").joinpath(
        "known-deviations.schema.json").read_text(encoding="utf-8")
    return json.loads(text)


# -- writing a first file from a report ---------------------------------------------------------
GENERATED_DAYS = 90
PLACEHOLDER_REASON = "TODO: why this deviation is accepted for now"
PLACEHOLDER_OWNER = "TODO: owner (team or person) or set tracking: <issue link> instead"


def file_for_report(report: dict[str, Any], today: dt.date, *, days: int = GENERATED_DAYS,
                    owner: str | None = None) -> str:
    """A known-deviations file (YAML) covering a JSON report's FAIL, WARN and KNOWN findings.

    An entry is scoped to a service/plan when only some of the report's plans showed the
    deviation, so a regression on another plan still fails. Failures without a finding
    (the broker answered something unusable, or the suite broke) cannot be covered; a comment
    counts them.
    """
    catalogue = load_catalogue()
    expires = (today + dt.timedelta(days=days)).isoformat()
    all_plans = {(r["service"], r["plan"]) for r in report.get("results", []) if r["plan"]}
    lines = [
        "# osb-conformance known deviations (specs/known-deviations.schema.json)",
        f"# Written {today.isoformat()} from a report; every entry expires {expires}.",
        "# Replace each TODO: a reason, and an owner or a tracking link. Then fix the findings",
        "# one by one: an entry no finding matches any more is reported STALE; delete it.",
        "deviations:",
    ]
    entries = _entries(report)
    for requirement, scopes in entries.items():
        level = catalogue[requirement].level if requirement in catalogue else "?"
        text = catalogue[requirement].text if requirement in catalogue else ""
        everywhere = (None, None) in scopes or set(scopes) >= all_plans
        targets = [(None, None)] if everywhere else sorted(scopes)
        for service, plan in targets:
            example = scopes.get((service, plan)) or next(iter(scopes.values()))
            lines += [f"  # {level}: {_one_line(text)}",
                      f"  # seen: expected {_one_line(example['expected'])}; "
                      f"observed {_one_line(example['observed'])}",
                      f"  - requirement: {requirement}"]
            if service is not None:
                lines += [f"    service: {json.dumps(service)}", f"    plan: {json.dumps(plan)}"]
            lines += [f"    reason: {json.dumps(PLACEHOLDER_REASON)}",
                      f"    owner: {json.dumps(owner or PLACEHOLDER_OWNER)}",
                      f"    expires: {expires}"]
    if not entries:
        lines[-1] = "deviations: []  # the report has no FAIL or WARN finding"
    uncovered = [r for r in report.get("results", []) if r["outcome"] in ("FAIL", "ERROR")
                 and not any(f["outcome"] in COVERABLE for f in r["findings"])]
    if uncovered:
        lines.append(f"# {len(uncovered)} failing test(s) have no finding to cover (broker "
                     "errors or suite errors), e.g. " + uncovered[0]["nodeid"])
    return "\n".join(lines) + "\n"


def _entries(report: dict[str, Any]) -> dict[str, dict[tuple[Any, Any], dict[str, Any]]]:
    """Requirement -> (service, plan) -> one finding seen there (plan-less tests: None)."""
    entries: dict[str, dict[tuple[Any, Any], dict[str, Any]]] = {}
    for result in report.get("results", []):
        scope = (result["service"], result["plan"]) if result["plan"] else (None, None)
        for finding in result["findings"]:
            if finding["outcome"] in (*COVERABLE, Outcome.KNOWN):
                entries.setdefault(finding["requirement"], {}).setdefault(scope, finding)
    return dict(sorted(entries.items()))


def _one_line(text: str, limit: int = 120) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[:limit - 1] + "…"
