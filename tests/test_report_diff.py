"""``osb-conformance diff OLD.json NEW.json``: per requirement, what regressed, was fixed or
is new; exit 1 on regressions."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

from osb_conformance.cli import diff_reports, main
from tests.suite_runner import run_suite_inprocess

REQUIREMENTS = "PROV-001,PROV-012"


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "osb_conformance.cli", *args],
                          capture_output=True, text=True, timeout=60)


def test_diff_of_a_clean_and_a_mutant_run(start_broker, pytester: pytest.Pytester,
                                          tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    paths = {}
    for name, mutant in (("clean", None), ("mutant", "provision-conflict-accepted")):
        run = run_suite_inprocess(pytester, start_broker(mutant=mutant).url,
                                  f"--osb-requirements={REQUIREMENTS}")
        assert run.report, run.output
        paths[name] = tmp_path / f"{name}.json"
        paths[name].write_text(json.dumps(run.report))

    done = cli("diff", str(paths["clean"]), str(paths["mutant"]))
    assert done.returncode == 1, done.stdout + done.stderr
    regressed = [line for line in done.stdout.splitlines() if line.startswith("REGRESSED")]
    assert len(regressed) == 1 and "PROV-012" in regressed[0]
    assert "PASS -> FAIL" in regressed[0] and "MUST" in regressed[0]
    assert "test_provision_with_other_attributes_is_409" in regressed[0]
    assert "1 regressed, 0 fixed" in done.stdout
    assert "CONFORMANT" in done.stdout and "NOT CONFORMANT" in done.stdout

    capsys.readouterr()
    assert main(["diff", str(paths["mutant"]), str(paths["clean"])]) == 0  # the way back
    out = capsys.readouterr().out
    assert any(line.startswith("FIXED") and "PROV-012" in line and "FAIL -> PASS" in line
               for line in out.splitlines())


def report(**outcomes: str) -> dict:
    return {"verdict": "CONFORMANT", "run": {}, "results": [],
            "requirements": {rid: {"level": "MUST", "outcome": o, "tests": [f"t::{rid}"]}
                             for rid, o in outcomes.items()}}


def test_every_kind_of_change() -> None:
    old = report(**{"A-001": "PASS", "A-002": "FAIL", "A-003": "PASS", "A-004": "WARN",
                    "A-005": "PASS", "A-006": "PASS"})
    new = report(**{"A-001": "WARN", "A-002": "PASS", "A-004": "FAIL", "A-005": "N/A",
                    "A-006": "PASS", "A-007": "FAIL"})
    kinds = {c.requirement: c.kind for c in diff_reports(old, new)}
    assert kinds == {"A-001": "REGRESSED", "A-002": "FIXED", "A-003": "GONE",
                     "A-004": "REGRESSED", "A-005": "CHANGED", "A-007": "NEW"}
    assert [c.kind for c in diff_reports(old, new)][:2] == ["REGRESSED", "REGRESSED"]


def test_reports_without_requirement_section_are_read_from_results() -> None:
    result = {"nodeid": "t", "requirements": ["A-001"], "outcome": "FAIL",
              "findings": [{"requirement": "A-001", "level": "MUST", "outcome": "FAIL"}]}
    old = report(**{"A-001": "PASS"})
    new = {"verdict": "NOT CONFORMANT", "run": {}, "results": [result]}
    assert [(c.kind, c.level) for c in diff_reports(old, new)] == [("REGRESSED", "MUST")]


def test_unreadable_report_is_a_usage_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("[]")
    done = cli("diff", str(bad), str(bad))
    assert done.returncode == 2 and "not an osb-conformance JSON report" in done.stderr


def test_console_script_is_declared() -> None:
    scripts = {e.name: e.value for e in metadata.entry_points(group="console_scripts")}
    assert scripts.get("osb-conformance") == "osb_conformance.cli:main"
