"""Known deviations: reading and validating the file, matching findings, expiry, stale
entries, the verdict note, the file generator and the Markdown report."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from osb_conformance.cli import main
from osb_conformance.known_deviations import (
    InvalidKnownDeviations,
    file_for_report,
    load_known_deviations,
    mark_known,
)
from osb_conformance.redaction import REDACTOR
from osb_conformance.reference_broker.mutants import MUTANTS, combine
from osb_conformance.reporting.known import stale_entries, verdict_note
from osb_conformance.reporting.markdown import render_markdown
from osb_conformance.reporting.results import ResultCollector, verdict
from osb_conformance.run import ConformanceRun
from osb_conformance.settings import RunConfig

TODAY = dt.date(2025, 6, 1)
ENTRIES = """\
deviations:
  - requirement: PROV-012
    reason: legacy clients rely on 200
    owner: team-db
    expires: 2025-12-31
  - requirement: DEP-004
    service: reference-db
    plan: sync
    reason: fixed in 2.0
    tracking: https://issues.example/42
    expires: 2025-06-01
  - requirement: BND-006
    reason: long gone
    owner: team-db
    expires: 2025-05-31
"""


def write(tmp_path: Path, text: str, name: str = "known.yaml") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def finding(requirement: str, outcome: str, level: str = "MUST") -> dict[str, Any]:
    return {"requirement": requirement, "level": level, "outcome": outcome,
            "expectation": "the rule", "expected": "409 Conflict", "observed": "200 {}"}


# -- reading --------------------------------------------------------------------------------
def test_yaml_file_is_read_with_dates_and_scope(tmp_path: Path) -> None:
    known = load_known_deviations(write(tmp_path, ENTRIES), TODAY)
    assert [d.requirement for d in known.entries] == ["PROV-012", "DEP-004", "BND-006"]
    assert known.entries[1].scope == "reference-db/sync"
    assert known.entries[0].expires == dt.date(2025, 12, 31)
    assert [d.requirement for d in known.live] == ["PROV-012", "DEP-004"]  # last day counts
    assert [d.requirement for d in known.expired] == ["BND-006"]


def test_json_file_is_read(tmp_path: Path) -> None:
    data = {"deviations": [{"requirement": "PROV-012", "reason": "r", "tracking": "t",
                            "expires": "2030-01-01"}]}
    known = load_known_deviations(write(tmp_path, json.dumps(data), "known.json"), TODAY)
    assert known.entries[0].tracking == "t"


@pytest.mark.parametrize("entry, message", [
    ("  - {requirement: PROV-012, owner: o, expires: 2030-01-01}",
     "entry 2 (PROV-012): 'reason' is a required property"),
    ("  - {requirement: PROV-012, reason: r, expires: 2030-01-01}",
     "entry 2 (PROV-012): needs an owner or a tracking link"),
    ("  - {requirement: NOPE-999, reason: r, owner: o, expires: 2030-01-01}",
     "entry 2 (NOPE-999): unknown requirement ID"),
    ("  - {requirement: PROV-012, reason: r, owner: o, expires: '2030-13-01'}",
     "entry 2 (PROV-012): expires '2030-13-01' is not a date"),
    ("  - {requirement: PROV-012, reason: r, owner: o, expires: 2030-01-01, plan: ''}",
     "entry 2 (PROV-012): plan:"),
    ("  - {requirement: PROV-012, reason: r, owner: o, expires: 2030-01-01, color: red}",
     "entry 2 (PROV-012): Additional properties are not allowed"),
])
def test_invalid_entries_name_file_and_entry(tmp_path: Path, entry: str, message: str) -> None:
    text = ("deviations:\n  - {requirement: DEP-004, reason: r, owner: o, expires: 2030-01-01}\n"
            + entry + "\n")
    path = write(tmp_path, text)
    with pytest.raises(InvalidKnownDeviations) as error:
        load_known_deviations(path, TODAY)
    assert str(error.value).startswith(path) and message in str(error.value)


def test_unreadable_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(InvalidKnownDeviations, match="cannot read"):
        load_known_deviations(str(tmp_path / "absent.yaml"))
    with pytest.raises(InvalidKnownDeviations, match="'deviations' is a required property"):
        load_known_deviations(write(tmp_path, "entries: []\n"))


def test_config_file_key_is_read_relative_to_the_config(tmp_path: Path) -> None:
    config = tmp_path / "ci" / "osb.yaml"
    config.parent.mkdir()
    config.write_text("known_deviations: known.yaml\n", encoding="utf-8")
    assert RunConfig.load(str(config)).known_deviations == str(tmp_path / "ci" / "known.yaml")


# -- matching -------------------------------------------------------------------------------
def test_live_entries_cover_fail_and_warn_in_scope(tmp_path: Path) -> None:
    known = load_known_deviations(write(tmp_path, ENTRIES), TODAY)
    findings = [finding("PROV-012", "FAIL"), finding("PROV-012", "PASS"),
                finding("DEP-004", "WARN", "SHOULD")]
    assert mark_known(findings, known, "reference-db", "sync")
    assert [f["outcome"] for f in findings] == ["KNOWN", "PASS", "KNOWN"]
    assert findings[0]["known"]["was"] == "FAIL" and findings[0]["known"]["entry"] == 1
    assert findings[2]["known"]["was"] == "WARN"


def test_scope_and_expiry_limit_coverage(tmp_path: Path) -> None:
    known = load_known_deviations(write(tmp_path, ENTRIES), TODAY)
    other_plan = [finding("DEP-004", "FAIL")]
    assert not mark_known(other_plan, known, "reference-db", "async")
    no_plan = [finding("DEP-004", "FAIL")]
    assert not mark_known(no_plan, known, None, None)
    expired = [finding("BND-006", "FAIL")]
    assert not mark_known(expired, known, "reference-db", "sync")
    assert expired[0]["outcome"] == "FAIL"
    assert not mark_known([finding("PROV-012", "FAIL")], None, None, None)


# -- what the run says: results, stale entries, verdict ----------------------------------------
def report(nodeid: str, findings: list[dict[str, Any]], outcome: str, plan: str = "sync"):
    return SimpleNamespace(nodeid=nodeid, when="call", duration=0.1, failed=outcome == "FAIL",
                           skipped=False, longrepr=None, osb={
                               "requirements": sorted({f["requirement"] for f in findings}),
                               "findings": findings, "transcript": [],
                               "service": "reference-db", "plan": plan, "outcome": outcome,
                               "skip_reason": None})


def fake_run(known: Any, results: ResultCollector, *, strict_known: bool = False) -> Any:
    run = SimpleNamespace(
        known=known, results=results, leftovers=[],
        settings=SimpleNamespace(api_version="2.17", strict_known=strict_known,
                                 keep_resources=False, certify=False),
        ledger=SimpleNamespace(created_count=lambda: 3))
    run.verdict = lambda: ConformanceRun.verdict(run)  # type: ignore[arg-type]
    return run


def collected(known: Any, *entries: tuple[str, list[dict[str, Any]]]) -> ResultCollector:
    results = ResultCollector()
    for nodeid, findings in entries:
        mark_known(findings, known, "reference-db", "sync")
        outcome = "FAIL" if any(f["outcome"] == "FAIL" for f in findings) else \
            "KNOWN" if any(f["outcome"] == "KNOWN" for f in findings) else "PASS"
        results.add(report(nodeid, findings, outcome))
    return results


def test_known_must_keeps_verdict_and_passes_by_file(tmp_path: Path) -> None:
    known = load_known_deviations(write(tmp_path, ENTRIES), TODAY)
    results = collected(known, ("t1", [finding("PROV-012", "FAIL")]),
                        ("t2", [finding("DEP-004", "PASS")]))
    run = fake_run(known, results)
    decided = verdict(results, "2.17")
    assert (decided.text, decided.exit_code) == ("NOT CONFORMANT", 0)  # exit 0 by the file
    assert results.counts()["KNOWN"] == 1 and results.counts()["FAIL"] == 0
    stale = stale_entries(run)
    assert [(s.deviation.requirement, s.outcome_now) for s in stale] == [("DEP-004", "PASS")]
    assert verdict_note(run) == (" (1 known MUST deviation; 1 stale known-deviation entry; "
                                 "exit 0 by known-deviations file)")
    strict = fake_run(known, results, strict_known=True)
    assert verdict_note(strict).endswith("exit 1 by --osb-strict-known)")


def test_uncovered_failure_keeps_exit_and_note(tmp_path: Path) -> None:
    known = load_known_deviations(write(tmp_path, ENTRIES), TODAY)
    results = collected(known, ("t1", [finding("PROV-012", "FAIL")]),
                        ("t2", [finding("DEP-004", "FAIL")]),
                        ("t3", [finding("BND-006", "FAIL")]))
    run = fake_run(known, results)
    assert results.counts()["FAIL"] == 1  # BND-006: its entry expired
    assert verdict_note(run) == " (2 known MUST deviations)"
    assert not stale_entries(run)


def test_known_should_alone_is_conformant(tmp_path: Path) -> None:
    text = ("deviations:\n  - {requirement: BND-018B, reason: r, owner: o, "
            "expires: 2030-01-01}\n")
    known = load_known_deviations(write(tmp_path, text), TODAY)
    results = collected(known, ("t1", [finding("BND-018B", "WARN", "SHOULD")]))
    assert verdict(results, "2.17").text == "CONFORMANT"
    assert verdict_note(fake_run(known, results)) == " (1 known SHOULD deviation)"


# -- generator ------------------------------------------------------------------------------
def json_report(*results: dict[str, Any]) -> dict[str, Any]:
    return {"format": 1, "verdict": "NOT CONFORMANT", "results": list(results)}


def result(nodeid: str, plan: str | None, findings: list[dict[str, Any]],
           outcome: str = "FAIL") -> dict[str, Any]:
    return {"nodeid": nodeid, "service": "reference-db" if plan else None, "plan": plan,
            "outcome": outcome, "findings": findings, "requirements": []}


def test_generated_file_covers_the_report_and_loads(tmp_path: Path) -> None:
    data = json_report(
        result("a[sync]", "sync", [finding("PROV-012", "FAIL")]),
        result("a[async]", "async", [finding("PROV-012", "FAIL")]),
        result("b[sync]", "sync", [finding("DEP-004", "FAIL")]),
        result("b[async]", "async", [finding("DEP-004", "PASS")], "PASS"),
        result("c", None, [finding("BND-018B", "WARN", "SHOULD")], "WARN"),
        result("d[sync]", "sync", [], "FAIL"),
    )
    text = file_for_report(data, TODAY)
    known = load_known_deviations(write(tmp_path, text), TODAY)
    scopes = {(d.requirement, d.scope) for d in known.entries}
    assert scopes == {("BND-018B", "everywhere"), ("DEP-004", "reference-db/sync"),
                      ("PROV-012", "everywhere")}
    assert all(d.expires == dt.date(2025, 8, 30) for d in known.entries)  # 90 days
    assert "observed 200 {}" in text and "TODO" in text
    assert "1 failing test(s) have no finding to cover" in text


def test_cli_prints_the_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "report.json"
    path.write_text(json.dumps(json_report(result("a", None, [finding("PROV-012", "FAIL")]))))
    assert main(["known-deviations", str(path), "--days", "30", "--owner", "team-db"]) == 0
    out = capsys.readouterr().out
    known = load_known_deviations(write(tmp_path, out))
    assert known.entries[0].owner == "team-db"
    assert known.entries[0].expires == dt.datetime.now(dt.UTC).date() + dt.timedelta(days=30)
    assert main(["known-deviations", str(tmp_path / "absent.json")]) == 2


def test_clean_report_gives_an_empty_list(tmp_path: Path) -> None:
    text = file_for_report(json_report(result("a", None, [finding("PROV-012", "PASS")],
                                              "PASS")), TODAY)
    assert load_known_deviations(write(tmp_path, text), TODAY).entries == ()


# -- Markdown report ------------------------------------------------------------------------
def test_markdown_report_lists_failures_known_and_stale(tmp_path: Path) -> None:
    secret = "s3cret-PLANTED-md-91"
    REDACTOR.add_literals([secret])
    known = load_known_deviations(write(tmp_path, ENTRIES), TODAY)
    failing = finding("BND-006", "FAIL")
    failing["observed"] = f"201 {{'password': '{secret}', 'note': 'a|b'}}"
    results = collected(known, ("test_x.py::t1[reference-db/sync]", [finding("PROV-012", "FAIL")]),
                        ("test_x.py::t2[reference-db/sync]", [failing]))
    text = render_markdown(fake_run(known, results), "reports/report.html")
    assert text.startswith("## OSB conformance: NOT CONFORMANT (1 known MUST deviation")
    # BND-006 fails (its entry expired): no "exit 0 by known-deviations file".
    assert "`OSB-CONFORMANCE VERDICT: NOT CONFORMANT (1 known MUST deviation; 1 stale " \
           "known-deviation entry) (OSB API 2.17;" in text
    assert "### Failures by requirement (1)" in text and "**BND-006** (MUST, FAIL)" in text
    assert "expected: `409 Conflict`" in text
    assert "| PROV-012 | FAIL | reference-db/sync (1 test) | legacy clients rely on 200 " \
           "| team-db | 2025-12-31 |" in text
    assert "entry 2: DEP-004 (reference-db/sync), now not checked" in text
    assert "**Expired entries (1)**" in text and "entry 3: BND-006" in text
    assert "3 instance(s)/binding(s) created here" in text
    assert "Full report: [report.html](reports/report.html)" in text
    assert secret not in text


def test_markdown_report_of_a_clean_run_is_short() -> None:
    results = ResultCollector()
    results.add(report("t1", [finding("PROV-012", "PASS")], "PASS"))
    text = render_markdown(fake_run(None, results))
    assert "CONFORMANT" in text and "Failures" not in text and "Known deviations" not in text
    assert "Full report" not in text


# -- plumbing -------------------------------------------------------------------------------
def test_mutants_combine() -> None:
    both = combine("provision-conflict-accepted,deprovision-missing-200")
    assert both.violates == ("PROV-012", "DEP-004")
    assert combine("provision-conflict-accepted") is MUTANTS["provision-conflict-accepted"]


def test_invalid_file_is_a_usage_error(pytester: pytest.Pytester) -> None:
    bad = pytester.path / "known.yaml"
    bad.write_text("deviations:\n  - {requirement: PROV-012, reason: r, expires: 2030-01-01}\n")
    result = pytester.runpytest_inprocess("--broker-url=reference",
                                          f"--osb-known-deviations={bad}")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    errors = "\n".join(result.errlines)
    assert f"--osb-known-deviations: {bad}: entry 1 (PROV-012): needs an owner" in errors


def test_certification_refuses_a_known_deviations_file(pytester: pytest.Pytester) -> None:
    known = pytester.path / "known.yaml"
    known.write_text(ENTRIES)
    product = pytester.path / "PRODUCT.yaml"
    product.write_text("vendor: V\nname: N\nversion: 1\nwebsite: w\ncontact: c\n")
    result = pytester.runpytest_inprocess("--broker-url=reference", "--osb-certify",
                                          f"--osb-product={product}",
                                          f"--osb-known-deviations={known}")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "a known-deviations file waives findings" in "\n".join(result.errlines)
