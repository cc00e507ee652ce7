"""The HTML report: pytest-html 4, extended through its hooks and ``extras`` only.

Adds a verdict banner, a matrix of requirements by spec area and outcome, the features
the catalog declares, the run information, four result columns (OSB outcome, requirement
IDs linked to the spec, level, service/plan) and, per test, what was checked, expected
vs observed, the HTTP transcript, a curl command and any fuzzing example.

Every string shown has been through :mod:`osb_conformance.redaction`.
"""

from __future__ import annotations

import json
from html import escape
from importlib import resources
from typing import Any

import pytest

from ..checks import Outcome
from ..redaction import redact, redact_text
from ..requirements import load_catalogue
from ..transcript import curl_command, format_exchange
from .cost import cost_lines, cost_summary
from .known import expired_entries, known_findings, stale_entries
from .results import NOT_EXERCISED, Verdict, merged_outcome, requirement_outcomes
from .run_info import run_info
from .terminal import verdict_line

OUTCOMES = [Outcome.PASS, Outcome.FAIL, Outcome.WARN, Outcome.NA, Outcome.INFO, Outcome.ERROR]
# With a known-deviations file the banner and the matrix also count KNOWN.
OUTCOMES_WITH_KNOWN = [Outcome.PASS, Outcome.FAIL, Outcome.KNOWN, Outcome.WARN, Outcome.NA,
                       Outcome.INFO, Outcome.ERROR]
_FAILING = {Outcome.FAIL, Outcome.ERROR, Outcome.WARN, Outcome.KNOWN}
PHASES_KEY = pytest.StashKey[list[tuple[str, dict[str, Any]]]]()
TITLE = "OSB conformance report"

# (column type, header) inserted after pytest-html's "Result" column.
COLUMNS = [("osboutcome", "Outcome"), ("requirement", "Requirement"), ("level", "Level"),
           ("plan", "Service/plan")]


def html_report_active(config: pytest.Config) -> bool:
    """Whether pytest-html is installed and asked for (``--html``)."""
    return config.pluginmanager.hasplugin("html") and bool(config.getoption("htmlpath", None))


