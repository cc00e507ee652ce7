"""Headers (spec #headers, #api-version-header, #request-identity) and the content type
of responses (#content-type), observed over a whole instance and binding lifecycle."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from osb_conformance.catalog import Plan
from osb_conformance.checks import CheckRecorder
from osb_conformance.client import OSBClient
from osb_conformance.error_checks import is_json_media_type
from osb_conformance.expectations import Answer, answer_or_finding
from osb_conformance.platform import Platform, new_id, operation_of
from osb_conformance.requirements import version_tuple
from osb_conformance.settings import SUPPORTED_API_VERSIONS
from osb_conformance.transcript import Exchange

requirement = pytest.mark.requirement

UNSUPPORTED_VERSIONS = ("1.0", "3.0")
REQUEST_IDENTITY = "X-Broker-API-Request-Identity"
ANSWERED = "an answer (no dropped connection, no timeout) to a well-formed, valid request"


@requirement("HDR-002A", "HDR-002B")
@pytest.mark.parametrize("version", UNSUPPORTED_VERSIONS)
def test_unsupported_version_is_412_if_refused(
    osb: OSBClient, check: CheckRecorder, version: str
) -> None:
    response = osb.catalog(headers={"X-Broker-API-Version": version})
    check.info("HDR-002A", f"X-Broker-API-Version: {version} -> {response.describe()}")
    if 200 <= response.status < 300:
        return  # accepting is equally conformant
    check("HDR-002B", response.status == 412,
          expected=f"412 Precondition Failed when refusing version {version}",
          observed=response.describe())


@requirement("HDR-003A", "HDR-003B")
def test_missing_version_header_is_400_if_refused(osb: OSBClient, check: CheckRecorder) -> None:
    response = osb.catalog(headers={"X-Broker-API-Version": None})
    check.info("HDR-003A", f"no X-Broker-API-Version -> {response.describe()}")
    if 200 <= response.status < 300:
        return
    check("HDR-003B", response.status == 400,
          expected="400 Bad Request when refusing a request without the version header",
          observed=response.describe())


@requirement("HDR-004A", "HDR-004B")
def test_version_under_test_is_not_refused(
    any_plan: Plan, osb: OSBClient, check: CheckRecorder
) -> None:
    plan = any_plan
    version = osb.settings.api_version
    requests = [osb.catalog,
                lambda: osb.instance_last_operation(new_id(), plan.service.id, plan.id)]
    answers = [answer_or_finding(check, "HDR-004A", send,
                                 expected=f"an answer, not 412, for version {version}")
               for send in requests]
    for response in filter(None, answers):  # no answer: an HDR-004A finding already
        check("HDR-004A", response.status != 412,
              expected=f"no 412 Precondition Failed for version {version}, the one under test",
              observed=f"{response.exchange.method} {response.exchange.url}: "
                       f"{response.describe()}")
    for older in SUPPORTED_API_VERSIONS:
        if not version_tuple("2.14") <= version_tuple(older) < version_tuple(version):
            continue
        response = osb.catalog(headers={"X-Broker-API-Version": older})
        check.info("HDR-004B", f"X-Broker-API-Version: {older} -> {response.status}")


@requirement("HDR-005", "CT-001", "ERR-010", "CAT-026")
def test_lifecycle_responses_echo_identity_and_are_json(
    plan: Plan, platform: Platform, check: CheckRecorder
) -> None:
    """Every answer of one lifecycle of valid requests: request identity echoed, bodies
    typed as JSON, no server error; and a binding with a route_service_url belongs to an
    offering requiring route_forwarding. A request that gets no answer (dropped, timed out)
    is an ERR-010 finding, and the other answers are still checked."""
    client = platform.client
    service = plan.service

    def answer(send: Callable[[], Answer]) -> Answer | None:
        return answer_or_finding(check, "ERR-010", send, expected=ANSWERED)

    answer(client.catalog)
    instance = platform.provision_ready(plan)  # everything after needs the instance
    if service.instances_retrievable:
        answer(lambda: client.fetch_instance(instance.id, service.id, plan.id))
    binding_bodies = []
    binding = answer(lambda: platform.bind_ready(instance)) if plan.bindable else None
    if binding is not None:
        binding_bodies.append(binding.response.body_object())
        if service.bindings_retrievable:
            fetched = answer(lambda: client.fetch_binding(
                instance.id, binding.id, service.id, plan.id))
            if fetched is not None:
                binding_bodies.append(fetched.body_object())
        answer(lambda: client.binding_last_operation(
            instance.id, binding.id, service.id, plan.id, operation_of(binding.response)))
        answer(lambda: platform.unbind_done(instance, binding.id))
    answer(lambda: client.instance_last_operation(
        instance.id, service.id, plan.id, operation_of(instance.response)))
    answer(lambda: platform.deprovision_done(instance))
    answer(lambda: client.instance_last_operation(new_id(), service.id, plan.id))  # an error
    for exchange in list(client.exchanges):
        if exchange.status is None:
            continue  # no answer: an ERR-010 finding already
        check("ERR-010", exchange.status < 500,
              expected="no 5xx answer to a well-formed, valid request",
              observed=f"{exchange.method} {exchange.url}: {exchange.status}")
        check("HDR-005", _identity_echoed(exchange),
              expected=f"the response carries {REQUEST_IDENTITY} with the request's value",
              observed=_identity_observed(exchange))
        check("CT-001", _body_typed_as_json(exchange),
              expected="a response with a body declares Content-Type application/json",
              observed=f"{exchange.method} {exchange.url}: {exchange.status}, Content-Type "
                       f"{_header(exchange.response_headers, 'content-type')!r}")
    routes = [b["route_service_url"] for b in binding_bodies if "route_service_url" in b]
    if routes:
        check("CAT-026", "route_forwarding" in service.requires,
              expected="an offering whose bindings return route_service_url requires "
                       "route_forwarding",
              observed=f"route_service_url {routes[0]!r}; requires {list(service.requires)}")
    else:
        check.not_applicable("CAT-026", "no binding answer carried route_service_url")


def _header(headers: dict[str, str] | None, name: str) -> str | None:
    for key, value in (headers or {}).items():
        if key.lower() == name.lower():
            return value
    return None


def _identity_echoed(exchange: Exchange) -> bool:
    sent = _header(exchange.request_headers, REQUEST_IDENTITY)
    return sent is None or _header(exchange.response_headers, REQUEST_IDENTITY) == sent


def _identity_observed(exchange: Exchange) -> str:
    return (f"{exchange.method} {exchange.url}: sent "
            f"{_header(exchange.request_headers, REQUEST_IDENTITY)!r}, got back "
            f"{_header(exchange.response_headers, REQUEST_IDENTITY)!r}")


def _body_typed_as_json(exchange: Exchange) -> bool:
    if not (exchange.response_body or "").strip():
        return True
    return is_json_media_type(_header(exchange.response_headers, "content-type"))
