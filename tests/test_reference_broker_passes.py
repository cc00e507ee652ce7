"""The compliant reference broker passes the whole suite: no failure, no warning."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.suite_runner import run_suite


@pytest.mark.parametrize("strict", [False, True], ids=["default", "strict"])
def test_reference_broker_is_conformant(reference_broker, tmp_path: Path, strict: bool) -> None:
    args = ["--osb-strict"] if strict else []
    run = run_suite(reference_broker.url, tmp_path, *args)
    assert run.exit_code == 0, run.output
    assert run.report["verdict"] == "CONFORMANT"
    assert run.summary["FAIL"] == 0 and run.summary["ERROR"] == 0, run.output
    assert run.summary["WARN"] == 0, run.output
    assert run.summary["PASS"] > 0
    assert run.report["leftovers"] == []
    assert reference_broker.broker.state.live() == {"instances": [], "bindings": []}
