"""The reference broker that takes real time: time-based operations, Retry-After, latency,
and the counters it keeps on its side. A fake clock decides when operations finish; no test
asserts how long something took beyond a generous lower bound."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import httpx
import pytest

from osb_conformance.reference_broker import ReferenceBroker, serve_in_thread
from osb_conformance.reference_broker.__main__ import main as broker_main
from osb_conformance.reference_broker.catalog import ASYNC_PLAN_ID, SERVICE_ID, SYNC_PLAN_ID
from osb_conformance.reference_broker.http_types import Request, Response
from osb_conformance.reference_broker.mutants import MUTANTS
from osb_conformance.reference_broker.timing import parse_async_seconds, retry_after_header

AUTH = {"authorization": "Basic YWRtaW46c2VjcmV0", "x-broker-api-version": "2.17"}  # admin


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def send(broker: ReferenceBroker, method: str, path: str, body: Any = None,
         **query: str) -> Response:
    return broker.handle(Request(method, path, query, dict(AUTH),
                                 json.dumps(body).encode() if body is not None else b""))


def provision(broker: ReferenceBroker, instance: str, plan: str = ASYNC_PLAN_ID) -> Response:
    return send(broker, "PUT", f"/v2/service_instances/{instance}",
                {"service_id": SERVICE_ID, "plan_id": plan, "organization_guid": "o",
                 "space_guid": "s"}, accepts_incomplete="true")


def state_of(broker: ReferenceBroker, instance: str) -> str:
    return send(broker, "GET", f"/v2/service_instances/{instance}/last_operation").body["state"]


def test_operation_finishes_after_its_time_whatever_the_polls() -> None:
    clock = FakeClock()
    broker = ReferenceBroker(async_seconds={"*": 0.3}, clock=clock)
    assert provision(broker, "i1").status == 202
    for _ in range(20):  # many polls do not finish it
        assert state_of(broker, "i1") == "in progress"
    clock.now += 0.299
    assert state_of(broker, "i1") == "in progress"
    clock.now += 0.001
    assert state_of(broker, "i1") == "succeeded"
    assert send(broker, "GET", "/v2/service_instances/i1").status == 200


def test_first_poll_after_the_time_finishes_it() -> None:
    clock = FakeClock()
    broker = ReferenceBroker(async_seconds={"*": 0.3}, clock=clock)
    provision(broker, "i1")
    clock.now += 5
    assert state_of(broker, "i1") == "succeeded"  # no poll needed before


def test_an_operation_finishes_on_time_without_being_polled() -> None:
    clock = FakeClock()
    broker = ReferenceBroker(async_seconds={"*": 0.3}, clock=clock)
    provision(broker, "i1")
    assert send(broker, "GET", "/v2/service_instances/i1").status == 404  # not yet
    clock.now += 0.3
    assert send(broker, "GET", "/v2/service_instances/i1").status == 200
    query = {"service_id": SERVICE_ID, "plan_id": ASYNC_PLAN_ID, "accepts_incomplete": "true"}
    assert send(broker, "DELETE", "/v2/service_instances/i1", **query).status == 202
    clock.now += 0.3
    assert send(broker, "GET", "/_reference/state").body["instances"] == []
    assert send(broker, "GET", "/v2/service_instances/i1/last_operation").status == 410


def test_durations_per_kind_and_polls_for_the_others() -> None:
    clock = FakeClock()
    broker = ReferenceBroker(async_seconds={"provision": 10.0}, async_polls=1, clock=clock)
    provision(broker, "i1")
    assert state_of(broker, "i1") == "in progress"
    assert state_of(broker, "i1") == "in progress"  # polls do not count for provision
    clock.now += 10
    assert state_of(broker, "i1") == "succeeded"
    query = {"service_id": SERVICE_ID, "plan_id": ASYNC_PLAN_ID, "accepts_incomplete": "true"}
    assert send(broker, "DELETE", "/v2/service_instances/i1", **query).status == 202
    assert state_of(broker, "i1") == "in progress"  # deprovision: one poll in progress
    assert state_of(broker, "i1") == "succeeded"
    assert send(broker, "GET", "/v2/service_instances/i1/last_operation").status == 410


def test_without_async_seconds_operations_still_take_polls() -> None:
    broker = ReferenceBroker(async_polls=2)
    provision(broker, "i1")
    assert [state_of(broker, "i1") for _ in range(3)] == ["in progress", "in progress",
                                                          "succeeded"]


def test_a_never_finishing_mutant_stays_in_progress_past_the_time() -> None:
    clock = FakeClock()
    broker = ReferenceBroker(async_seconds={"*": 0.3}, clock=clock,
                             mutant=MUTANTS["async-provision-never-finishes"])
    provision(broker, "i1")
    for _ in range(3):
        clock.now += 10
        assert state_of(broker, "i1") == "in progress"


def test_async_seconds_parsing() -> None:
    assert parse_async_seconds("5") == {"*": 5.0}
    assert parse_async_seconds("provision=5,bind=1") == {"provision": 5.0, "bind": 1.0}
    assert parse_async_seconds("2, bind=0.5") == {"*": 2.0, "bind": 0.5}
    for wrong in ("", "create=1", "provision=-1", "provision=soon", "nan"):
        with pytest.raises(ValueError):
            parse_async_seconds(wrong)


@pytest.mark.parametrize(("seconds", "header"), [(1, "1"), (1.0, "1"), (0.3, "1"), (2.5, "3"),
                                                 (0, "0")])
def test_retry_after_is_whole_seconds_rounded_up(seconds: float, header: str) -> None:
    assert retry_after_header(seconds) == header
    clock = FakeClock()
    broker = ReferenceBroker(async_seconds={"*": 1.0}, retry_after=seconds, clock=clock)
    provision(broker, "i1")
    answer = send(broker, "GET", "/v2/service_instances/i1/last_operation")
    assert answer.headers["Retry-After"] == header
    clock.now += 1
    finished = send(broker, "GET", "/v2/service_instances/i1/last_operation")
    assert finished.body["state"] == "succeeded" and "Retry-After" not in finished.headers


def test_command_line_takes_the_timing_options(monkeypatch: pytest.MonkeyPatch) -> None:
    made: dict[str, Any] = {}

    def capture(*args: Any, **options: Any) -> ReferenceBroker:
        made.update(options)
        raise SystemExit(0)  # do not serve
    monkeypatch.setattr("osb_conformance.reference_broker.__main__.ReferenceBroker", capture)
    with pytest.raises(SystemExit):
        broker_main(["--async-seconds", "provision=5,bind=1", "--retry-after", "1.5",
                     "--latency-ms", "40"])
    assert made["async_seconds"] == {"provision": 5.0, "bind": 1.0}
    assert made["retry_after"] == 1.5 and made["latency_ms"] == 40.0
    with pytest.raises(SystemExit) as refused:
        broker_main(["--async-seconds", "create=1"])
    assert refused.value.code == 2


def test_stats_count_requests_operations_and_resources() -> None:
    clock = FakeClock()
    broker = ReferenceBroker(async_seconds={"*": 1.0}, clock=clock)
    assert provision(broker, "a1").status == 202
    assert provision(broker, "a1").status == 202  # a re-sent provision: no new operation
    assert provision(broker, "s1", SYNC_PLAN_ID).status == 201
    assert send(broker, "PUT", "/v2/service_instances/s1/service_bindings/b1",
                {"service_id": SERVICE_ID, "plan_id": SYNC_PLAN_ID}).status == 201
    state_of(broker, "a1")
    query = {"service_id": SERVICE_ID, "plan_id": SYNC_PLAN_ID}
    assert send(broker, "DELETE", "/v2/service_instances/s1/service_bindings/b1",
                **query).status == 200
    assert send(broker, "DELETE", "/v2/service_instances/s1", **query).status == 200
    send(broker, "GET", "/_reference/state")  # the broker's own routes are not counted
    stats = send(broker, "GET", "/_reference/stats").body
    assert stats["requests"] == 7
    assert stats["requests_per_route"] == {"bind": 1, "deprovision": 1,
                                           "instance_last_operation": 1, "provision": 3,
                                           "unbind": 1}
    assert stats["operations_per_kind"] == {"bind sync": 1, "deprovision sync": 1,
                                            "provision async": 1, "provision sync": 1,
                                            "unbind sync": 1}
    assert stats["operations"] == 5
    assert stats["created"] == {"instances": 2, "bindings": 1}
    assert stats["created_per_plan"] == {ASYNC_PLAN_ID: {"instances": 1, "bindings": 0},
                                         SYNC_PLAN_ID: {"instances": 1, "bindings": 1}}
    assert stats["deleted"] == {"instances": 1, "bindings": 1}
    assert stats["peak_live_instances"] == 2


def test_stats_need_credentials() -> None:
    broker = ReferenceBroker()
    answer = broker.handle(Request("GET", "/_reference/stats", {}, {}, b""))
    assert answer.status == 401


def test_latency_delays_answers_in_parallel_not_behind_the_lock() -> None:
    broker = ReferenceBroker(latency_ms=1000)
    with serve_in_thread(broker) as running:
        started = time.monotonic()
        answers = concurrent_catalog_fetches(running.url, 4)
        took = time.monotonic() - started
        stats = httpx.get(running.url + "/_reference/stats", auth=("admin", "secret")).json()
    assert answers == [200] * 4
    assert took >= 1.0  # each answer was delayed (a lower bound only)
    assert stats["requests_per_route"] == {"catalog": 4}
    # All four were in flight at once: the delay is not served one request after another.
    assert stats["peak_in_flight_requests"] == 4
    assert stats["in_flight_requests"] == 0


def concurrent_catalog_fetches(url: str, count: int) -> list[int]:
    """Fetch the catalog ``count`` times at once; the requests wait at a barrier so that
    they are sent together."""
    barrier = threading.Barrier(count)
    statuses: list[int] = []

    def fetch() -> None:
        with httpx.Client(auth=("admin", "secret"), timeout=30) as client:
            barrier.wait()
            answer = client.get(url + "/v2/catalog", headers={"X-Broker-API-Version": "2.17"})
        statuses.append(answer.status_code)
    threads = [threading.Thread(target=fetch) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses
