"""The suite against unreliable brokers: bounded time, clear failures, nothing left behind.

Each chaos mode (``osb_conformance/reference_broker/chaos.py``) runs a representative part
of the suite (catalog, provisioning sync and async, binding, deprovisioning)
with short timeouts. The time assertions are the suite's documented upper bounds
(``osb_conformance/bounds.py``), not speed expectations.
"""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from osb_conformance.bounds import catalog_failure_seconds, run_seconds
from osb_conformance.reference_broker.chaos import CHAOS_MODES, OPTIONS
from osb_conformance.settings import Settings
from tests.suite_runner import SuiteRun, run_suite, run_suite_inprocess, suite_arguments

SUBSET = "--osb-requirements=CAT-001,PROV-001,PROV-002,BND-001,DEP-001"
TEST_TIMEOUT = "--osb-test-timeout=10"
EMPTY = {"instances": [], "bindings": []}

# What each mode must make the suite say, somewhere in its failure messages.
SAYS = {
    "hang-provision": "gave no complete response within 0.5s",
    "drop": "RemoteProtocolError",
    "garbage": "<!DOCTYPE html>",
    "huge": '"padding": "xxxx',
    "redirect": "(not followed)",
    "error-500": "chaos: internal server error",
    "slow": "gave no complete response within 0.5s",
    "never-finish": "still in progress",
}


def settings_of(options: tuple[str, ...]) -> Settings:
    """The bound-relevant settings the options give (the run's defaults otherwise)."""
    values: dict[str, Any] = {}
    names = {"--osb-timeout": "timeout", "--osb-poll-timeout": "poll_timeout",
             "--osb-test-timeout": "test_timeout"}
    for option in options:
        name, _, value = option.partition("=")
        if name in names:
            values[names[name]] = float(value)
    return Settings(broker_url="http://127.0.0.1", **values)


def timed_run(pytester: pytest.Pytester, url: str, *args: str) -> tuple[SuiteRun, float]:
    started = time.monotonic()
    run = run_suite_inprocess(pytester, url, *args)
    return run, time.monotonic() - started


def created_resources(run: SuiteRun) -> int:
    """An upper bound on what the run created: every PUT it sent."""
    return sum(1 for r in run.report["results"] for e in r["transcript"] if e["method"] == "PUT")


def messages(run: SuiteRun) -> str:
    return "\n".join(r["message"] or "" for r in run.report["results"])


def assert_clear_failures(run: SuiteRun) -> None:
    """Failed checks with a message and transcript; never an ERROR, never a traceback."""
    assert run.summary["ERROR"] == 0, run.output
    assert "INTERNALERROR" not in run.output and "Traceback" not in run.output, run.output
    failed = [r for r in run.report["results"] if r["outcome"] == "FAIL"]
    assert failed, run.output
    for result in failed:
        # A check not attempted because its plan's operations never finish sent nothing.
        not_attempted = "not attempted:" in (result["message"] or "")
        assert result["message"] and (result["transcript"] or not_attempted), result


@pytest.mark.parametrize("mode", sorted(SAYS))
def test_chaos_mode_fails_clearly_in_bounded_time_and_leaves_nothing(
    mode: str, start_broker, pytester: pytest.Pytester
) -> None:
    broker = start_broker(chaos=mode)
    options = (*OPTIONS[mode], TEST_TIMEOUT)
    run, elapsed = timed_run(pytester, broker.url, SUBSET, *options)
    assert run.exit_code == 1, run.output
    assert_clear_failures(run)
    assert SAYS[mode] in messages(run), messages(run)
    catalog = [r["outcome"] for r in run.report["results"] if "test_catalog.py" in r["nodeid"]]
    assert catalog and "FAIL" not in catalog, "the run must go on past the misbehaving routes"
    assert run.report["leftovers"] == []
    assert broker.broker.state.live() == EMPTY
    assert elapsed <= run_seconds(settings_of(options), len(run.report["results"]),
                                  created_resources(run))


def test_stuck_operations_are_listed_as_leftovers_with_ids_service_and_plan(
    start_broker, pytester: pytest.Pytester
) -> None:
    broker = start_broker(chaos="stuck")
    run, _ = timed_run(pytester, broker.url, SUBSET, "--osb-requirements=PROV-002",
                       *OPTIONS["stuck"], TEST_TIMEOUT)
    assert_clear_failures(run)
    live = broker.broker.state.live()["instances"]
    assert live, "the stuck broker keeps its instances"
    leftovers = run.report["leftovers"]
    assert sorted(r["instance_id"] for r in leftovers) == live
    for resource in leftovers:
        assert resource["service_id"] and resource["plan_id"] and resource["plan_label"]
        assert "422" in resource["problem"]
        assert resource["instance_id"] in run.output
    assert "could NOT be deleted" in run.output


