"""The suite keeps the spec's obligations on platforms (it plays the platform).

An auditing reference broker records every request that breaks a platform obligation;
the whole suite run against it must leave the audit clean. The auditor itself is tested
with requests that break each obligation, so that this check can fail.
"""

from __future__ import annotations

import base64
import json
import uuid
from pathlib import Path

import httpx
import pytest

from osb_conformance.reference_broker import ReferenceBroker
from osb_conformance.reference_broker.audit import PlatformAudit
from osb_conformance.reference_broker.catalog import (
    BASIC_PLAN_ID,
    BASIC_SERVICE_ID,
    SERVICE_ID,
    SYNC_PLAN_ID,
    build_catalog,
)
from osb_conformance.reference_broker.http_types import Request, Response
from tests.suite_runner import run_suite_inprocess

AUDITED = ("HDR-006A", "HDR-006B", "HDR-007A", "PROV-022A", "PROV-022B", "LOI-002A",
           "LOI-002B", "GETI-009", "BND-019", "ROT-003", "DEP-008", "UPD-012", "UPD-014B")


@pytest.mark.platform_obligation(*AUDITED)
def test_whole_suite_keeps_platform_obligations(start_broker, pytester: pytest.Pytester) -> None:
    # No offering declares allow_context_updates: a context-only update would be caught.
    broker = start_broker(audit=True, with_basic_service=True, variant="no-context-updates")
    run = run_suite_inprocess(pytester, broker.url)
    assert run.summary.get("PASS", 0) > 0, run.output
    findings = "\n".join(f"{rid}: {detail}" for rid, detail in broker.broker.audit.findings)
    assert not findings, f"the suite broke platform obligations:\n{findings}"


def _request(route: str, method: str = "PUT", instance_id: str | None = None,
             body: dict | None = None, query: dict | None = None,
             headers: dict | None = None, binding_id: str = "") -> Request:
    instance_id = str(uuid.uuid4()) if instance_id is None else instance_id
    default_headers = {"x-broker-api-request-identity": str(uuid.uuid4())}
    return Request(method=method, path=f"/v2/service_instances/{instance_id}", query=query or {},
                   headers={**default_headers, **(headers or {})},
                   body=json.dumps(body or {}).encode(), route=route, instance_id=instance_id,
                   binding_id=binding_id)


def _audit() -> PlatformAudit:
    return PlatformAudit(build_catalog(with_basic_service=True))


def _ids(audit: PlatformAudit) -> set[str]:
    return {requirement for requirement, _ in audit.findings}


def test_auditor_flags_missing_and_non_guid_request_identity() -> None:
    audit = _audit()
    audit.observe(_request("catalog", headers={"x-broker-api-request-identity": ""}),
                  Response(200))
    audit.observe(_request("catalog", headers={"x-broker-api-request-identity": "abc"}),
                  Response(200))
    assert _ids(audit) == {"HDR-006A", "HDR-006B"}


def test_auditor_flags_malformed_originating_identity() -> None:
    audit = _audit()
    value = base64.b64encode(b'{"user_id": "u"}').decode()
    body = {"context": {"platform": "kubernetes"}, "plan_id": SYNC_PLAN_ID}
    audit.observe(_request("provision", body=body,
                           headers={"x-broker-api-originating-identity": f"cloudfoundry {value}"}),
                  Response(201))
    audit.observe(_request("provision", headers={"x-broker-api-originating-identity": "cf !!"}),
                  Response(201))
    assert _ids(audit) == {"HDR-007A"} and len(audit.findings) == 2


def test_auditor_flags_reused_and_non_uuid_instance_ids() -> None:
    audit = _audit()
    instance_id = str(uuid.uuid4())
    audit.observe(_request("deprovision", "DELETE", instance_id), Response(200))
    audit.observe(_request("provision", instance_id=instance_id), Response(201))
    audit.observe(_request("provision", instance_id=""), Response(201))
    assert _ids(audit) == {"PROV-022A", "PROV-022B"}


def test_auditor_flags_polling_without_ids_or_operation() -> None:
    audit = _audit()
    instance_id = str(uuid.uuid4())
    audit.observe(_request("provision", instance_id=instance_id, body={"plan_id": SYNC_PLAN_ID}),
                  Response(202, {"operation": "op-1"}))
    poll = _request("instance_last_operation", "GET", instance_id)
    audit.observe(poll, Response(200, {"state": "in progress"}))
    assert _ids(audit) == {"LOI-002A", "LOI-002B"}


