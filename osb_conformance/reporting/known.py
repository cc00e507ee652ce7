"""What a run says about its known-deviations file: which findings were KNOWN, which entries
are STALE (they matched no finding) or expired, and the part of the verdict they add.

Every report (terminal, HTML, JSON, Markdown) takes these from here, so they agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from ..checks import Outcome
from ..known_deviations import Deviation
from ..redaction import redact_text
from ..requirements import load_catalogue
from .results import requirement_outcomes


@dataclass(frozen=True)
class StaleEntry:
    """A live entry no finding matched: the deviation is gone (or was not checked)."""

    deviation: Deviation
    outcome_now: str  # the requirement's outcome in this run, or "not checked"


def known_findings(run: Any) -> list[dict[str, Any]]:
    return run.results.known()


def stale_entries(run: Any) -> list[StaleEntry]:
    if run.known is None:
        return []
    used = {f["known"]["entry"] for f in known_findings(run)}
    outcomes = requirement_outcomes(run.results.results)
    return [StaleEntry(d, outcomes.get(d.requirement, {}).get("outcome", "not checked"))
            for d in run.known.live if d.number not in used]


def expired_entries(run: Any) -> list[Deviation]:
    return run.known.expired if run.known is not None else []


def exit_zero_by_file(run: Any) -> bool:
    """Whether the run passes only because the file waived its failures."""
    counts = run.results.counts()
    return bool(run.results.known_failures()) and not counts[Outcome.FAIL] \
        and not counts[Outcome.ERROR] and not stale_fails_run(run) \
        and not run.results.interrupted


def stale_fails_run(run: Any) -> bool:
    return run.settings.strict_known and bool(stale_entries(run))


def exit_status(run: Any, exitstatus: int) -> int:
    """``--osb-strict-known``: a run that would pass fails when an entry is stale."""
    if exitstatus == pytest.ExitCode.OK and stale_fails_run(run):
        return pytest.ExitCode.TESTS_FAILED
    return exitstatus


def verdict_note(run: Any) -> str:
    """What the file adds to the verdict, e.g. ``(2 known MUST deviations; exit 0 by
    known-deviations file)``; empty without a file."""
    if run.known is None:
        return ""
    catalogue = load_catalogue()
    parts = []
    for level in ("MUST", "SHOULD"):
        ids = {f["requirement"] for f in known_findings(run)
               if catalogue[f["requirement"]].level.startswith(level)}
        if ids:
            parts.append(f"{len(ids)} known {level} deviation{'s' if len(ids) != 1 else ''}")
    stale = len(stale_entries(run))
    if stale:
        parts.append(f"{stale} stale known-deviation entr{'ies' if stale != 1 else 'y'}")
    if stale_fails_run(run):
        parts.append("exit 1 by --osb-strict-known")
    elif exit_zero_by_file(run):
        parts.append("exit 0 by known-deviations file")
    return f" ({'; '.join(parts)})" if parts else ""


def json_section(run: Any) -> dict[str, Any] | None:
    """The ``known_deviations`` part of the JSON report (None without a file)."""
    if run.known is None:
        return None
    return {
        "file": run.known.path,
        "today": run.known.today.isoformat(),
        "note": verdict_note(run).strip(" ()"),
        "exit_zero_by_file": exit_zero_by_file(run),
        "known": [{"requirement": f["requirement"], "level": f["level"],
                   "was": f["known"]["was"], "nodeid": f["nodeid"], "service": f["service"],
                   "plan": f["plan"], "entry": f["known"]} for f in known_findings(run)],
        "stale": [{**s.deviation.to_dict(), "outcome_now": s.outcome_now}
                  for s in stale_entries(run)],
        "expired": [d.to_dict() for d in expired_entries(run)],
    }


def write_terminal_section(terminal: Any, run: Any) -> None:
    """The known deviations, stale and expired entries, after the SHOULD warnings."""
    if run.known is None:
        return
    known, stale, expired = known_findings(run), stale_entries(run), expired_entries(run)
    terminal.section(f"OSB known deviations ({run.known.path})", sep="-", yellow=True)
    for finding in known:
        entry = finding["known"]
        terminal.line(redact_text(
            f"KNOWN {finding['requirement']} ({finding['level']}, was {entry['was']}) "
            f"{finding['nodeid']}: {entry['reason']} [{_who(entry)}; expires "
            f"{entry['expires']}]; expected {finding['expected']}, observed "
            f"{finding['observed']}"))
    for item in stale:
        d = item.deviation
        terminal.line(redact_text(
            f"STALE entry {d.number} {d.requirement} ({d.scope}): matched no FAIL/WARN finding "
            f"(requirement {item.outcome_now} in this run): remove it"), yellow=True,
            red=run.settings.strict_known)
    for d in expired:
        terminal.line(redact_text(
            f"EXPIRED entry {d.number} {d.requirement} ({d.scope}): expired {d.expires}, "
            f"covers nothing [{d.who}]"), red=True)
    if not (known or stale or expired):
        terminal.line("no finding was covered and every entry is live")


def _who(entry: dict[str, Any]) -> str:
    return " ".join(x for x in (entry.get("owner"), entry.get("tracking")) if x)
