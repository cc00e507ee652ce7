"""Smoke tests for the openbrokerapi based test broker itself (not conformance tests)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import httpx
import pytest

from .openbrokerapi_broker import ASYNC_PLAN_ID, SERVICE_ID, SYNC_PLAN_ID, serve_in_thread

ORG_SPACE = {"organization_guid": "org-guid", "space_guid": "space-guid"}


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    url, stop = serve_in_thread()
    try:
        yield url
    finally:
        stop()


@pytest.fixture
def client(base_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=base_url,
        auth=("admin", "secret"),
        headers={"X-Broker-API-Version": "2.17"},
        timeout=10,
    ) as c:
        yield c


def _provision(client: httpx.Client, plan_id: str, **query: str) -> tuple[str, httpx.Response]:
    instance_id = str(uuid.uuid4())
    body = {"service_id": SERVICE_ID, "plan_id": plan_id, **ORG_SPACE, "parameters": {"size": 2}}
    return instance_id, client.put(f"/v2/service_instances/{instance_id}", params=query, json=body)


def test_serves_on_loopback(base_url: str) -> None:
    assert base_url.startswith("http://127.0.0.1:")


def test_catalog(client: httpx.Client) -> None:
    r = client.get("/v2/catalog")
    assert r.status_code == 200
    (service,) = r.json()["services"]
    assert service["id"] == SERVICE_ID
    assert service["name"] == "obapi-db"
    assert {p["id"] for p in service["plans"]} == {SYNC_PLAN_ID, ASYNC_PLAN_ID}
    for plan in service["plans"]:
        schema = plan["schemas"]["service_instance"]["create"]["parameters"]
        assert schema["$schema"] == "http://json-schema.org/draft-04/schema#"


def test_requires_basic_auth(base_url: str) -> None:
    r = httpx.get(
        f"{base_url}/v2/catalog", headers={"X-Broker-API-Version": "2.17"}, auth=("admin", "nope")
    )
    assert r.status_code == 401


def test_sync_provision(client: httpx.Client) -> None:
    _, r = _provision(client, SYNC_PLAN_ID)
    assert r.status_code == 201, r.text


def test_invalid_parameters_rejected(client: httpx.Client) -> None:
    body = {"service_id": SERVICE_ID, "plan_id": SYNC_PLAN_ID, **ORG_SPACE}
    r = client.put(
        f"/v2/service_instances/{uuid.uuid4()}", json={**body, "parameters": {"size": 99}}
    )
    assert r.status_code == 400, r.text


def test_async_provision_and_poll(client: httpx.Client) -> None:
    instance_id, r = _provision(client, ASYNC_PLAN_ID, accepts_incomplete="true")
    assert r.status_code == 202, r.text
    operation = r.json()["operation"]

    states = []
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        lo = client.get(
            f"/v2/service_instances/{instance_id}/last_operation",
            params={"service_id": SERVICE_ID, "plan_id": ASYNC_PLAN_ID, "operation": operation},
        )
        assert lo.status_code == 200, lo.text
        states.append(lo.json()["state"])
        if states[-1] != "in progress":
            break
    assert states == ["in progress", "succeeded"]


def test_bind_unbind_deprovision(client: httpx.Client) -> None:
    instance_id, r = _provision(client, SYNC_PLAN_ID)
    assert r.status_code == 201, r.text
    binding_path = f"/v2/service_instances/{instance_id}/service_bindings/{uuid.uuid4()}"
    ids = {"service_id": SERVICE_ID, "plan_id": SYNC_PLAN_ID}

    r = client.put(binding_path, json={**ids, "parameters": {"role": "reader"}})
    assert r.status_code == 201, r.text
    credentials = r.json()["credentials"]
    assert credentials["username"] and credentials["password"]

    r = client.delete(binding_path, params=ids)
    assert r.status_code == 200, r.text
    assert r.json() == {}

    r = client.delete(f"/v2/service_instances/{instance_id}", params=ids)
    assert r.status_code == 200, r.text
    assert r.json() == {}

    r = client.delete(f"/v2/service_instances/{instance_id}", params=ids)
    assert r.status_code == 410, r.text
