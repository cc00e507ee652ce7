"""Orphan mitigation: when the platform deletes, and how it keeps trying."""

from __future__ import annotations

import httpx
import pytest

from osb_conformance.catalog import Catalog
from osb_conformance.client import BrokerResponse, OSBClient
from osb_conformance.errors import BrokerError
from osb_conformance.ledger import Ledger, Resource
from osb_conformance.orphan_mitigation import mitigate, mitigation_reason
from osb_conformance.platform import Platform
from osb_conformance.reference_broker.catalog import (
    ASYNC_PLAN_ID,
    SERVICE_ID,
    SYNC_PLAN_ID,
    build_catalog,
)
from osb_conformance.settings import Settings
from osb_conformance.transcript import Exchange


def answer(status: int, text: str = "{}") -> BrokerResponse:
    return BrokerResponse(status, httpx.Headers(), text,
                          Exchange("PUT", "http://127.0.0.1/", {}, None))


@pytest.mark.platform_obligation("OM-004A", "OM-004B", "CONC-003")
@pytest.mark.parametrize("route, status, text, mitigated", [
    ("provision", 500, "{}", True), ("provision", 503, "", True),
    ("provision", 201, "not json", True), ("provision", 202, "[]", True),
    ("provision", 204, "", True), ("bind", 502, "{}", True), ("bind", 201, "oops", True),
    ("provision", 201, "{}", False), ("provision", 202, '{"operation": "x"}', False),
    ("provision", 200, "not json", False),  # 200 malformed: a failure, but no mitigation
    ("provision", 408, "{}", False), ("provision", 422, '{"error": "ConcurrencyError"}', False),
    ("bind", 400, "{}", False), ("update", 500, "{}", False), ("deprovision", 500, "{}", False),
])
def test_when_orphan_mitigation_happens(route: str, status: int, text: str,
                                        mitigated: bool) -> None:
    assert (mitigation_reason(route, answer(status, text)) is not None) is mitigated


@pytest.mark.platform_obligation("OM-001A", "OM-002A")
def test_timeouts_of_provision_and_bind_are_mitigated() -> None:
    assert mitigation_reason("provision", None, timed_out=True)
    assert mitigation_reason("bind", None, timed_out=True)
    assert mitigation_reason("update", None, timed_out=True) is None


@pytest.mark.platform_obligation("OM-001A")
def test_mitigation_retries_until_the_broker_reports_success(start_broker) -> None:
    broker = start_broker(mutant="orphan-provision-delete-500")
    settings = Settings(broker_url=broker.url, username="admin", password="secret",
                        poll_interval=0.01)
    client = OSBClient(settings)
    instance_id = "om-unit-1"
    body = {"service_id": SERVICE_ID, "plan_id": SYNC_PLAN_ID, "organization_guid": "o",
            "space_guid": "s"}
    assert client.provision(instance_id, body).status == 500
    resource = Resource("instance", instance_id, SERVICE_ID, SYNC_PLAN_ID, "sync", "unit")
    mitigation = mitigate(client, resource, "a 500 answer", poll_limit=5)
    client.close()
    assert [a.status for a in mitigation.answers] == [500, 200]
    assert mitigation.succeeded
    sent = [e for e in client.exchanges if e.method == "DELETE"]
    assert all("X-Broker-API-Originating-Identity" not in e.request_headers for e in sent)
    assert broker.broker.state.live() == {"instances": [], "bindings": []}


def platform_for(url: str) -> Platform:
    settings = Settings(broker_url=url, username="admin", password="secret",
                        poll_interval=0.01, poll_timeout=5)
    return Platform(OSBClient(settings), Ledger(), "unit")


def plan(plan_id: str):  # type: ignore[no-untyped-def]
    return Catalog.from_json(build_catalog()).plan(plan_id)


@pytest.mark.platform_obligation("OM-002A")
def test_failed_bind_is_unbound_by_the_platform(start_broker) -> None:
    broker = start_broker(mutant="orphan-bind-unbind-500")
    platform = platform_for(broker.url)
    instance = platform.provision_ready(plan(SYNC_PLAN_ID))
    with pytest.raises(BrokerError):
        platform.bind_ready(instance)
    [mitigation] = platform.orphan_mitigations
    assert mitigation.resource.kind == "binding" and mitigation.succeeded
    assert [a.status for a in mitigation.answers] == [500, 200]
    platform.clean_up()
    assert broker.broker.state.live() == {"instances": [], "bindings": []}


@pytest.mark.platform_obligation("OM-003A")
def test_failed_async_provision_is_deleted_by_the_platform(start_broker) -> None:
    broker = start_broker(mutant="orphan-async-provision-delete-500")
    platform = platform_for(broker.url)
    with pytest.raises(BrokerError):
        platform.provision_ready(plan(ASYNC_PLAN_ID))
    [mitigation] = platform.orphan_mitigations
    assert "failed" in mitigation.reason and mitigation.succeeded
    assert mitigation.answers[0].status == 500  # and it kept trying
    assert broker.broker.state.live() == {"instances": [], "bindings": []}
    assert platform.ledger.live() == []


def test_a_compliant_broker_gives_no_occasion(start_broker) -> None:
    platform = platform_for(start_broker().url)
    instance = platform.provision_ready(plan(SYNC_PLAN_ID))
    platform.bind_ready(instance)
    assert platform.orphan_mitigations == []
    platform.clean_up()
