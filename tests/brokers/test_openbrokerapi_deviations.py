"""What openbrokerapi 4.7.3 itself does where it departs from the OSB spec.

One test per finding of ``docs/findings.md`` (F1..F16), against the framework served on
127.0.0.1. They pin the framework's behaviour, not the spec's: when one of them fails
after an openbrokerapi upgrade, the framework changed, and the finding (and the expected
outcome sets of ``tests/test_openbrokerapi_conformance.py``) must be revisited.
"""

from __future__ import annotations

import inspect
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from openbrokerapi import errors
from openbrokerapi.service_broker import BindDetails, Binding, ProvisionDetails, UpdateDetails

from .openbrokerapi_broker import SERVICE_ID, SYNC_PLAN_ID, ObapiDbBroker, serve_in_thread

VERSION = {"X-Broker-API-Version": "2.17"}
IDS = {"service_id": SERVICE_ID, "plan_id": SYNC_PLAN_ID}
PROVISION_BODY = {**IDS, "organization_guid": "org", "space_guid": "space"}


class ScriptedBroker(ObapiDbBroker):
    """The test broker, made to raise a chosen framework error on its next call."""

    def __init__(self) -> None:
        super().__init__()
        self.raise_next: dict[str, Exception] = {}

    def _scripted(self, operation: str) -> None:
        error = self.raise_next.pop(operation, None)
        if error is not None:
            raise error

    def provision(self, *args: Any, **kwargs: Any) -> Any:
        self._scripted("provision")
        return super().provision(*args, **kwargs)

    def update(self, *args: Any, **kwargs: Any) -> Any:
        self._scripted("update")
        return super().update(*args, **kwargs)

    def last_operation(self, *args: Any, **kwargs: Any) -> Any:
        self._scripted("last_operation")
        return super().last_operation(*args, **kwargs)


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[str, ScriptedBroker]]:
    broker = ScriptedBroker()
    url, stop = serve_in_thread(broker=broker)
    try:
        yield url, broker
    finally:
        stop()


@pytest.fixture
def client(served: tuple[str, ScriptedBroker]) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=served[0], auth=("admin", "secret"), headers=VERSION,
                      timeout=10) as c:
        yield c


@pytest.fixture
def broker(served: tuple[str, ScriptedBroker]) -> ScriptedBroker:
    return served[1]


def _new_instance(client: httpx.Client) -> str:
    instance_id = str(uuid.uuid4())
    assert client.put(f"/v2/service_instances/{instance_id}", json=PROVISION_BODY).status_code \
        == 201
    return instance_id


def test_f1_f2_last_operation_of_unknown_instance_is_410_with_empty_description(
    client: httpx.Client,
) -> None:
    response = client.get(f"/v2/service_instances/{uuid.uuid4()}/last_operation", params=IDS)
    assert response.status_code == 410  # spec: 404 Not Found (LOI-005)
    assert response.json() == {"state": "succeeded", "description": ""}  # LOI-003: non-empty


def test_f3_binding_last_operation_of_unknown_binding_is_500(client: httpx.Client) -> None:
    instance_id = _new_instance(client)
    path = f"/v2/service_instances/{instance_id}/service_bindings/{uuid.uuid4()}/last_operation"
    assert client.get(path, params=IDS).status_code == 500  # spec: 404 (LOB-002)


def test_f4_version_is_checked_before_credentials(served: tuple[str, ScriptedBroker]) -> None:
    url = served[0] + "/v2/catalog"
    assert httpx.get(url, auth=("admin", "wrong")).status_code == 400
    assert httpx.get(url, auth=("admin", "wrong"), headers=VERSION).status_code == 401


def test_f5_non_numeric_version_is_500(served: tuple[str, ScriptedBroker]) -> None:
    response = httpx.get(served[0] + "/v2/catalog", auth=("admin", "secret"),
                         headers={"X-Broker-API-Version": "two.seventeen"})
    assert response.status_code == 500  # a malformed header: 400 (or 412) expected


def test_f6_request_identity_is_not_echoed(client: httpx.Client) -> None:
    response = client.get("/v2/catalog", headers={"X-Broker-API-Request-Identity": "osbc-1"})
    assert response.status_code == 200
    assert "X-Broker-API-Request-Identity" not in response.headers  # HDR-005 SHOULD


def test_f7_percent_encoded_slash_in_an_id_gets_an_html_404(client: httpx.Client) -> None:
    response = client.put("/v2/service_instances/a%2Fb", json=PROVISION_BODY)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")


