"""The short Markdown report (``--osb-report-md=PATH``): for a CI job summary or a comment.

Verdict and coverage, failures by requirement with expected and observed, SHOULD warnings,
known and stale deviations, the resources the run created, and a link to the HTML report.
It is a digest: the HTML and JSON reports hold the transcripts. Redacted like every report.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ..checks import Outcome
from ..redaction import redact, redact_text
from ..requirements import load_catalogue
from .known import expired_entries, known_findings, stale_entries
from .results import requirement_outcomes
from .terminal import verdict_line

MAX_REQUIREMENTS = 50  # per list: a job summary must stay short (GitHub caps it at 1 MiB)
MAX_TEXT = 300
OUTCOME_ORDER = ("FAIL", "ERROR", "KNOWN", "WARN", "PASS", "INFO", "N/A")


def write_markdown_report(path: str, run: Any, html_path: str | None = None) -> None:
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(render_markdown(run, html_path), encoding="utf-8")


def render_markdown(run: Any, html_path: str | None = None) -> str:
    """The whole document; every line has been through redaction."""
    by_requirement = requirement_outcomes(run.results.results)
    sections = [
        _verdict(run, by_requirement),
        _failures(run, by_requirement),
        _warnings(run, by_requirement),
        _known(run),
        _resources(run),
        f"Full report: [{Path(html_path).name}]({html_path})\n" if html_path else "",
    ]
    return redact_text("\n".join(s for s in sections if s))


def _verdict(run: Any, by_requirement: dict[str, dict[str, Any]]) -> str:
    counts = run.results.counts()
    tests = ", ".join(f"{o} {counts[o]}" for o in OUTCOME_ORDER if counts.get(o))
    per_outcome: dict[str, int] = {}
    for entry in by_requirement.values():
        per_outcome[entry["outcome"]] = per_outcome.get(entry["outcome"], 0) + 1
    requirements = ", ".join(f"{o} {per_outcome[o]}" for o in OUTCOME_ORDER
                             if per_outcome.get(o))
    decided = run.verdict()
    return (f"## OSB conformance: {decided.text}{decided.note}\n\n"
            f"`{verdict_line(run)}`\n\n"
            f"- Broker API version: OSB API {run.settings.api_version}\n"
            f"- Coverage: {decided.coverage.phrase()}\n"
            f"- Tests: {tests or 'none'}\n"
            f"- Requirement outcomes: {requirements or 'none'}\n")


def _failures(run: Any, by_requirement: dict[str, dict[str, Any]]) -> str:
    failing = [rid for rid, e in by_requirement.items()
               if e["outcome"] in (Outcome.FAIL, Outcome.ERROR)]
    if not failing:
        return ""
    catalogue = load_catalogue()
    lines = [f"### Failures by requirement ({len(failing)})\n"]
    for rid in failing[:MAX_REQUIREMENTS]:
        entry = by_requirement[rid]
        text = catalogue[rid].text if rid in catalogue else ""
        level = catalogue[rid].level if rid in catalogue else "?"
        lines.append(f"- **{rid}** ({level}, {entry['outcome']}): {_text(text)}")
        finding = _first_finding(run, rid, (Outcome.FAIL,))
        if finding:
            lines.append(f"  - expected: {_code(finding['expected'])}")
            lines.append(f"  - observed: {_code(finding['observed'])}")
        else:
            message = _message(run, entry["tests"])
            if message:
                lines.append(f"  - {_code(message)}")
        lines.append(f"  - tests: {_tests(entry['tests'])}")
    lines += _more(failing)
    return "\n".join(lines) + "\n"


def _warnings(run: Any, by_requirement: dict[str, dict[str, Any]]) -> str:
    warned = [rid for rid, e in by_requirement.items() if e["outcome"] == Outcome.WARN]
    if not warned:
        return ""
    lines = [f"### SHOULD warnings ({len(warned)})\n",
             "| requirement | expected | observed |", "| --- | --- | --- |"]
    for rid in warned[:MAX_REQUIREMENTS]:
        finding = _first_finding(run, rid, (Outcome.WARN,)) or {}
        lines.append(f"| {rid} | {_cell(finding.get('expected', ''))} "
                     f"| {_cell(finding.get('observed', ''))} |")
    lines += _more(warned)
    return "\n".join(lines) + "\n"


def _known(run: Any) -> str:
    if run.known is None:
        return ""
    known, stale, expired = known_findings(run), stale_entries(run), expired_entries(run)
    lines = [f"### Known deviations (`{_plain(run.known.path)}`)\n"]
    if known:
        lines += ["| requirement | was | where | reason | owner / tracking | expires |",
                  "| --- | --- | --- | --- | --- | --- |"]
        for key, group in _group_known(known).items():
            rid, was, where = key
            entry = group[0]["known"]
            who = " ".join(x for x in (entry.get("owner"), entry.get("tracking")) if x)
            lines.append(f"| {rid} | {was} | {_cell(where)} ({len(group)} test"
                         f"{'s' if len(group) != 1 else ''}) | {_cell(entry['reason'])} "
                         f"| {_cell(who)} | {entry['expires']} |")
    else:
        lines.append("No finding was covered by the file.")
    if stale:
        lines += ["", f"**Stale entries ({len(stale)})**: they matched no FAIL/WARN finding; "
                      "remove them" + (" (they fail this run: `--osb-strict-known`)"
                                       if run.settings.strict_known else "") + ":", ""]
        lines += [f"- entry {s.deviation.number}: {s.deviation.requirement} "
                  f"({_plain(s.deviation.scope)}), now {s.outcome_now}" for s in stale]
    if expired:
        lines += ["", f"**Expired entries ({len(expired)})** cover nothing:", ""]
        lines += [f"- entry {d.number}: {d.requirement} ({_plain(d.scope)}), expired "
                  f"{d.expires}, {_plain(d.who)}" for d in expired]
    return "\n".join(lines) + "\n"


def _group_known(known: list[dict[str, Any]]) -> dict[tuple[str, str, str], list[dict]]:
    groups: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for finding in known:
        where = f"{finding['service']}/{finding['plan']}" if finding["plan"] else "-"
        key = (finding["requirement"], finding["known"]["was"], where)
        groups.setdefault(key, []).append(finding)
    return groups


def _resources(run: Any) -> str:
    created = run.ledger.created_count()
    leftovers = redact(run.leftovers)
    if not leftovers:
        return (f"### Resources\n\n{created} instance(s)/binding(s) created here; "
                f"everything the suite created was deleted.\n")
    kept = run.settings.keep_resources
    lines = [f"### Resources\n\n{len(leftovers)} resource(s) "
             + ("KEPT on purpose (`--osb-keep-resources`)" if kept else "could NOT be deleted")
             + ":\n"]
    lines += [f"- {r['kind']} instance_id `{r['instance_id']}` binding_id "
              f"`{r.get('binding_id')}` plan {_plain(str(r.get('plan_label')))}: "
              f"{_plain(str(r['problem']))}" for r in leftovers[:MAX_REQUIREMENTS]]
    return "\n".join(lines) + "\n"


# -- helpers ----------------------------------------------------------------------------------
def _first_finding(run: Any, rid: str, outcomes: Iterable[str]) -> dict[str, Any] | None:
    wanted = set(outcomes)
    return next((f for r in run.results.results for f in r["findings"]
                 if f["requirement"] == rid and f["outcome"] in wanted), None)


def _message(run: Any, nodeids: list[str]) -> str:
    for result in run.results.results:
        if result["nodeid"] in nodeids and result["message"]:
            return result["message"].strip().splitlines()[0]
    return ""


def _tests(nodeids: list[str]) -> str:
    names = [f"`{n.rpartition('::')[2]}`" for n in nodeids[:3]]
    return ", ".join(names) + (f" and {len(nodeids) - 3} more" if len(nodeids) > 3 else "")


def _more(items: list[str]) -> list[str]:
    extra = len(items) - MAX_REQUIREMENTS
    return [f"\n…and {extra} more (see the HTML or JSON report)"] if extra > 0 else []


def _shorten(text: str) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= MAX_TEXT else text[:MAX_TEXT - 1] + "…"


def _plain(text: str) -> str:
    """Text that Markdown shows as written (no markup, no HTML)."""
    return _shorten(text).replace("<", "&lt;").replace(">", "&gt;")


def _text(text: str) -> str:
    return _plain(text).replace("*", "\\*").replace("_", "\\_")


def _cell(text: str) -> str:
    return _plain(text).replace("|", "\\|")


def _code(text: str) -> str:
    # A code span cannot hold a backtick run as long as its fences; use a longer fence.
    shortened = _shorten(text)
    fence = "``" if "`" in shortened else "`"
    return f"{fence} {shortened} {fence}" if fence == "``" else f"`{shortened}`"
