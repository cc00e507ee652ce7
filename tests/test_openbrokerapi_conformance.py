"""The suite against a broker built on the third-party ``openbrokerapi`` framework.

The broker (``tests/brokers/openbrokerapi_broker.py``) runs as a real HTTP server on
127.0.0.1 and the suite runs against it in a subprocess, as a user runs it. The test pins
the exact set of requirements the run passes, warns, fails and records as information
(``tests/openbrokerapi_expected.json``). Why each warning and failure is the framework's
fault, or was ours, is in ``docs/findings.md``.

The expected sets change whenever a check is added. Regenerate them with

    python -m tests.test_openbrokerapi_conformance --update

then read the diff: every new WARN or FAIL needs a verdict in ``docs/findings.md``.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.brokers.openbrokerapi_broker import ObapiDbBroker, serve_in_thread
from tests.suite_runner import SuiteRun, run_suite

EXPECTED_FILE = Path(__file__).with_name("openbrokerapi_expected.json")
GRADED = ("PASS", "WARN", "FAIL", "INFO")
REGENERATE = "python -m tests.test_openbrokerapi_conformance --update"
# The fuzzers draw a seed per run; a fixed one makes the outcome sets reproducible.
SUITE_OPTIONS = ("--hypothesis-seed=0",)


def outcome_sets(report: dict[str, Any]) -> dict[str, list[str]]:
    """Per outcome, the requirement IDs with at least one finding of that outcome.

    A requirement can sit in two sets (e.g. PASS on the sync plan, WARN on the async one).
    ``failed_without_finding`` lists tests that failed on a broker error (an unusable
    answer, a failed precondition) rather than on a check.
    """
    sets: dict[str, set[str]] = {outcome: set() for outcome in GRADED}
    broken: set[str] = set()
    for result in report.get("results", []):
        for finding in result["findings"]:
            if finding["outcome"] in sets:
                sets[finding["outcome"]].add(finding["requirement"])
        failed_check = any(f["outcome"] == "FAIL" for f in result["findings"])
        if result["outcome"] == "FAIL" and not failed_check:
            broken.add(result["nodeid"])
    return {**{k: sorted(v) for k, v in sets.items()}, "failed_without_finding": sorted(broken)}


def suite_errors(report: dict[str, Any]) -> list[str]:
    """Tests that ended in a traceback of the suite itself (never acceptable)."""
    return [f"{r['nodeid']}: {r['message']}" for r in report.get("results", [])
            if r["outcome"] == "ERROR"]


@contextmanager
def quiet_framework_logs() -> Iterator[None]:
    """The framework logs a traceback for every 4xx; keep failure output readable."""
    loggers = [logging.getLogger(name) for name in ("obapi-db", "werkzeug")]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        for lg, level in zip(loggers, levels, strict=True):
            lg.setLevel(level)


def run_against_openbrokerapi(workdir: Path) -> tuple[SuiteRun, ObapiDbBroker]:
    """Serve a fresh openbrokerapi broker, run the whole suite against it, stop it."""
    broker = ObapiDbBroker()
    with quiet_framework_logs():
        url, stop = serve_in_thread(broker=broker)
        try:
            run = run_suite(url, workdir, *SUITE_OPTIONS)
        finally:
            stop()
    return run, broker


def load_expected() -> dict[str, list[str]]:
    data = json.loads(EXPECTED_FILE.read_text(encoding="utf-8"))
    return {key: value for key, value in data.items() if not key.startswith("_")}


@pytest.fixture(scope="module")
def openbrokerapi_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[SuiteRun, ObapiDbBroker]:
    return run_against_openbrokerapi(tmp_path_factory.mktemp("openbrokerapi"))


def test_the_suite_runs_to_a_report(openbrokerapi_run: tuple[SuiteRun, ObapiDbBroker]) -> None:
    run, _ = openbrokerapi_run
    assert run.report.get("results"), run.output
    assert suite_errors(run.report) == [], run.output


def test_expected_requirements_pass_warn_and_fail(
    openbrokerapi_run: tuple[SuiteRun, ObapiDbBroker],
) -> None:
    run, _ = openbrokerapi_run
    observed = outcome_sets(run.report)
    expected = load_expected()
    differences = {
        key: {"new": sorted(set(observed[key]) - set(expected.get(key, []))),
              "gone": sorted(set(expected.get(key, [])) - set(observed[key]))}
        for key in observed if set(observed[key]) != set(expected.get(key, []))
    }
    assert not differences, (
        f"the openbrokerapi broker's outcomes changed: {json.dumps(differences, indent=1)}\n"
        f"If a check was added or fixed on purpose, regenerate with `{REGENERATE}` and give "
        f"every new WARN/FAIL a verdict in docs/findings.md.\n\n{run.output[-4000:]}")


def test_exit_code_follows_the_failures(openbrokerapi_run: tuple[SuiteRun, ObapiDbBroker]) -> None:
    run, _ = openbrokerapi_run
    failed = bool(outcome_sets(run.report)["FAIL"] or run.summary.get("FAIL"))
    assert (run.exit_code != 0) == failed, run.output
    assert run.report["verdict"] == ("NOT CONFORMANT" if failed else "CONFORMANT")


def test_nothing_is_left_on_the_framework_broker(
    openbrokerapi_run: tuple[SuiteRun, ObapiDbBroker],
) -> None:
    run, broker = openbrokerapi_run
    assert run.report["leftovers"] == [], run.output
    assert broker.live() == {"instances": [], "bindings": []}


def update_expected() -> dict[str, list[str]]:
    """Run the suite once against the framework broker and rewrite the expected sets."""
    with tempfile.TemporaryDirectory(prefix="osbc-openbrokerapi-") as workdir:
        run, _ = run_against_openbrokerapi(Path(workdir))
    errors = suite_errors(run.report)
    if errors:
        raise SystemExit("suite errors (fix them first, they are not outcomes):\n"
                         + "\n".join(errors))
    observed = outcome_sets(run.report)
    document = {"_regenerate": REGENERATE, "_findings": "docs/findings.md", **observed}
    EXPECTED_FILE.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    return observed


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.test_openbrokerapi_conformance")
    parser.add_argument("--update", action="store_true",
                        help=f"rewrite {EXPECTED_FILE.name} from a fresh run")
    args = parser.parse_args(argv)
    if not args.update:
        parser.error("nothing to do; pass --update to regenerate the expected sets")
    for key, ids in update_expected().items():
        print(f"{key:>22}: {len(ids):3d}  {' '.join(ids)}")


if __name__ == "__main__":
    main(sys.argv[1:])
