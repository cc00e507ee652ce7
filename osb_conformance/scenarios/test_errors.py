"""Error responses (spec #service-broker-errors): induced on every route, then judged
by their status class and body."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from osb_conformance.catalog import Plan
from osb_conformance.checks import CheckRecorder
from osb_conformance.client import BrokerResponse
from osb_conformance.error_checks import ERROR_BODY_REQUIREMENTS, check_error_body
from osb_conformance.expectations import answers_or_findings
from osb_conformance.platform import Instance, Platform, new_id

requirement = pytest.mark.requirement

MALFORMED_JSON = b'{"service_id": '


def _induced_errors(platform: Platform, plan: Plan, bindable: Plan | None,
                    check: CheckRecorder) -> list[tuple[str, BrokerResponse]]:
    """Requests that are wrong whatever the broker: each must be refused with a 4xx. The
    binding routes only with a bindable plan (``bindable``): without one, a broker need not
    implement them. One that gets no answer is an ERR-001 finding; the others are still
    judged."""
    client = platform.client
    service_id, plan_id = plan.service.id, plan.id
    missing_service = platform.provision_body(plan)
    del missing_service["service_id"]
    unknown = new_id()
    requests: list[tuple[str, Callable[[], BrokerResponse]]] = [
        ("provision without service_id", lambda: platform.provision(plan, missing_service)[1]),
        ("provision with malformed JSON",
         lambda: platform.provision(plan, {}, content=MALFORMED_JSON)[1]),
        ("update with malformed JSON",
         lambda: client.update(unknown, {}, True, content=MALFORMED_JSON)),
        ("deprovision without service_id and plan_id",
         lambda: client.deprovision(unknown, None, None, True)),
        ("last_operation of an unknown instance",
         lambda: client.instance_last_operation(unknown, service_id, plan_id)),
    ]
    if plan.service.instances_retrievable:
        requests.append(("fetch of an unknown instance",
                         lambda: client.fetch_instance(unknown, service_id, plan_id)))
    if bindable is not None:
        requests += _induced_binding_errors(platform, bindable, unknown)
    return answers_or_findings(check, "ERR-001", requests,
                               lambda name: f"a 4xx client error for a {name}")


def _induced_binding_errors(platform: Platform, plan: Plan, unknown: str,
                            ) -> list[tuple[str, Callable[[], BrokerResponse]]]:
    client = platform.client
    service_id, plan_id = plan.service.id, plan.id
    phantom = Instance(new_id(), plan, False, None, {})  # type: ignore[arg-type]
    requests: list[tuple[str, Callable[[], BrokerResponse]]] = [
        ("bind with malformed JSON",
         lambda: platform.bind(phantom, {}, content=MALFORMED_JSON)[1]),
        ("unbind without service_id and plan_id",
         lambda: client.unbind(unknown, new_id(), None, None, True)),
        ("last_operation of an unknown binding",
         lambda: client.binding_last_operation(unknown, new_id(), service_id, plan_id)),
    ]
    if plan.service.bindings_retrievable:
        requests.append(("fetch of an unknown binding",
                         lambda: client.fetch_binding(unknown, new_id(), service_id, plan_id)))
    return requests


@requirement("ERR-001", *ERROR_BODY_REQUIREMENTS)
def test_induced_errors_are_4xx_with_well_formed_bodies(
    any_plan: Plan, any_bindable_plan: Plan | None, platform: Platform, check: CheckRecorder
) -> None:
    plan = any_plan
    if any_bindable_plan is None:
        check.not_applicable("ERR-001", "binding routes: no selected plan is bindable, so the "
                                        "broker need not implement them (spec #binding)")
    for name, response in _induced_errors(platform, plan, any_bindable_plan, check):
        check("ERR-001", 400 <= response.status < 500,
              expected=f"a 4xx client error for a {name}", observed=response.describe())
        check_error_body(check, response)
    refused = platform.client.catalog(headers={"X-Broker-API-Version": "3.0"})
    if 400 <= refused.status < 500:
        check_error_body(check, refused)
