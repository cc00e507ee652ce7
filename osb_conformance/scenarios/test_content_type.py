"""Request bodies (spec #content-type) and extension fields (#vendor-extension-fields)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from osb_conformance.catalog import Plan
from osb_conformance.checks import CheckRecorder
from osb_conformance.client import BrokerResponse
from osb_conformance.expectations import answer_or_finding, binding_absent, instance_absent
from osb_conformance.platform import Instance, Platform, new_id, operation_of
from osb_conformance.update_requests import acceptable_update, update_body

requirement = pytest.mark.requirement

BAD_BODIES = {"malformed JSON": b'{"service_id": "x", ', "an empty body": b""}
EXTENSION = {"osbc_extension_field": {"nested": ["unknown", 1]}}


def _bad_body_requests(
    platform: Platform, instance: Instance, raw: bytes, instance_id: str, binding_id: str
) -> list[tuple[str, Callable[[], BrokerResponse]]]:
    """A provision of ``instance_id``, an update of ``instance`` and (if bindable) a bind
    of ``binding_id`` to it, each with the body ``raw``."""
    plan = instance.plan
    requests: list[tuple[str, Callable[[], BrokerResponse]]] = [
        ("PUT instance",
         lambda: platform.provision(plan, {}, instance_id=instance_id, content=raw)[1]),
        ("PATCH instance", lambda: platform.client.update(instance.id, {}, True, content=raw)),
    ]
    if plan.bindable:
        requests.append(("PUT binding", lambda: platform.bind(
            instance, {}, binding_id=binding_id, content=raw)[1]))
    return requests


@requirement("CT-002", "ERR-007")
def test_malformed_or_empty_bodies_are_400(
    any_plan: Plan, platform: Platform, check: CheckRecorder
) -> None:
    """... and the refused PUTs create nothing. A request that gets no answer is a CT-002
    finding; the other requests are still judged."""
    plan = any_plan
    instance = platform.ready_instance(plan)
    for label, raw in BAD_BODIES.items():
        instance_id, binding_id = new_id(), new_id()
        answers = {
            route: answer_or_finding(check, "CT-002", send,
                                     expected=f"400 Bad Request for {route} with {label}")
            for route, send in _bad_body_requests(platform, instance, raw, instance_id,
                                                  binding_id)}
        for route, response in answers.items():
            if response is not None:  # no answer: a CT-002 finding already
                check("CT-002", response.status == 400,
                      expected=f"400 Bad Request for {route} with {label}",
                      observed=response.describe())
        # After a PUT that got no answer, absence would prove nothing.
        if answers["PUT instance"] is not None:
            instance_absent(platform, plan, instance_id, check, "ERR-007")
        if answers.get("PUT binding") is not None:
            binding_absent(platform, plan, instance.id, binding_id, check, "ERR-007")


@requirement("CT-003A", "CT-003B")
@pytest.mark.provisions
@pytest.mark.parametrize("content_type", [None, "text/plain"], ids=["absent", "text-plain"])
def test_json_body_with_other_content_type(
    any_plan: Plan, platform: Platform, check: CheckRecorder, content_type: str | None
) -> None:
    plan = any_plan
    _, response = platform.provision(plan, headers={"Content-Type": content_type})
    label = "no Content-Type" if content_type is None else f"Content-Type {content_type}"
    check.info("CT-003A", f"a JSON provision body with {label} -> {response.describe()}")
    if 400 <= response.status < 500:
        check("CT-003B", response.status == 400,
              expected=f"400 Bad Request when refusing a body because of {label}",
              observed=response.describe())
    else:
        check.not_applicable("CT-003B", f"the broker did not refuse the body with {label}: "
                                        f"{response.describe()}")


def _with_extensions(body: dict[str, Any], *nested: str) -> dict[str, Any]:
    """The body with an unknown top-level field and an unknown key in each ``nested`` object."""
    extended = {**body, **EXTENSION}
    for name in nested:
        extended[name] = {**(body.get(name) or {}), **EXTENSION}
    return extended


def _settled(platform: Platform, plan: Plan, instance_id: str,
             response: BrokerResponse) -> str:
    """How a provision or update ended: the status, and for a 202 the polled state."""
    if response.status != 202:
        return str(response.status)
    result = platform.poll_instance(plan, instance_id, operation_of(response))
    return f"202 then {result.state}"


@requirement("EXT-001A", "EXT-001B")
def test_unknown_fields_are_ignored(
    any_plan: Plan, platform: Platform, check: CheckRecorder
) -> None:
    plan = any_plan
    plain = platform.provision_body(plan)
    plain_id, plain_answer = platform.provision(plan, plain)
    plain_outcome = _settled(platform, plan, plain_id, plain_answer)
    extended_id, answer = platform.provision(plan, _with_extensions(plain, "context"))
    _not_refused(check, "provision", plain_answer, answer)
    _same_outcome(check, "provision", plain_outcome,
                  _settled(platform, plan, extended_id, answer))
    if not plain_outcome.startswith(("201", "200", "202 then succeeded")):
        return  # no instance to go on with
    change = acceptable_update(platform, plan)  # never a context-only update (UPD-014B)
    if change is not None:
        update = update_body(platform, plan, **change.fields)
        plain_update = platform.client.update(plain_id, update, True)
        extended_update = platform.client.update(
            extended_id, _with_extensions(update, "context"), True)
        _not_refused(check, "update", plain_update, extended_update)
        _same_outcome(check, "update", _settled(platform, plan, plain_id, plain_update),
                      _settled(platform, plan, extended_id, extended_update))
    if not plan.bindable:
        return
    instance = Instance(plain_id, plan, plain_answer.status == 202, plain_answer, plain)
    body = platform.bind_body(plan)
    plain_bind = _bind_settled(platform, instance, body)
    extended_bind = _bind_settled(
        platform, instance, _with_extensions(body, "context", "bind_resource"))
    _not_refused(check, "bind", plain_bind[1], extended_bind[1])
    _same_outcome(check, "bind", plain_bind[0], extended_bind[0])


def _bind_settled(
    platform: Platform, instance: Instance, body: dict[str, Any]
) -> tuple[str, BrokerResponse]:
    """Bind and wait for the end (a second bind must not meet the first one running)."""
    binding_id, response = platform.bind(instance, body)
    if response.status != 202:
        return str(response.status), response
    result = platform.poll_binding(instance, binding_id, operation_of(response))
    return f"202 then {result.state}", response


def _not_refused(
    check: CheckRecorder, route: str, plain: BrokerResponse, extended: BrokerResponse
) -> None:
    refused = 400 <= extended.status < 500 and not 400 <= plain.status < 500
    check("EXT-001B", not refused,
          expected=f"a {route} with unknown extension fields is not refused when the same "
                   f"{route} without them is accepted",
          observed=f"without: {plain.describe()}; with: {extended.describe()}")


def _same_outcome(check: CheckRecorder, route: str, plain: str, extended: str) -> None:
    check("EXT-001A", plain == extended,
          expected=f"the {route} with unknown fields ends as the same {route} without them",
          observed=f"without: {plain}; with: {extended}")
