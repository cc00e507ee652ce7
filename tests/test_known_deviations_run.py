"""Issue 12's "done when": a broker with three deviations (three mutants at once) against
known-deviations files covering two, then all three, then after the broker fixed one."""

from __future__ import annotations

from pathlib import Path

from tests.suite_runner import SuiteRun, run_suite
from tests.test_reference_broker_cli import broker_process

DEVIATIONS = {"PROV-012": "provision-conflict-accepted", "DEP-004": "deprovision-missing-200",
              "BND-006": "bind-conflict-accepted"}
SELECTION = ("--osb-requirements=" + ",".join(DEVIATIONS), "--osb-fuzz=off")


def known_file(path: Path, requirements: list[str]) -> Path:
    path.write_text("deviations:\n" + "".join(
        f"  - requirement: {rid}\n    reason: accepted while {rid} is fixed\n"
        f"    owner: team-broker\n    expires: 2999-12-31\n" for rid in requirements),
        encoding="utf-8")
    return path


def run_against(mutants: list[str], known: Path, workdir: Path, *args: str) -> SuiteRun:
    with broker_process("--mutant", ",".join(mutants)) as url:
        return run_suite(url, workdir, *SELECTION, f"--osb-known-deviations={known}", *args)


def outcomes(run: SuiteRun) -> dict[str, str]:
    return {rid: entry["outcome"] for rid, entry in run.report["requirements"].items()
            if rid in DEVIATIONS}


def verdict(run: SuiteRun) -> str:
    return run.stdout.rstrip().splitlines()[-1]


def test_known_deviations_ratchet(tmp_path: Path) -> None:
    three = list(DEVIATIONS.values())
    two = known_file(tmp_path / "two.yaml", ["PROV-012", "DEP-004"])
    everything = known_file(tmp_path / "three.yaml", list(DEVIATIONS))

    # Two of three covered: the run fails, and only the third is a failure.
    partly = run_against(three, two, tmp_path / "two")
    assert partly.exit_code == 1, partly.output
    assert outcomes(partly) == {"PROV-012": "KNOWN", "DEP-004": "KNOWN", "BND-006": "FAIL"}
    failed_lines = [line for line in partly.stdout.splitlines() if line.startswith("FAILED ")]
    assert failed_lines and all(line.startswith("FAILED test_binding.py::")
                                for line in failed_lines), failed_lines  # BND-006's tests
    assert verdict(partly).startswith(
        "OSB-CONFORMANCE VERDICT: NOT CONFORMANT (2 known MUST deviations) (OSB API 2.17;")

    # All three covered: exit 0, and the verdict still tells the truth.
    covered = run_against(three, everything, tmp_path / "three")
    assert covered.exit_code == 0, covered.output
    assert verdict(covered).startswith(
        "OSB-CONFORMANCE VERDICT: NOT CONFORMANT (3 known MUST deviations; exit 0 by "
        "known-deviations file)")
    assert covered.report["verdict"] == "NOT CONFORMANT"
    assert covered.report["known_deviations"]["exit_zero_by_file"] is True

    # The broker fixed DEP-004: its entry is stale; --osb-strict-known makes that fail.
    fixed = [DEVIATIONS["PROV-012"], DEVIATIONS["BND-006"]]
    after_fix = run_against(fixed, everything, tmp_path / "fixed")
    assert after_fix.exit_code == 0, after_fix.output
    assert outcomes(after_fix)["DEP-004"] == "PASS"
    stale = after_fix.report["known_deviations"]["stale"]
    assert [(s["requirement"], s["outcome_now"]) for s in stale] == [("DEP-004", "PASS")]
    assert "STALE entry 2 DEP-004 (everywhere)" in after_fix.stdout
    assert "1 stale known-deviation entry" in verdict(after_fix)
    strict = run_against(fixed, everything, tmp_path / "strict", "--osb-strict-known")
    assert strict.exit_code == 1, strict.output
    assert "exit 1 by --osb-strict-known" in verdict(strict)
