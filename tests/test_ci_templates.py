"""The CI templates run as written: the GitHub Action's shell steps and the GitLab job's
script lines, against a reference broker process on 127.0.0.1.

The GitHub runner pastes ``${{ ... }}`` expressions into a step's ``env`` and ``run`` text
before bash sees it, runs ``bash --noprofile --norc -eo pipefail`` on the script, collects
``name=value`` lines from ``$GITHUB_OUTPUT`` as the step's outputs and appends
``$GITHUB_STEP_SUMMARY`` to the job page; a step without ``if: always()`` is skipped once one
has failed. :func:`run_action` does the same. Steps that ``uses:`` another action
(setup-python, upload-artifact) cannot run here: their ``with:`` values are checked instead.

The install step (``pip install "${{ github.action_path }}"``) is not run: this package is
already installed (editable) in the test environment, and installing it again would build
a wheel (setuptools from PyPI) and change the environment under the running tests. The test
checks that the step installs from the action's own path. The GitLab ``before_script``
(``pip install osb-conformance``) is left out for the same reason.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from tests.suite_runner import clean_environment
from tests.test_reference_broker_cli import broker_process

ROOT = Path(__file__).resolve().parent.parent
ACTION = ROOT / "action.yml"
GITLAB = ROOT / "docs" / "ci" / "gitlab-ci.yml"
EXPRESSION = re.compile(r"\$\{\{\s*(.+?)\s*\}\}")
PASSWORD = "pw-PLANTED-ci-7c41d2"
MUTANT = "provision-conflict-accepted"  # violates PROV-012 (MUST)
QUICK = "--osb-requirements=PROV-012,PROV-001 --osb-poll-interval=0.05"
KNOWN_PROV_012 = ("deviations:\n  - requirement: PROV-012\n    reason: kept for old clients\n"
                  "    owner: team-db\n    expires: 2999-12-31\n")


@dataclass
class ActionRun:
    workspace: Path
    summary: str
    failed: bool
    outputs: dict[str, dict[str, str]]
    uses: dict[str, dict[str, str]] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)

    def report_file(self, name: str) -> Path:
        return self.workspace / "osb-conformance-reports" / name


def shell_environment(**extra: str) -> dict[str, str]:
    """A CI-like environment: this venv's python first on PATH, no OSB_* leaking in."""
    env = {k: v for k, v in clean_environment().items() if not k.startswith("OSB_")}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return {**env, **extra}


# -- the GitHub runner, as far as a composite action needs it ----------------------------------
def evaluate(expression: str, context: dict[str, Any]) -> str:
    """The expressions action.yml uses: inputs.X, github.X, steps.ID.outputs.X."""
    head, _, rest = expression.partition(".")
    if head == "inputs":
        return context["inputs"][rest]
    if head == "github":
        return context["github"][rest]
    if head == "steps":
        step_id, _, output = rest.partition(".outputs.")
        return context["steps"].get(step_id, {}).get(output, "")
    raise AssertionError(f"action.yml uses an expression this runner stand-in lacks: {expression}")


def substitute(text: str, context: dict[str, Any]) -> str:
    return EXPRESSION.sub(lambda m: evaluate(m.group(1), context), str(text))


def run_action(workspace: Path, inputs: dict[str, str]) -> ActionRun:
    action = yaml.safe_load(ACTION.read_text(encoding="utf-8"))
    declared = action["inputs"]
    missing = [n for n, spec in declared.items() if spec.get("required") and n not in inputs]
    assert not missing and set(inputs) <= set(declared), (missing, set(inputs) - set(declared))
    context: dict[str, Any] = {
        "inputs": {n: str(spec.get("default", "")) for n, spec in declared.items()} | inputs,
        "github": {"action_path": str(ROOT), "workspace": str(workspace)},
        "steps": {},
    }
    summary, output = workspace / "step_summary.md", workspace / "github_output"
    summary.write_text("", encoding="utf-8")
    run = ActionRun(workspace, "", failed=False, outputs=context["steps"])
    for number, step in enumerate(action["runs"]["steps"]):
        if run.failed and step.get("if") != "always()":
            run.skipped.append(step["name"])
            continue
        if "uses" in step:
            run.uses[step["uses"]] = {k: substitute(v, context)
                                      for k, v in (step.get("with") or {}).items()}
            continue
        if step["name"] == "Install osb-conformance":  # see the module docstring
            assert 'pip install' in step["run"] and "${{ github.action_path }}" in step["run"]
            continue
        assert step["shell"] == "bash"
        script = workspace / f"step{number}.sh"
        script.write_text(substitute(step["run"], context), encoding="utf-8")
        output.write_text("", encoding="utf-8")
        env = shell_environment(
            GITHUB_OUTPUT=str(output), GITHUB_STEP_SUMMARY=str(summary),
            GITHUB_WORKSPACE=str(workspace), GITHUB_ACTION_PATH=str(ROOT),
            GITHUB_REPOSITORY="example/broker", GITHUB_RUN_ID="42",
            GITHUB_SERVER_URL="https://github.com",
            **{k: substitute(v, context) for k, v in (step.get("env") or {}).items()})
        completed = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)], cwd=workspace,
            env=env, capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL)
        if "id" in step:
            context["steps"][step["id"]] = dict(
                line.split("=", 1) for line in output.read_text().splitlines() if "=" in line)
        if completed.returncode != 0:
            run.failed = True
    run.summary = summary.read_text(encoding="utf-8")
    return run