def test_broker_that_stops_answering_ends_the_run_early(
    start_broker, pytester: pytest.Pytester
) -> None:
    broker = start_broker(chaos="dead-after-catalog")
    options = (*OPTIONS["dead-after-catalog"], TEST_TIMEOUT)
    run, elapsed = timed_run(pytester, broker.url, SUBSET, *options)
    assert run.exit_code == pytest.ExitCode.INTERRUPTED, run.output
    assert "the broker answered none of the last" in run.output
    assert_clear_failures(run)
    collected = run_suite_inprocess(pytester, broker.url, SUBSET, "--collect-only").output
    selected = re.search(r"(\d+)/\d+ tests collected", collected)
    assert selected and len(run.report["results"]) < int(selected[1]), \
        "the run stopped instead of timing out on every remaining test"
    for resource in run.report["leftovers"]:  # the suite cannot know: it lists them
        assert "no complete response" in resource["problem"]
    assert elapsed <= run_seconds(settings_of(options), len(run.report["results"]),
                                  created_resources(run))


def test_test_time_bound_stops_requests_but_not_cleanup(
    start_broker, pytester: pytest.Pytester
) -> None:
    broker = start_broker(chaos="slow")
    run, _ = timed_run(pytester, broker.url, SUBSET, "--osb-test-timeout=0.3")
    assert_clear_failures(run)
    assert "the test's time bound of 0.3s (--osb-test-timeout)" in messages(run)
    assert run.report["leftovers"] == []
    assert broker.broker.state.live() == EMPTY


def test_every_chaos_mode_is_exercised() -> None:
    covered = set(SAYS) | {"hang-all", "stuck", "dead-after-catalog",
                           "drop-fetch-instance"}  # test_transport_findings.py
    assert covered == set(CHAOS_MODES)


# -- the run stops at once when the catalog cannot be read -------------------------------------
def test_broker_hanging_every_request_stops_the_run_within_the_documented_bound(
    start_broker, tmp_path: Path
) -> None:
    broker = start_broker(chaos="hang-all")
    options = ("--osb-timeout=1",)
    started = time.monotonic()
    run = run_suite(broker.url, tmp_path, *options)
    elapsed = time.monotonic() - started
    assert_one_catalog_error(run)
    assert elapsed <= catalog_failure_seconds(settings_of(options))


def test_catalog_refused_stops_the_run_with_one_clear_error(
    reference_broker, tmp_path: Path
) -> None:
    run = run_suite(reference_broker.url, tmp_path, password="not-the-password")
    assert_one_catalog_error(run)
    assert "401" in run.output and "not-the-password" not in run.output


def assert_one_catalog_error(run: SuiteRun) -> None:
    """Exit code 2 and the one error (pytest shows an exit reason on stderr and in its
    summary), no test outcome, no traceback."""
    assert run.exit_code == 2, run.output
    assert "cannot read the broker's catalog, so no scenario can be derived" in run.output
    assert not re.search(r"\d+ (passed|failed|errors?|skipped)", run.output), run.output
    assert "Traceback" not in run.output


# -- interrupting a run --------------------------------------------------------------------------
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_interrupt_during_async_provision_still_cleans_up(
    sig: signal.Signals, start_broker, tmp_path: Path
) -> None:
    # The provision stays 'in progress' for 5 polls: long enough to interrupt it, short
    # enough for the cleanup (which waits for it to end, then deletes) to finish.
    broker = start_broker(async_polls=5)
    command = [sys.executable, "-m", "pytest", *suite_arguments(
        broker.url, tmp_path / "report.json", "--osb-requirements=PROV-002",
        "--osb-plans=reference-db/async")]
    process = subprocess.Popen(command, cwd=tmp_path, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, stdin=subprocess.DEVNULL)
    try:
        assert wait_for_provision_in_progress(broker.broker), "no provision was started"
        process.send_signal(sig)
        output, _ = process.communicate(timeout=120)
    finally:
        process.kill()
    assert "OSB cleanup" in output, output
    assert "INCOMPLETE (interrupted)" in output, output
    assert "everything the suite created was deleted" in output, output
    assert broker.broker.state.live() == EMPTY
    assert broker.broker.state.deleted_instances, "cleanup deleted the interrupted instance"


def wait_for_provision_in_progress(broker: Any, limit: float = 60.0) -> bool:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        with broker.lock:
            if any(i.operation is not None and i.operation.kind == "provision"
                   and i.operation.in_progress for i in broker.state.instances.values()):
                return True
        time.sleep(0.02)
    return False


# -- parallel runs -------------------------------------------------------------------------------
def test_parallel_run_has_the_outcomes_and_cleanup_of_a_serial_run(
    start_broker, tmp_path: Path
) -> None:
    # Garbage answers: passes, failures and orphan mitigation, all to be alike.
    mode = "garbage"
    options = (SUBSET, *OPTIONS[mode])
    serial_broker = start_broker(chaos=mode)
    serial = run_suite(serial_broker.url, tmp_path / "serial", *options)
    parallel_broker = start_broker(chaos=mode)
    parallel = run_suite(parallel_broker.url, tmp_path / "parallel", *options, "-n", "2")
    assert parallel.exit_code == serial.exit_code, parallel.output
    assert outcomes(parallel) == outcomes(serial)
    assert serial.report["leftovers"] == parallel.report["leftovers"] == []
    assert serial_broker.broker.state.live() == parallel_broker.broker.state.live() == EMPTY


def outcomes(run: SuiteRun) -> dict[str, str]:
    return {r["nodeid"]: r["outcome"] for r in run.report["results"]}