def test_auditor_flags_forbidden_feature_requests() -> None:
    audit = _audit()
    instance_id = str(uuid.uuid4())
    audit.observe(_request("provision", instance_id=instance_id,
                           body={"service_id": BASIC_SERVICE_ID, "plan_id": BASIC_PLAN_ID}),
                  Response(201))
    audit.observe(_request("fetch_instance", "GET", instance_id), Response(200))
    audit.observe(_request("bind", instance_id=instance_id, binding_id="b",
                           body={"service_id": BASIC_SERVICE_ID, "plan_id": BASIC_PLAN_ID,
                                 "predecessor_binding_id": "a"}), Response(201))
    audit.observe(_request("update", "PATCH", instance_id,
                           body={"service_id": BASIC_SERVICE_ID, "plan_id": SYNC_PLAN_ID}),
                  Response(422))  # refused: the instance keeps its plan
    audit.observe(_request("update", "PATCH", instance_id,
                           body={"service_id": BASIC_SERVICE_ID, "context": {"a": 1}}),
                  Response(200))
    audit.observe(_request("deprovision", "DELETE", instance_id), Response(200))
    assert _ids(audit) == {"GETI-009", "BND-019", "ROT-003", "UPD-012", "UPD-014B", "DEP-008"}


def test_auditor_flags_context_only_updates_whatever_else_they_carry() -> None:
    """A PATCH changing only the context is one, with previous_values or the current plan_id
    in it (issue 11: the audit missed those); a real change or another plan is not."""
    audit = _audit()
    instance_id = str(uuid.uuid4())
    audit.observe(_request("provision", instance_id=instance_id,
                           body={"service_id": BASIC_SERVICE_ID, "plan_id": BASIC_PLAN_ID}),
                  Response(201))
    previous = {"service_id": BASIC_SERVICE_ID, "plan_id": BASIC_PLAN_ID}
    context_only = [
        {"service_id": BASIC_SERVICE_ID, "context": {"a": 1}, "previous_values": previous},
        {"service_id": BASIC_SERVICE_ID, "plan_id": BASIC_PLAN_ID, "context": {"a": 1}},
        {"plan_id": BASIC_PLAN_ID, "context": {"a": 1}, "osbc_extra": True},
    ]
    real_changes = [
        {"service_id": BASIC_SERVICE_ID, "context": {"a": 1}, "parameters": {"size": 1}},
        {"service_id": BASIC_SERVICE_ID, "context": {"a": 1},
         "maintenance_info": {"version": "1.0.0"}},
        {"service_id": BASIC_SERVICE_ID, "previous_values": previous},
    ]
    for body in context_only + real_changes:
        audit.observe(_request("update", "PATCH", instance_id, body=body), Response(422))
    assert [rid for rid, _ in audit.findings] == ["UPD-014B"] * len(context_only)
    allowed = _audit()  # the reference service declares allow_context_updates
    allowed.observe(_request("update", "PATCH", body={
        "service_id": SERVICE_ID, "plan_id": SYNC_PLAN_ID, "context": {"a": 1}}), Response(200))
    assert allowed.findings == []


def test_reference_catalog_ids_are_distinct() -> None:
    assert SERVICE_ID != BASIC_SERVICE_ID and Path(__file__).exists()
    assert ReferenceBroker(with_basic_service=True).catalog["services"][1]["bindable"] is False


@pytest.mark.platform_obligation("EXT-002")
def test_unknown_response_fields_are_ignored(start_broker, pytester: pytest.Pytester) -> None:
    broker = start_broker(vendor_fields=True)
    run = run_suite_inprocess(pytester, broker.url, "--osb-strict")
    assert run.exit_code == 0, run.output
    assert run.summary["WARN"] == 0 and run.summary["FAIL"] == 0
    catalog = httpx.get(f"{broker.url}/v2/catalog", auth=("admin", "secret"),
                        headers={"X-Broker-API-Version": "2.17"}).json()
    assert "x_reference_vendor" in catalog["services"][0]["plans"][0]  # the test is real
