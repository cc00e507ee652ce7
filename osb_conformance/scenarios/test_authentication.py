"""Platform to broker authentication (spec #platform-to-service-broker-authentication)."""

from __future__ import annotations

import base64
import ipaddress
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import pytest

from osb_conformance.catalog import Plan
from osb_conformance.checks import CheckRecorder
from osb_conformance.client import BrokerResponse
from osb_conformance.expectations import (
    answer_or_finding,
    answers_or_findings,
    instance_absent,
    needs_credentials,
)
from osb_conformance.platform import Instance, Platform, new_id

requirement = pytest.mark.requirement

# Authorization values no broker may accept: not Basic, not base64, no colon.
MALFORMED_AUTHORIZATION = (
    "Basic",
    "Basic !!!not-base64!!!",
    "Basic " + base64.b64encode(b"no-colon-here").decode(),
    "Negotiate osb-conformance",
)


def _every_route(
    platform: Platform, plan: Plan, bindable: Plan | None, instance_id: str, auth: Any,
    check: CheckRecorder,
) -> list[tuple[str, BrokerResponse]]:
    """Send one request to each OSB route with ``auth``; ids are fresh. The binding routes
    only with a bindable plan: without one, a broker need not implement them. A route that
    gives no answer is an AUTH-001 finding; the other routes are still judged."""
    client = platform.client
    service_id, plan_id = plan.service.id, plan.id
    requests: list[tuple[str, Callable[[], BrokerResponse]]] = [
        ("GET catalog", lambda: client.catalog(auth=auth)),
        ("PUT instance", lambda: platform.provision(
            plan, instance_id=instance_id, auth=auth)[1]),
        ("PATCH instance", lambda: client.update(
            instance_id, {"service_id": service_id, "plan_id": plan_id}, True, auth=auth)),
        ("GET instance", lambda: client.fetch_instance(
            instance_id, service_id, plan_id, auth=auth)),
        ("GET instance last_operation", lambda: client.instance_last_operation(
            instance_id, service_id, plan_id, auth=auth)),
        ("DELETE instance", lambda: client.deprovision(
            instance_id, service_id, plan_id, True, auth=auth)),
    ]
    if bindable is not None:
        requests[-1:-1] = _binding_routes(platform, bindable, auth)
    return answers_or_findings(
        check, "AUTH-001", requests,
        lambda name: f"401 Unauthorized for {name} without an Authorization header")


def _binding_routes(platform: Platform, plan: Plan, auth: Any,
                    ) -> list[tuple[str, Callable[[], BrokerResponse]]]:
    client = platform.client
    service_id, plan_id = plan.service.id, plan.id
    instance_id, binding_id = new_id(), new_id()
    phantom = Instance(instance_id, plan, False, None, {})  # type: ignore[arg-type]
    return [
        ("PUT binding", lambda: platform.bind(phantom, binding_id=binding_id, auth=auth)[1]),
        ("GET binding", lambda: client.fetch_binding(
            instance_id, binding_id, service_id, plan_id, auth=auth)),
        ("GET binding last_operation", lambda: client.binding_last_operation(
            instance_id, binding_id, service_id, plan_id, auth=auth)),
        ("DELETE binding", lambda: client.unbind(
            instance_id, binding_id, service_id, plan_id, True, auth=auth)),
    ]


@requirement("AUTH-001", "AUTH-003")
def test_every_route_without_credentials_is_401(
    any_plan: Plan, any_bindable_plan: Plan | None, platform: Platform, check: CheckRecorder
) -> None:
    plan = any_plan
    needs_credentials(platform)
    if any_bindable_plan is None:
        check.not_applicable("AUTH-001", "binding routes: no selected plan is bindable, so the "
                                         "broker need not implement them (spec #binding)")
    instance_id = new_id()
    answers = _every_route(platform, plan, any_bindable_plan, instance_id, auth=False,
                           check=check)
    for name, response in answers:
        check("AUTH-001", response.status == 401,
              expected=f"401 Unauthorized for {name} without an Authorization header",
              observed=response.describe())
    if "PUT instance" in dict(answers):
        instance_absent(platform, plan, instance_id, check, "AUTH-003")
    else:
        check.not_exercised("AUTH-003", "the PUT without credentials got no answer, so "
                                        "the instance's absence would prove nothing")


def _wrong_credentials(platform: Platform) -> list[tuple[str, Any]]:
    settings = platform.settings
    if settings.token:
        wrong: list[tuple[str, Any]] = [("a wrong bearer token", "Bearer osbc-wrong-token")]
    else:
        user, password = settings.username or "", settings.password or ""
        wrong = [("a wrong password", (user, password + "-osbc-wrong")),
                 ("a wrong user", ("osbc-wrong-" + user, password))]
    return wrong + [(f"Authorization: {value!r}", value) for value in MALFORMED_AUTHORIZATION]


def _two_routes(platform: Platform, plan: Plan, auth: Any) -> list[Callable[[], BrokerResponse]]:
    """The catalog and the last_operation of an unknown instance, sent with ``auth``."""
    client = platform.client
    return [lambda: client.catalog(auth=auth),
            lambda: client.instance_last_operation(new_id(), plan.service.id, plan.id,
                                                   auth=auth)]


@requirement("AUTH-002")
def test_wrong_or_malformed_credentials_are_401(
    any_plan: Plan, platform: Platform, check: CheckRecorder
) -> None:
    plan = any_plan
    needs_credentials(platform)
    for label, auth in _wrong_credentials(platform):
        answers = [answer_or_finding(check, "AUTH-002", send,
                                     expected=f"401 Unauthorized for {label}")
                   for send in _two_routes(platform, plan, auth)]
        for response in filter(None, answers):  # no answer: an AUTH-002 finding already
            check("AUTH-002", response.status == 401, expected=f"401 Unauthorized for {label}",
                  observed=f"{response.exchange.method} {response.exchange.url}: "
                           f"{response.describe()}")


@requirement("AUTH-004B")
def test_broker_requires_authentication(platform: Platform, check: CheckRecorder) -> None:
    """Both halves of the recommendation: TLS (graded from the URL the run was given; a
    loopback address never leaves the host, so plain HTTP there is no finding) and
    authentication (an unauthenticated catalog request is refused)."""
    settings = platform.settings
    problem = plain_http_problem(settings.broker_url)
    check("AUTH-004B", problem is None,
          expected="the broker reached over TLS (https), or on a loopback address",
          observed=problem or f"the broker is reached at {settings.broker_url}")
    response = platform.client.catalog(auth=False)
    check("AUTH-004B", not 200 <= response.status < 300,
          expected="a catalog request without credentials is refused",
          observed=f"run credentials configured: {settings.has_credentials}; "
                   f"unauthenticated catalog answered {response.describe()}")


def plain_http_problem(broker_url: str) -> str | None:
    """Why ``broker_url`` breaks the TLS recommendation, or None (https, or loopback)."""
    parts = urlsplit(broker_url)
    if parts.scheme == "https":
        return None
    host = parts.hostname or ""
    if host == "localhost" or _is_loopback(host):
        return None
    return f"the broker is reached over {parts.scheme or 'an unknown scheme'} at {host!r}, " \
           f"not over TLS"


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