class HtmlReport:
    """Registered as a plugin next to the run's other hooks when ``--html`` is given."""

    def __init__(self, run: Any) -> None:
        self.run = run

    # -- per test: the details pytest-html shows under a row (built where the test ran) --------
    @pytest.hookimpl(hookwrapper=True, tryfirst=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore[no-untyped-def]
        outcome = yield
        report = outcome.get_result()
        osb = getattr(report, "osb", None)
        if osb is None:
            return
        phases = item.stash.setdefault(PHASES_KEY, [])
        phases.append((call.when, osb))
        if call.when == "teardown":
            details = details_html(phases, self.run.settings.api_version)
            report.extras = [*getattr(report, "extras", []), _html_extra(details)]

    # -- the page --------------------------------------------------------------------------
    def pytest_html_report_title(self, report: Any) -> None:
        report.title = TITLE

    def pytest_html_results_table_header(self, cells: list[str]) -> None:
        cells[1:1] = [f'<th class="sortable" data-column-type="{kind}">{name}</th>'
                      for kind, name in COLUMNS]

    def pytest_html_results_table_row(self, report: pytest.TestReport, cells: list[str]) -> None:
        osb = getattr(report, "osb", None) or {}
        result = self._result(report.nodeid)
        outcome = result["outcome"] if result else osb.get("outcome", "")
        cells[1:1] = row_cells(osb.get("requirements", []), str(outcome),
                               osb.get("service"), osb.get("plan"),
                               self.run.settings.api_version)

    def pytest_html_results_table_html(self, report: pytest.TestReport, data: list[str]) -> None:
        # The log pytest-html shows (failure text, captured output): nothing secret in it.
        data[:] = [redact_text(text) for text in data]

    def pytest_html_results_summary(self, prefix: list[str], summary: list[str],
                                    postfix: list[str], session: pytest.Session) -> None:
        self.run.cleanup.clean_up_once()  # leftovers belong in the report
        prefix.extend(summary_sections(self.run))

    def _result(self, nodeid: str) -> dict[str, Any] | None:
        return next((r for r in self.run.results.results if r["nodeid"] == nodeid), None)


# -- summary ----------------------------------------------------------------------------------
def summary_sections(run: Any) -> list[str]:
    """Style, verdict banner, features, matrix and run information, in this order."""
    info = run_info(run)
    results = run.results.results
    return [
        f"<style>{_stylesheet()}</style>",
        verdict_banner(run.verdict(), run.results.counts(), verdict_line(run),
                       known=run.known is not None),
        leftovers_section(redact(run.leftovers)),
        cost_section(cost_lines(cost_summary(run))),
        known_section(run),
        matrix_table(requirement_outcomes(results),
                     OUTCOMES_WITH_KNOWN if run.known is not None else OUTCOMES),
        features_section(info["features"]),
        run_info_table(info),
    ]


def verdict_banner(verdict: Verdict, counts: dict[str, int], line: str, *,
                   known: bool = False) -> str:
    kind = "conformant" if verdict.text == "CONFORMANT" else "not-conformant"
    items = [("FAIL", "failures"), ("KNOWN", "known deviations"), ("WARN", "SHOULD warnings"),
             ("N/A", "not applicable"), ("INFO", "informational"), ("ERROR", "errors"),
             ("PASS", "passed")]
    if not known:
        items = [item for item in items if item[0] != "KNOWN"]
    listed = "".join(
        f'<li class="osb-count osb-{_css(o)}" data-outcome="{escape(o)}">'
        f"<b>{counts.get(o, 0)}</b> {label}</li>" for o, label in items)
    return (
        f'<div id="osb-verdict" class="osb-banner osb-{kind}" '
        f'data-verdict="{escape(verdict.text)}">'
        f'<div class="osb-verdict-text">{escape(verdict.text)}</div>'
        f'<div class="osb-verdict-version">with OSB API {escape(verdict.api_version)}; '
        f'{escape(verdict.coverage.phrase())}</div>'
        f'<ul class="osb-counts">{listed}</ul>'
        f'<code class="osb-verdict-line">{escape(line)}</code></div>'
    )


def leftovers_section(leftovers: list[dict[str, Any]]) -> str:
    if not leftovers:
        return ""
    items = "".join(f"<li>{escape(json.dumps(r, ensure_ascii=False))}</li>" for r in leftovers)
    return (f'<section id="osb-leftovers"><h3>Resources the suite could not delete</h3>'
            f"<ul>{items}</ul></section>")


def cost_section(lines: list[str]) -> str:
    """What the run cost the broker (reporting/cost.py), as the terminal says it."""
    items = "".join(f"<li>{escape(redact_text(line))}</li>" for line in lines)
    return f'<section id="osb-cost"><h3>What the run cost the broker</h3><ul>{items}</ul></section>'


def known_section(run: Any) -> str:
    """The known-deviations file's effect: covered findings, stale and expired entries."""
    if run.known is None:
        return ""
    rows = "".join(
        f'<tr class="osb-known" data-requirement="{escape(f["requirement"])}">'
        f"<td>{escape(f['requirement'])}</td><td>{escape(f['known']['was'])}</td>"
        f"<td>{escape(f['nodeid'])}</td><td>{escape(f['known']['reason'])}</td>"
        f"<td>{escape(_who(f['known']))}</td><td>{escape(f['known']['expires'])}</td></tr>"
        for f in redact(known_findings(run)))
    entries = [(f"STALE entry {s.deviation.number} {s.deviation.requirement} "
                f"({s.deviation.scope}): matched no FAIL/WARN finding (now {s.outcome_now})",
                "osb-stale") for s in stale_entries(run)]
    entries += [(f"EXPIRED entry {d.number} {d.requirement} ({d.scope}): expired {d.expires}, "
                 "covers nothing", "osb-expired") for d in expired_entries(run)]
    items = "".join(f'<li class="{kind}">{escape(redact_text(text))}</li>'
                    for text, kind in entries)
    table = ('<table id="osb-known-table"><thead><tr><th>Requirement</th><th>Was</th>'
             "<th>Test</th><th>Reason</th><th>Owner / tracking</th><th>Expires</th></tr>"
             f"</thead><tbody>{rows}</tbody></table>") if rows else \
        "<p>No finding was covered by the file.</p>"
    return (f'<section id="osb-known-section"><h3>Known deviations '
            f"({escape(redact_text(run.known.path))})</h3>{table}"
            f'{"<ul>" + items + "</ul>" if items else ""}</section>')


def _who(entry: dict[str, Any]) -> str:
    return " ".join(x for x in (entry.get("owner"), entry.get("tracking")) if x)


def matrix_table(by_requirement: dict[str, dict[str, Any]],
                 outcomes: list[Outcome] = OUTCOMES) -> str:
    """Requirements the run's tests name, by spec area (catalogue order) and outcome from
    their own findings (NOT EXERCISED: no finding)."""
    catalogue = load_catalogue()
    columns = [*outcomes, NOT_EXERCISED]
    areas: dict[str, dict[str, int]] = {}
    for requirement in catalogue:
        areas.setdefault(requirement.area, {str(o): 0 for o in columns})
    for rid, entry in by_requirement.items():
        if rid in catalogue:
            areas[catalogue[rid].area][entry["outcome"]] += 1
    head = "".join(f'<th class="osb-{_css(o)}">{escape(o)}</th>' for o in columns)
    rows = []
    for area, counts in areas.items():
        total = sum(counts.values())
        cells = "".join(
            f'<td class="{"osb-cell osb-" + _css(o) if counts[o] else "osb-zero"}" '
            f'data-outcome="{escape(o)}">{counts[o]}</td>' for o in columns)
        rows.append(f'<tr data-area="{escape(area)}" class="{"" if total else "osb-unchecked"}">'
                    f"<th>{escape(area.replace('_', ' '))}</th>{cells}<td>{total}</td></tr>")
    return (
        '<section id="osb-matrix-section"><h3>Requirements by spec area</h3>'
        '<table id="osb-matrix"><thead><tr><th>Area</th>'
        f'{head}<th>named</th></tr></thead><tbody>{"".join(rows)}</tbody></table></section>'
    )


def features_section(features: dict[str, list[str]]) -> str:
    if not features:
        chips = "<li>none declared</li>"
    else:
        chips = "".join(
            f'<li class="osb-feature" title="{escape(", ".join(plans))}">{escape(name)}</li>'
            for name, plans in features.items())
    return ('<section id="osb-features-section"><h3>Features detected in the catalog</h3>'
            f'<ul id="osb-features">{chips}</ul></section>')


def run_info_table(info: dict[str, Any]) -> str:
    libraries = ", ".join(f"{name} {version}" for name, version in info["libraries"].items()
                          if version)
    rows = [
        ("Suite version", f"osb-conformance {info['suite_version']}"),
        ("Spec version", f"OSB API {info['spec_version']}"),
        ("Broker URL", info["broker_url"]),
        ("Catalog digest", info["catalog_digest"] or "(no catalog)"),
        ("Date", info["date"]),
        ("Python", info["python"]),
        ("Libraries", libraries),
        ("Platform profile", info["platform_profile"]),
        ("Strict", "yes (SHOULD violations fail)" if info["strict"] else "no"),
        ("Command line", info["command_line"]),
    ]
    body = "".join(f'<tr><th>{escape(k)}</th><td><code>{escape(redact_text(str(v)))}</code>'
                   f"</td></tr>" for k, v in rows)
    return ('<section id="osb-run-info-section"><h3>Run information</h3>'
            f'<table id="osb-run-info">{body}</table></section>')


# -- results table ----------------------------------------------------------------------------
def row_cells(requirements: list[str], outcome: str, service: str | None, plan: str | None,
              api_version: str) -> list[str]:
    """The cells of the added columns (one line each: pytest-html parses them)."""
    catalogue = load_catalogue()
    links = " ".join(requirement_link(rid, api_version) for rid in requirements)
    levels = " ".join(sorted({catalogue[r].level for r in requirements if r in catalogue}))
    where = f"{service}/{plan}" if service and plan else "—"
    return [
        f'<td class="col-osboutcome"><span class="osb-outcome osb-{_css(outcome)}">'
        f"{escape(outcome)}</span></td>",
        f'<td class="col-requirement">{links}</td>',
        f'<td class="col-level">{escape(levels)}</td>',
        f'<td class="col-plan">{escape(where)}</td>',
    ]


def requirement_link(rid: str, api_version: str) -> str:
    catalogue = load_catalogue()
    if rid not in catalogue:
        return escape(rid)
    requirement = catalogue[rid]
    return (f'<a class="osb-req" href="{escape(requirement.url(api_version))}" target="_blank" '
            f'title="{escape(requirement.text)}">{escape(rid)}</a>')


# -- per-test details -------------------------------------------------------------------------
def details_html(phases: list[tuple[str, dict[str, Any]]], api_version: str) -> str:
    """What a reader needs under one test's row, from the ``osb`` data of its phases."""
    outcome = merged_outcome({when: osb["outcome"] for when, osb in phases})
    first = phases[0][1]
    findings = [f for _, osb in phases for f in osb["findings"]]
    parts = [
        f'<div class="osb-detail" data-outcome="{escape(outcome)}">',
        requirements_list(first["requirements"], api_version),
        findings_table(redact(findings), api_version),
        skip_note(phases),
        fuzz_sections(redact(findings)),
        failing_request(phases, outcome),
        transcript_section(phases, open_=outcome in _FAILING),
        "</div>",
    ]
    return "".join(parts)


def requirements_list(requirements: list[str], api_version: str) -> str:
    catalogue = load_catalogue()
    items = "".join(
        f"<li>{requirement_link(r, api_version)} <b>{escape(catalogue[r].level)}</b> "
        f"{escape(catalogue[r].text)}</li>" for r in requirements if r in catalogue)
    return f'<h4>What this test checks</h4><ul class="osb-requirements">{items}</ul>'


def findings_table(findings: list[dict[str, Any]], api_version: str) -> str:
    if not findings:
        return '<p class="osb-no-findings">No check recorded a finding.</p>'
    rows = "".join(
        f'<tr class="osb-finding" data-outcome="{escape(f["outcome"])}">'
        f"<td>{requirement_link(f['requirement'], api_version)}</td>"
        f"<td>{escape(f['level'])}</td>"
        f'<td><span class="osb-outcome osb-{_css(f["outcome"])}">{escape(f["outcome"])}</span>'
        f"</td><td>{escape(f['expectation'])}</td>"
        f'<td class="osb-expected">{escape(f["expected"])}</td>'
        f'<td class="osb-observed"><pre>{escape(f["observed"])}</pre></td></tr>'
        for f in findings)
    return ('<h4>Expected vs observed</h4><table class="osb-findings"><thead><tr>'
            "<th>Requirement</th><th>Level</th><th>Outcome</th><th>Expectation</th>"
            f"<th>Expected</th><th>Observed</th></tr></thead><tbody>{rows}</tbody></table>")


def skip_note(phases: list[tuple[str, dict[str, Any]]]) -> str:
    reasons = [osb["skip_reason"] for _, osb in phases if osb.get("skip_reason")]
    if not reasons:
        return ""
    return f'<p class="osb-skip">{escape(redact_text(reasons[0]))}</p>'


def fuzz_sections(findings: list[dict[str, Any]]) -> str:
    """The falsifying example and seed of fuzzing findings that carry them."""
    parts = []
    for finding in findings:
        fuzz = finding.get("fuzz")
        if not fuzz:
            continue
        example = fuzz.get("example") if isinstance(fuzz, dict) else fuzz
        seed = fuzz.get("seed") if isinstance(fuzz, dict) else None
        parts.append(
            f'<div class="osb-fuzz"><h4>Falsifying example ({escape(finding["requirement"])})'
            f'</h4><pre>{escape(json.dumps(example, indent=2, ensure_ascii=False, default=str))}'
            f"</pre>" + (f"<p>seed: <code>{escape(str(seed))}</code></p>" if seed is not None
                         else "") + "</div>")
    return "".join(parts)


def failing_request(phases: list[tuple[str, dict[str, Any]]], outcome: str) -> str:
    """A curl command for the last request of the phase that failed (or warned)."""
    if outcome not in _FAILING:
        return ""
    for _, osb in phases:
        if osb["outcome"] in _FAILING and osb["transcript"]:
            command = curl_command(osb["transcript"][-1])
            return (f'<h4>Repeat the failing request</h4><pre class="osb-curl">'
                    f"{escape(redact_text(command))}</pre>")
    return ""


def transcript_section(phases: list[tuple[str, dict[str, Any]]], *, open_: bool) -> str:
    blocks = []
    count = 0
    for when, osb in phases:
        for exchange in osb["transcript"]:
            count += 1
            blocks.append(f'<div class="osb-exchange" data-phase="{escape(when)}">'
                          f'<span class="osb-phase">{escape(when)}</span>'
                          f"<pre>{escape(redact_text(format_exchange(exchange)))}</pre></div>")
    if not blocks:
        return '<p class="osb-no-transcript">No HTTP exchange.</p>'
    return (f'<details class="osb-transcript"{" open" if open_ else ""}><summary>'
            f"HTTP transcript ({count} exchange{'s' if count != 1 else ''})</summary>"
            f'{"".join(blocks)}</details>')


def _html_extra(content: str) -> dict[str, Any]:
    return {"name": "OSB details", "format_type": "html", "extension": "html",
            "content": content, "mime_type": None}


def _css(outcome: str) -> str:
    return "NA" if outcome == Outcome.NA else outcome.replace(" ", "-")


def _stylesheet() -> str:
    return resources.files("osb_conformance.reporting").joinpath("report.css").read_text(
        encoding="utf-8")
