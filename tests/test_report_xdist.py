"""With ``-n 2`` (pytest-xdist) the reports hold the same results as a serial run, and only
the controller writes them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.report_runs import html_test_data, parse_html, reference_run

# Requirements from several areas, with failures (the mutant violates PROV-012).
REQUIREMENTS = "PROV-001,PROV-012,BND-001,BND-006,DEP-004,CAT-003,AUTH-001"


def comparable(report: dict[str, Any]) -> dict[str, Any]:
    """What must not depend on how the run was spread over processes."""
    results = {
        r["nodeid"]: (r["outcome"], tuple(r["requirements"]), r["service"], r["plan"],
                      frozenset((f["requirement"], f["outcome"]) for f in r["findings"]))
        for r in report["results"]}
    requirements = {rid: e["outcome"] for rid, e in report["requirements"].items()}
    return {"results": results, "summary": report["summary"], "verdict": report["verdict"],
            "requirements": requirements, "leftovers": report["leftovers"]}


def test_parallel_reports_equal_serial_ones(start_broker, tmp_path: Path) -> None:
    broker = start_broker(mutant="provision-conflict-accepted")
    runs = {}
    for name, extra in (("serial", []), ("parallel", ["-n", "2"])):
        workdir = tmp_path / name
        runs[name] = (reference_run(workdir, broker.url, f"--osb-requirements={REQUIREMENTS}",
                                    f"--html={workdir / 'report.html'}",
                                    f"--junitxml={workdir / 'junit.xml'}", *extra), workdir)
    serial, parallel = runs["serial"][0], runs["parallel"][0]
    assert len(serial["results"]) >= 8 and serial["summary"]["FAIL"] >= 1
    assert comparable(parallel) == comparable(serial)

    # The controller wrote the HTML and JUnit with every test (no worker overwrote them).
    for report, workdir in runs.values():
        rows = html_test_data(parse_html((workdir / "report.html").read_text()))["tests"]
        assert set(rows) == {r["nodeid"] for r in report["results"]}
        assert (workdir / "junit.xml").read_text().count("<testcase ") == len(report["results"])
    assert broker.broker.state.live() == {"instances": [], "bindings": []}