def test_f8_unknown_route_and_wrong_method_answer_html(client: httpx.Client) -> None:
    unknown = client.get("/v2/no_such_route")
    wrong_method = client.post("/v2/catalog")
    assert (unknown.status_code, wrong_method.status_code) == (404, 405)
    assert unknown.headers["content-type"].startswith("text/html")
    assert wrong_method.headers["content-type"].startswith("text/html")


def test_f9_unsupported_plan_change_is_400_not_422(
    client: httpx.Client, broker: ScriptedBroker
) -> None:
    instance_id = _new_instance(client)
    broker.raise_next["update"] = errors.ErrPlanChangeNotSupported()
    response = client.patch(f"/v2/service_instances/{instance_id}", json=IDS)
    assert response.status_code == 400  # spec: 422 (UPD-006A)
    assert response.json()["error"] == "InvalidParameters"


@pytest.mark.parametrize("error", [errors.ErrPlanQuotaExceeded, errors.ErrServiceQuotaExceeded,
                                   errors.ErrInstanceLimitMet])
def test_f10_quota_errors_are_500(
    client: httpx.Client, broker: ScriptedBroker, error: type[Exception]
) -> None:
    broker.raise_next["provision"] = error()
    response = client.put(f"/v2/service_instances/{uuid.uuid4()}", json=PROVISION_BODY)
    assert response.status_code == 500
    instance_id = _new_instance(client)
    broker.raise_next["update"] = error()
    assert client.patch(f"/v2/service_instances/{instance_id}", json=IDS).status_code == 500


def test_f11_concurrency_error_unhandled_in_provision_and_last_operation(
    client: httpx.Client, broker: ScriptedBroker
) -> None:
    broker.raise_next["provision"] = errors.ErrConcurrentInstanceAccess()
    response = client.put(f"/v2/service_instances/{uuid.uuid4()}", json=PROVISION_BODY)
    assert response.status_code == 500  # spec: 422 ConcurrencyError (#blocking-operations)
    instance_id = _new_instance(client)
    broker.raise_next["last_operation"] = errors.ErrConcurrentInstanceAccess()
    path = f"/v2/service_instances/{instance_id}/last_operation"
    assert client.get(path, params=IDS).status_code == 500


def test_f12_update_and_bind_on_unknown_instance_are_500(client: httpx.Client) -> None:
    instance_id = str(uuid.uuid4())
    assert client.patch(f"/v2/service_instances/{instance_id}", json=IDS).status_code == 500
    bind = client.put(f"/v2/service_instances/{instance_id}/service_bindings/{uuid.uuid4()}",
                      json=IDS)
    assert bind.status_code == 500  # UPD-017: a 4xx; BND-018B: 404


def test_f13_maintenance_info_never_reaches_the_broker() -> None:
    body = {**PROVISION_BODY, "maintenance_info": {"version": "9.9.9"}}
    assert not hasattr(ProvisionDetails(**body), "maintenance_info")
    assert not hasattr(UpdateDetails(**IDS, maintenance_info={"version": "9.9.9"}),
                       "maintenance_info")


def test_f14_predecessor_binding_id_never_reaches_the_broker() -> None:
    details = BindDetails(**IDS, predecessor_binding_id=str(uuid.uuid4()))
    assert not hasattr(details, "predecessor_binding_id")
    with pytest.raises(TypeError):  # the rotation body requires only predecessor_binding_id
        BindDetails(predecessor_binding_id=str(uuid.uuid4()))  # type: ignore[call-arg]


def test_f15_organization_and_space_guid_may_come_from_context_only(
    client: httpx.Client,
) -> None:
    context = {"platform": "cloudfoundry", "organization_guid": "org", "space_guid": "space"}
    for missing in ("organization_guid", "space_guid"):
        body = {k: v for k, v in PROVISION_BODY.items() if k != missing}
        accepted = client.put(f"/v2/service_instances/{uuid.uuid4()}",
                              json={**body, "context": context})
        assert accepted.status_code == 201  # PROV-009: 400 (the field is REQUIRED)
        refused = client.put(f"/v2/service_instances/{uuid.uuid4()}", json=body)
        assert refused.status_code == 400  # without the context copy it is refused


def test_f16_a_binding_cannot_carry_endpoints() -> None:
    assert "endpoints" not in inspect.signature(Binding).parameters  # BND-015 SHOULD
