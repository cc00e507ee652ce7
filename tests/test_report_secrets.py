"""Planted secrets (password, token, binding credentials) appear in no output of a failing
run: HTML, JSON, JUnit, console log, nor the terminal."""

from __future__ import annotations

import pytest

from osb_conformance.client import originating_identity_header
from tests.report_runs import SECRETS as PLANTED
from tests.report_runs import CertifiedRun, certified_run

# The planted secrets, and the originating identity value the suite sends on every request.
SECRETS = (*PLANTED, originating_identity_header("cloudfoundry").split(" ", 1)[1])


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> CertifiedRun:
    return certified_run(tmp_path_factory)


def test_the_run_saw_the_secrets_and_failed(run: CertifiedRun) -> None:
    # Without bindings (whose credentials carry the marker) or failures, the test would
    # prove nothing.
    report = run.report
    assert report["summary"]["FAIL"] > 0
    bound = [e for r in report["results"] for e in r["transcript"]
             if e["method"] == "PUT" and "/service_bindings/" in e["url"] and e["status"] == 201]
    assert bound and all('"[REDACTED]"' in e["response_body"] for e in bound)
    sent = {e["request_headers"].get("Authorization") for r in report["results"]
            for e in r["transcript"]}
    assert "Bearer [REDACTED]" in sent  # the token was used ...
    assert all(v is None or v.endswith("[REDACTED]") for v in sent)  # ... and never shown


@pytest.mark.parametrize("name", ["report.html", "report.json", "junit.xml", "console.log"])
def test_no_secret_in_output_file(run: CertifiedRun, name: str) -> None:
    text = run.file(name).read_text(encoding="utf-8")
    assert len(text) > 1000
    leaked = [s for s in SECRETS if s in text]
    assert leaked == [], f"{name} shows {leaked}"


def test_no_secret_on_the_terminal_nor_anywhere_in_the_workdir(run: CertifiedRun) -> None:
    assert [s for s in SECRETS if s in run.console] == []
    for path in run.workdir.rglob("*"):
        if path.is_file():
            content = path.read_bytes()
            assert [s for s in SECRETS if s.encode() in content] == [], path
