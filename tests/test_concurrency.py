"""Running tests concurrently (issue 10): bounded by --osb-concurrency and --osb-max-instances
as the broker counts them, shared instances never changed by the checks that share them,
stalled plans failing later checks at once, and nothing left after an interrupted run."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from osb_conformance.errors import SuiteError
from osb_conformance.ledger import Ledger, Resource
from osb_conformance.request_slots import RequestSlots
from osb_conformance.run_stats import RunStats
from osb_conformance.stalled_plans import StalledPlans
from tests.suite_runner import clean_environment, run_suite, suite_arguments

SLOW = {"async_seconds": 0.2, "latency_ms": 10}  # a broker that takes (a little) real time
INSTANCE_PATH = re.compile(r"/v2/service_instances/([^/?]+)(?:\?|$)")


def test_requests_in_flight_and_live_instances_stay_within_the_bounds(
    start_broker: Callable[..., Any], tmp_path: Path
) -> None:
    broker = start_broker(**SLOW)
    run = run_suite(broker.url, tmp_path, "--osb-concurrency=3", "--osb-max-instances=3",
                    "--osb-fuzz=off")
    stats = broker.broker.stats.snapshot()
    assert run.exit_code == 0, run.output
    assert "bringing up nodes" in run.output  # the tests did run on three xdist workers
    assert 2 <= stats["peak_in_flight_requests"] <= 3, stats
    assert stats["peak_live_instances"] <= 3, stats
    assert broker.broker.state.live() == {"instances": [], "bindings": []}


def test_one_at_a_time_is_one_request_at_a_time(
    start_broker: Callable[..., Any], tmp_path: Path
) -> None:
    broker = start_broker(**SLOW)
    run = run_suite(broker.url, tmp_path, "--osb-concurrency=1", "--osb-fuzz=off",
                    "--osb-plans=reference-db/async")
    assert run.exit_code == 0, run.output
    assert "bringing up nodes" not in run.output
    assert broker.broker.stats.snapshot()["peak_in_flight_requests"] == 1


def test_a_shared_instance_is_never_changed_by_the_checks_that_share_it(
    start_broker: Callable[..., Any], tmp_path: Path
) -> None:
    broker = start_broker()
    run = run_suite(broker.url, tmp_path, "--osb-concurrency=1", "--osb-fuzz=off")
    assert run.exit_code == 0, run.output
    tests_per_instance: dict[str, set[str]] = defaultdict(set)
    requests_per_instance: dict[str, list[tuple[str, str, int | None]]] = defaultdict(list)
    for result in run.report["results"]:
        for exchange in result["transcript"]:
            found = INSTANCE_PATH.search(exchange["url"])
            if found:
                tests_per_instance[found.group(1)].add(result["nodeid"])
                requests_per_instance[found.group(1)].append(
                    (result["nodeid"], exchange["method"], exchange.get("status")))
    shared = {i: tests for i, tests in tests_per_instance.items() if len(tests) >= 3}
    assert len(shared) >= 2, "each plan's checks share one instance"
    for instance_id, tests in shared.items():
        requests = requests_per_instance[instance_id]
        # The test that created it, and at most one that adopted it at the end (and may
        # change or delete it); every test in between only borrowed it. Malformed or
        # conflicting requests a compliant broker refuses (4xx) change nothing.
        created = {t for t, method, status in requests if method == "PUT" and status in (201, 202)}
        changers = {t for t, method, status in requests
                    if method in ("PUT", "PATCH", "DELETE") and status is not None
                    and not 400 <= status < 500 and not (method == "PUT" and t in created)}
        assert len(created) == 1 and len(changers - created) <= 1, (instance_id, requests)
        assert not changers & created, (instance_id, requests)  # never changed, then lent
        assert tests - created - changers, (instance_id, requests)  # lent to borrowers


def test_a_check_may_not_change_a_shared_instance() -> None:
    from osb_conformance.platform import Platform
    from osb_conformance.shared_instances import SharedInstances

    shared = SharedInstances()
    instance = type("I", (), {"id": "shared-1"})()
    shared._local["plan"] = instance  # as borrow() leaves it without a run folder
    platform = Platform.__new__(Platform)
    platform.shared = shared
    with pytest.raises(SuiteError, match="may not deprovision shared instance shared-1"):
        platform._refuse_shared("shared-1", "deprovision")
    platform._refuse_shared("own-1", "deprovision")  # an instance of its own: fine


def test_after_one_operation_runs_past_the_bound_the_plan_fails_at_once(
    start_broker: Callable[..., Any], tmp_path: Path
) -> None:
    broker = start_broker(chaos="never-finish")
    run = run_suite(broker.url, tmp_path, "--osb-concurrency=2", "--osb-fuzz=off",
                    "--osb-poll-timeout=2", "--osb-plans=reference-db/async")
    messages = [r["message"] or "" for r in run.report["results"]]
    # Failing at once: "not attempted", or the plan's shared instance is unavailable (its
    # provisioning ran out of time earlier); only the others waited for the polling bound.
    at_once = ("not attempted", "no shared reference-db/async instance")
    waited = [m for m in messages
              if "polling bound ran out" in m and not any(s in m for s in at_once)]
    not_attempted = [m for m in messages if any(s in m for s in at_once)]
    # Only the operations already running when the first one ran out waited the bound (at
    # most one per worker); every later check that needed the plan failed at once.
    assert 1 <= len(waited) <= 2, waited
    assert len(not_attempted) >= 5, messages
    assert run.exit_code == 1, run.output
    assert broker.broker.state.live() == {"instances": [], "bindings": []}  # deletes cancel


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_sigterm_on_a_concurrent_run_leaves_the_broker_empty(
    start_broker: Callable[..., Any], tmp_path: Path
) -> None:
    broker = start_broker(async_seconds=2.0)
    report = tmp_path / "report.json"
    command = [sys.executable, "-m", "pytest", "--osb-concurrency=3", "--osb-fuzz=off",
               *suite_arguments(broker.url, report)]
    process = subprocess.Popen(command, cwd=tmp_path, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, start_new_session=True,
                               env=clean_environment(), stdin=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while len(broker.broker.state.live()["instances"]) < 3 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert broker.broker.state.live()["instances"], "the run provisioned nothing"
    os.kill(process.pid, signal.SIGTERM)  # CI cancelling the job: the controller only
    output, _ = process.communicate(timeout=180)
    assert broker.broker.state.live() == {"instances": [], "bindings": []}, output
    assert process.returncode == 2, output
    assert "INCOMPLETE (interrupted)" in output


# -- the parts -------------------------------------------------------------------------------
def test_request_slots_bound_holders_across_threads(tmp_path: Path) -> None:
    slots = RequestSlots(tmp_path, 2)
    holding, peak, lock = [0], [0], threading.Lock()

    def hold() -> None:
        with slots.held():
            with lock:
                holding[0] += 1
                peak[0] = max(peak[0], holding[0])
            time.sleep(0.02)
            with lock:
                holding[0] -= 1

    threads = [threading.Thread(target=hold) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert peak[0] == 2


def test_workers_counts_add_up() -> None:
    one, two = RunStats(), RunStats()
    body = b'{"plan_id": "p1"}'
    one.count_exchange("PUT", "http://b/v2/service_instances/i1", 202, 0.5, body)
    two.count_exchange("PUT", "http://b/v2/service_instances/i2/service_bindings/b1", 201,
                       0.25, body)
    two.count_exchange("DELETE", "http://b/v2/service_instances/i2?plan_id=p1", 200, 0.25,
                       None)
    two.count_exchange("GET", "http://b/v2/service_instances/i2/last_operation", 200, 0.1,
                       None)
    # An identical re-send that joins the running provision creates nothing new.
    one.count_exchange("PUT", "http://b/v2/service_instances/i1?accepts_incomplete=true", 202,
                       0.1, body)
    one.add(two.to_dict())
    assert one.requests == 5 and one.async_operations == 2
    assert one.operations == {"provision": 2, "bind": 1, "deprovision": 1}
    assert one.instances_created == {"p1": 1} and one.bindings_created == {"p1": 1}
    assert one.request_seconds == pytest.approx(1.2)


def test_a_killed_workers_journal_names_what_it_left(tmp_path: Path) -> None:
    journal = tmp_path / "ledger-gw0.jsonl"
    ledger = Ledger(journal)
    for instance_id in ("a", "b"):
        ledger.record(Resource("instance", instance_id, "s", "p", "svc/plan", "t"))
    ledger.record(Resource("binding", "a", "s", "p", "svc/plan", "t", binding_id="x"))
    ledger.mark_instance_deleted("a")
    with journal.open("a") as file:
        file.write('{"record": {"kind": "inst')  # the line a kill cut short
    left = Ledger.replay(journal).live()
    assert [(r.kind, r.instance_id) for r in left] == [("instance", "b")]


def test_a_stalled_plan_is_seen_by_every_process(tmp_path: Path) -> None:
    StalledPlans(tmp_path).mark("plan-1", "provision of instance x ran past 2s")
    other_process = StalledPlans(tmp_path)
    assert other_process.reason("plan-1") == "provision of instance x ran past 2s"
    assert other_process.reason("plan-2") is None


class _Worker:
    """A platform as one xdist worker's test has it, for the pool's tests."""

    def __init__(self, name: str, provisioned: list[str]) -> None:
        self.owner = name
        self.ledger = Ledger()
        self.provisioned = provisioned

    def provision_ready(self, plan: Any) -> Any:
        self.provisioned.append(self.owner)
        return _instance(f"i{len(self.provisioned)}", plan)

    def take_over(self, plan: Any, instance_id: str, owner: str) -> None:
        self.ledger.record(Resource("instance", instance_id, "svc", plan.id, plan.label, owner))

    def provision_body(self, plan: Any) -> dict[str, Any]:
        return {"a": 1}  # the standard body


def _instance(instance_id: str, plan: Any, body: dict[str, Any] | None = None) -> Any:
    import httpx

    from osb_conformance.client import BrokerResponse
    from osb_conformance.platform import Instance
    from osb_conformance.transcript import Exchange

    exchange = Exchange("PUT", "http://b/v2/service_instances/x", {}, None, 201)
    return Instance(instance_id, plan, False,
                    BrokerResponse(201, httpx.Headers(), "{}", exchange), body or {"a": 1})


PLAN = type("Plan", (), {"id": "plan-1", "label": "svc/plan"})()


def test_the_pool_lends_a_free_instance_and_grows_only_when_all_are_in_use(
    tmp_path: Path,
) -> None:
    from osb_conformance.shared_instances import SharedInstances

    plan = PLAN
    provisioned: list[str] = []

    def process(name: str) -> Any:
        return _Worker(name, provisioned)

    one, two = SharedInstances(tmp_path), SharedInstances(tmp_path)
    first = one.borrow(process("gw0"), plan)  # none yet: provisioned
    second = two.borrow(process("gw1"), plan)  # the first is in use: one more
    assert (first.id, second.id) == ("i1", "i2") and first.shared and second.shared
    one.release()
    again = two.borrow(process("gw1"), plan)  # the same test asks again: its own lease
    assert again.id == "i2"
    two.release()
    lent = two.borrow(process("gw1"), plan)  # both free: lent, not provisioned
    assert lent.id in ("i1", "i2") and len(provisioned) == 2
    assert lent.body == {"a": 1} and lent.response.status == 201
    assert one.is_shared("i2") and not one.is_shared("other")
    two.release()
    one.close(Ledger())  # gw0 ends: i1 leaves the pool before gw0 deletes it
    assert two.borrow(process("gw1"), plan).id == "i2"


def test_an_instance_left_as_provisioned_passes_from_test_to_test_across_workers(
    tmp_path: Path,
) -> None:
    from osb_conformance.shared_instances import SHARED_OWNER, SharedInstances

    gw0, gw1 = _Worker("gw0", []), _Worker("gw1", [])
    one, two = SharedInstances(tmp_path), SharedInstances(tmp_path)
    gw0.take_over(PLAN, "d1", "test-a")  # test-a provisioned d1 and passed
    assert one.donate(gw0, _instance("d1", PLAN))
    assert [r.owner for r in gw0.ledger.live()] == [SHARED_OWNER]  # gw0 keeps it now
    assert two.is_shared("d1")
    lent = two.borrow(gw1, PLAN)  # a check that only needs one: no provisioning
    assert lent.id == "d1" and lent.shared and gw1.provisioned == []
    assert two.adopt(gw1, PLAN, {"a": 1}) is None  # in use: an adopter provisions its own
    two.release()
    assert two.adopt(gw1, PLAN, {"a": 2}) is None  # provisioned otherwise: not lent
    adopted = two.adopt(gw1, PLAN, {"a": 1})  # a check that deletes it takes it over
    assert adopted is not None and adopted.id == "d1" and not adopted.shared
    assert not two.is_shared("d1") and not one.is_shared("d1")
    assert [(r.instance_id, r.owner) for r in gw1.ledger.live()] == [("d1", "gw1")]
    assert two.adopt(gw1, PLAN, {"a": 1}) is None  # gone from the pool
    one.close(gw0.ledger)  # gw0 ends: d1 is gw1's to delete, not gw0's
    assert gw0.ledger.live() == []


def test_a_check_changes_an_instance_by_update_delete_or_other_provision() -> None:
    from osb_conformance.instance_changes import InstanceChanges

    changes = InstanceChanges()
    url = "http://b/v2/service_instances/"
    changes.note("PUT", url + "a?accepts_incomplete=true", b'{"plan_id": "p"}', 202)
    changes.note("PUT", url + "a", b'{"plan_id": "p"}', 200)  # an identical re-send
    changes.note("GET", url + "a/last_operation", None, 200)
    changes.note("PUT", url + "a/service_bindings/b", b"{}", 201)  # binds leave it as it was
    changes.note("DELETE", url + "a/service_bindings/b", None, 200)
    changes.note("PUT", url + "a", b'{"plan_id": "q"}', 409)  # refused: changes nothing
    changes.note("PATCH", url + "a", b"{}", 422)
    changes.note("DELETE", url + "a", None, 400)
    assert changes.as_provisioned("a")
    for method, body, status in (("PATCH", b"{}", 200), ("DELETE", None, 202),
                                 ("PUT", b'{"plan_id": "q"}', 200), ("PATCH", b"{}", None),
                                 ("PATCH", b"{}", 500)):
        instance = f"{method}-{status}"
        changes.note("PUT", url + instance, b'{"plan_id": "p"}', 201)
        changes.note(method, url + instance, body, status)
        assert not changes.as_provisioned(instance), instance


def test_an_instance_provisioned_otherwise_is_lent_only_to_who_asked_for_such(
    tmp_path: Path,
) -> None:
    from osb_conformance.shared_instances import SharedInstances

    gw0, gw1 = _Worker("gw0", []), _Worker("gw1", [])
    one, two = SharedInstances(tmp_path), SharedInstances(tmp_path)
    special = _instance("p1", PLAN, {"a": 1, "parameters": {"size": 2}})
    assert not one.wants(gw0, special)  # nobody asked for it: deleted by its test
    assert one.adopt(gw0, PLAN, special.body) is None  # a check asks (none free yet)
    assert one.wants(gw0, special) and one.donate(gw0, special)
    assert two.borrow(gw1, PLAN).id != "p1"  # a borrower gets a standard one (provisioned)
    assert two.adopt(gw1, PLAN, special.body).id == "p1"


@pytest.mark.parametrize(("count", "workers"), [(129, 8), (20, 8), (7, 3), (3, 8)])
def test_worksteal_starts_the_tests_in_the_intended_order(count: int, workers: int) -> None:
    """worksteal hands out contiguous slices; the dealt list makes the first test of every
    worker's slice one of the first ``workers`` tests, and each slice keep the order."""
    from osb_conformance.concurrency import _dealt

    dealt = _dealt(list(range(count)), workers)
    slices, left, start = [], count, 0
    for index in range(workers):  # as xdist's WorkStealingScheduling.check_schedule
        size = left // (workers - index)
        slices.append(dealt[start:start + size])
        start, left = start + size, left - size
    assert sorted(dealt) == list(range(count))
    assert all(share == sorted(share) for share in slices)
    assert sorted(share[0] for share in slices if share) == list(range(min(count, workers)))
