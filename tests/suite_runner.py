"""Run the conformance suite in a subprocess against a broker and read its JSON report."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

RUN_TIMEOUT = 300


@dataclass
class SuiteRun:
    exit_code: int
    output: str
    report: dict[str, Any]
    files: Path
    stdout: str = ""

    def findings(self, requirement: str | None = None) -> list[dict[str, Any]]:
        return [f for r in self.report.get("results", []) for f in r["findings"]
                if requirement is None or f["requirement"] == requirement]

    def outcomes_of(self, requirement: str) -> set[str]:
        return {f["outcome"] for f in self.findings(requirement)}

    @property
    def summary(self) -> dict[str, int]:
        return self.report.get("summary", {})


def suite_arguments(url: str, report: Path, *args: str, username: str | None = "admin",
                    password: str | None = "secret") -> list[str]:
    arguments = [f"--broker-url={url}", f"--osb-report-json={report}", "-p",
                 "no:cacheprovider", "-q", "--osb-poll-interval=0.05", *args]
    if username is not None:
        arguments.append(f"--broker-username={username}")
    if password is not None:
        arguments.append(f"--broker-password={password}")
    return arguments


def run_suite(url: str, workdir: Path, *args: str, username: str | None = "admin",
              password: str | None = "secret", env: dict[str, str] | None = None) -> SuiteRun:
    """``pytest --broker-url=URL`` in a new process from an empty folder, as a user runs it."""
    workdir.mkdir(parents=True, exist_ok=True)
    report = workdir / "report.json"
    command = [sys.executable, "-m", "pytest",
               *suite_arguments(url, report, *args, username=username, password=password)]
    completed = subprocess.run(
        command, cwd=workdir, capture_output=True, text=True, timeout=RUN_TIMEOUT,
        env={**clean_environment(), **(env or {})}, stdin=subprocess.DEVNULL,
    )
    data = json.loads(report.read_text()) if report.exists() else {}
    return SuiteRun(completed.returncode, completed.stdout + completed.stderr, data, workdir,
                    completed.stdout)


def clean_environment() -> dict[str, str]:
    """This process's environment without what pytest and xdist set for their own runs."""
    return {k: v for k, v in os.environ.items()
            if not k.startswith(("PYTEST_XDIST_", "PYTEST_CURRENT_TEST", "PYTEST_ADDOPTS"))}


def run_suite_inprocess(pytester: Any, url: str, *args: str, username: str | None = "admin",
                        password: str | None = "secret") -> SuiteRun:
    """The same run inside this process (pytester): much faster, for the many mutant runs."""
    report = pytester.path / "report.json"
    result = pytester.runpytest_inprocess(
        *suite_arguments(url, report, *args, username=username, password=password))
    data = json.loads(report.read_text()) if report.exists() else {}
    output = "\n".join(result.outlines + result.errlines)
    return SuiteRun(int(result.ret), output, data, pytester.path, "\n".join(result.outlines))
