"""The OSB client against a real reference broker on 127.0.0.1."""

from __future__ import annotations

import base64
import json
import uuid

import httpx
import pytest

from osb_conformance.client import BrokerResponse, OSBClient, originating_identity_header
from osb_conformance.errors import BrokerResponseError, BrokerTransportError
from osb_conformance.platform import new_id
from osb_conformance.settings import Settings
from osb_conformance.transcript import Exchange

SERVICE = "3f0b7a38-5d55-4d7c-9f4b-2a61f3c2b001"
PLAN = "3f0b7a38-5d55-4d7c-9f4b-2a61f3c2b101"


def _client(url: str, **kw: object) -> OSBClient:
    return OSBClient(Settings(broker_url=url, username="admin", password="secret", **kw))


def _every_route(client: OSBClient) -> None:
    instance, binding = new_id(), new_id()
    client.catalog()
    client.provision(instance, {"service_id": SERVICE, "plan_id": PLAN})
    client.update(instance, {"service_id": SERVICE})
    client.fetch_instance(instance)
    client.instance_last_operation(instance, SERVICE, PLAN, "op/1 2")
    client.bind(instance, binding, {"service_id": SERVICE, "plan_id": PLAN})
    client.fetch_binding(instance, binding)
    client.binding_last_operation(instance, binding, SERVICE, PLAN)
    client.unbind(instance, binding, SERVICE, PLAN)
    client.deprovision(instance, SERVICE, PLAN)


@pytest.mark.platform_obligation("HDR-001", "AUTH-004A", "HDR-006A", "HDR-006B")
def test_every_route_carries_version_auth_and_request_identity(reference_broker) -> None:
    client = _client(reference_broker.url)
    _every_route(client)
    assert len(client.exchanges) == 10
    identities = set()
    for exchange in client.exchanges:
        headers = exchange.request_headers
        assert headers["X-Broker-API-Version"] == "2.17"
        assert headers["Authorization"] == "Basic " + base64.b64encode(b"admin:secret").decode()
        identities.add(str(uuid.UUID(headers["X-Broker-API-Request-Identity"])))
    assert len(identities) == 10  # fresh per request


def test_bearer_token_replaces_basic_auth(reference_broker) -> None:
    client = OSBClient(Settings(broker_url=reference_broker.url, token="tok-123"))
    client.catalog()
    assert client.exchanges[0].request_headers["Authorization"] == "Bearer tok-123"


@pytest.mark.platform_obligation("HDR-007A")
@pytest.mark.parametrize("platform,keys", [("cloudfoundry", {"user_id"}),
                                           ("kubernetes", {"username", "uid", "groups", "extra"})])
def test_originating_identity_follows_the_profile(platform: str, keys: set[str]) -> None:
    name, value = originating_identity_header(platform).split(" ")
    assert name == platform
    assert set(json.loads(base64.b64decode(value))) == keys


@pytest.mark.platform_obligation("URL-001B", "URL-001C", "PROV-022A")
def test_ids_are_uuids_and_url_values_are_percent_encoded(reference_broker) -> None:
    ids = {new_id() for _ in range(100)}
    assert len(ids) == 100 and all(str(uuid.UUID(i)) == i for i in ids)
    client = _client(reference_broker.url)
    client.instance_last_operation("a/b c", SERVICE, PLAN, "op/1 2&x=y")
    assert client.exchanges[0].url.endswith(
        "/v2/service_instances/a%2Fb%20c/last_operation"
        f"?service_id={SERVICE}&plan_id={PLAN}&operation=op%2F1%202%26x%3Dy")


def test_non_json_body_raises_a_broker_error() -> None:
    response = BrokerResponse(200, httpx.Headers(), "<html>oops</html>",
                              Exchange("GET", "u", {}, None))
    with pytest.raises(BrokerResponseError, match="not JSON"):
        response.json()
    assert response.body_object() == {} and response.error_code is None


def test_connection_refused_is_a_transport_error() -> None:
    client = _client("http://127.0.0.1:9", timeout=2)
    with pytest.raises(BrokerTransportError, match="GET http://127.0.0.1:9/v2/catalog"):
        client.catalog()
    assert client.exchanges[0].error