def test_action_runs_the_suite_and_writes_reports_and_summary(tmp_path: Path) -> None:
    known = tmp_path / "known.yaml"
    known.write_text(KNOWN_PROV_012, encoding="utf-8")
    inputs = {"username": "admin", "password": PASSWORD, "fuzz": "off", "pytest-args": QUICK}
    (tmp_path / "waived").mkdir()
    (tmp_path / "failing").mkdir()
    with broker_process("--mutant", MUTANT, "--password", PASSWORD) as url:
        waived = run_action(tmp_path / "waived",
                            {"broker-url": url, **inputs, "known-deviations": str(known)})
        failing = run_action(tmp_path / "failing", {"broker-url": url, **inputs})

    # With the deviation known: the job passes, the summary still says NOT CONFORMANT.
    assert not waived.failed, waived.report_file("console.log").read_text()
    assert waived.outputs["run"]["exit-code"] == "0"
    assert waived.outputs["run"]["verdict"].startswith(
        "NOT CONFORMANT (1 known MUST deviation; exit 0 by known-deviations file)")
    assert "## OSB conformance: NOT CONFORMANT" in waived.summary
    assert "| PROV-012 | FAIL |" in waived.summary and "kept for old clients" in waived.summary
    assert "artifact `osb-conformance-reports`" in waived.summary
    for name in ("report.html", "report.json", "junit.xml", "report.md", "console.log"):
        assert waived.report_file(name).exists(), name
    report = json.loads(waived.report_file("report.json").read_text())
    assert report["requirements"]["PROV-012"]["outcome"] == "KNOWN"
    html = waived.report_file("report.html").read_text(encoding="utf-8")
    assert 'id="osb-known-section"' in html
    assert f'data-outcome="KNOWN"><b>{report["summary"]["KNOWN"]}</b>' in html
    assert report["summary"]["KNOWN"] >= 1
    upload = waived.uses["actions/upload-artifact@v4"]
    assert upload["name"] == "osb-conformance-reports"
    assert (tmp_path / "waived" / upload["path"]).is_dir()
    assert waived.uses["actions/setup-python@v5"]["python-version"] == "3.11"

    # Without the file: the last step fails the job; the summary lists the failure.
    assert failing.failed and failing.outputs["run"]["exit-code"] == "1"
    assert "### Failures by requirement (1)" in failing.summary
    assert "**PROV-012** (MUST, FAIL)" in failing.summary
    assert failing.uses["actions/upload-artifact@v4"], "reports are uploaded after a failure"

    # The password went in by environment only, and no output shows it.
    for run in (waived, failing):
        assert PASSWORD not in run.summary
        for path in run.report_file("").iterdir():
            assert PASSWORD not in path.read_text(encoding="utf-8", errors="replace"), path


# -- the GitLab job -------------------------------------------------------------------------------
def run_gitlab_job(workspace: Path, variables: dict[str, str]) -> tuple[int, dict[str, Any]]:
    """The job's script lines in one bash session, as GitLab's shell executor runs them."""
    job = yaml.safe_load(GITLAB.read_text(encoding="utf-8"))["osb-conformance"]
    assert "pip install" in " ".join(job["before_script"])  # see the module docstring
    script = workspace / "job.sh"
    script.write_text("\n".join(job["script"]) + "\n", encoding="utf-8")
    env = shell_environment(**({k: str(v) for k, v in job["variables"].items()} | variables))
    completed = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)], cwd=workspace,
        env=env, capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL)
    return completed.returncode, job


def test_gitlab_template_runs_the_suite_and_feeds_the_junit_report(tmp_path: Path) -> None:
    known = tmp_path / "known.yaml"
    known.write_text(KNOWN_PROV_012, encoding="utf-8")
    variables = {"OSB_BROKER_USERNAME": "admin", "OSB_BROKER_PASSWORD": PASSWORD,
                 "OSB_FUZZ": "off", "OSB_EXTRA_ARGS": QUICK}
    (tmp_path / "failing").mkdir()
    (tmp_path / "waived").mkdir()
    with broker_process("--mutant", MUTANT, "--password", PASSWORD) as url:
        failing, job = run_gitlab_job(tmp_path / "failing", {**variables, "OSB_BROKER_URL": url})
        waived, _ = run_gitlab_job(tmp_path / "waived", {
            **variables, "OSB_BROKER_URL": url, "OSB_KNOWN_DEVIATIONS": str(known)})
    assert failing == 1 and waived == 0
    artifacts = job["artifacts"]
    assert artifacts["when"] == "always"
    for name in ("failing", "waived"):
        for path in artifacts["paths"]:
            assert (tmp_path / name / path).is_dir()
        junit = ET.parse(tmp_path / name / artifacts["reports"]["junit"]).getroot()
        cases = {c.get("name"): c for c in junit.iter("testcase")}
        case = cases["test_provision_with_other_attributes_is_409[reference-db/sync]"]
        if name == "failing":
            assert case.find("failure") is not None
        else:  # known: skipped with its reason, as pytest reports an expected failure
            skipped = case.find("skipped")
            assert skipped is not None and skipped.get("type") == "pytest.xfail"
            assert "known deviation PROV-012" in skipped.get("message", "")
            assert "kept for old clients" in skipped.get("message", "")
        assert (tmp_path / name / "osb-conformance-reports" / "report.html").exists()


def test_gitlab_template_needs_a_broker_url(tmp_path: Path) -> None:
    code, _ = run_gitlab_job(tmp_path, {})
    assert code == 4
