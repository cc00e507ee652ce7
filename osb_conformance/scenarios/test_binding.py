"""Binding (spec #binding) and fetching a binding (#fetching-a-service-binding)."""

from __future__ import annotations

from typing import Any

import pytest

from osb_conformance.catalog import Plan
from osb_conformance.checks import CheckRecorder
from osb_conformance.client import BrokerResponse
from osb_conformance.error_checks import ERROR_BODY_REQUIREMENTS, check_error_body
from osb_conformance.expectations import (
    binding_absent,
    is_json_object,
    needs_asynchronous,
    needs_bindable,
    not_applicable,
)
from osb_conformance.parameter_samples import invalid_sample, valid_sample
from osb_conformance.platform import Instance, Platform, PreconditionFailed, new_id, operation_of
from osb_conformance.response_checks import (
    BINDING_ANSWER_IDS,
    check_binding_answer,
    check_fetched_binding,
    check_no_binding_information,
    ended_meanwhile,
    judge_fetch_while_creating,
)
from osb_conformance.response_shapes import operation_problem

requirement = pytest.mark.requirement
REFUSED_BIND_IDS = ("BND-007", "BND-008", "BND-020A", "BND-020B", "BND-021", "ERR-007",
                    *ERROR_BODY_REQUIREMENTS)


def fetch_binding(platform: Platform, instance: Instance, binding_id: str) -> BrokerResponse:
    plan = instance.plan
    return platform.client.fetch_binding(instance.id, binding_id, plan.service.id, plan.id)


@requirement("BND-001", "BND-002B", "BND-002C", "BND-005", "BND-006", "BND-022", "BND-017",
             "GETB-001", "GETB-003", "GETB-006A", "GETB-006B", "UNB-008", *BINDING_ANSWER_IDS,
             *REFUSED_BIND_IDS)
def test_sync_bind_then_identical_resend_and_fetch(
    plan: Plan, platform: Platform, check: CheckRecorder
) -> None:
    needs_bindable(plan)
    instance = platform.ready_instance(plan)
    body = platform.bind_body(plan)
    binding_id, first = platform.bind(instance, body, accepts_incomplete=None)
    if first.status == 422 and first.error_code != "ConcurrencyError":
        # BND-010 (test_async_bind) judges the 422's error code, BND-001 would repeat it
        not_applicable(f"{plan.label} refuses a synchronous bind ({first.describe()}); "
                       "test_async_bind checks the binding")
    check("BND-001", first.status == 201 and is_json_object(first),
          expected="201 Created with a JSON object", observed=first.describe())
    check_binding_answer(check, plan, first)
    _, again = platform.bind(instance, body, binding_id=binding_id, accepts_incomplete=None)
    check("BND-005", again.status == 200, expected="200 OK for an identical resend",
          observed=again.describe())
    _conflict_is_409(platform, instance, binding_id, body, check, "that exists")
    second = platform.bind_ready(instance)
    credentials = [r.body_object().get("credentials") for r in (first, second.response)]
    if all(isinstance(c, dict) and c for c in credentials):
        check("BND-017", credentials[0] != credentials[1],
              expected="two bindings of one instance get different credentials",
              observed="both bindings received the same credentials")
    fetched = _fetch_checks(platform, instance, binding_id, check)
    _information_returned_once(check, first, second.response, fetched)
    check.info("BND-002B", f"credentials in the bind answer: {'credentials' in first.body_object()}"
               f"; on fetch: {fetched is not None and 'credentials' in fetched.body_object()}")
    _unbound_is_gone(platform, instance, second.id, check)
    _refused_binds_create_nothing(platform, instance, check)


def _unbound_is_gone(platform: Platform, instance: Instance, binding_id: str,
                     check: CheckRecorder) -> None:
    """UNB-008: after an unbind completed, the binding's resources are gone."""
    response = platform.unbind(instance, binding_id)
    if response.status == 202:
        platform.poll_binding(instance, binding_id, operation_of(response), deleting=True)
    if instance.plan.service.bindings_retrievable:
        fetched = fetch_binding(platform, instance, binding_id)
        check("UNB-008", fetched.status == 404, expected="404 from GET after the unbind",
              observed=fetched.describe())
    again = platform.unbind(instance, binding_id)
    check("UNB-008", again.status == 410, expected="410 Gone for an unbind after the unbind",
          observed=again.describe())


def _fetch_checks(platform: Platform, instance: Instance, binding_id: str,
                  check: CheckRecorder) -> BrokerResponse | None:
    if not instance.plan.service.bindings_retrievable:
        return None
    fetched = fetch_binding(platform, instance, binding_id)
    check("GETB-001", fetched.status == 200, expected="200 OK for an existing binding",
          observed=fetched.describe())
    check_fetched_binding(check, instance.plan, fetched)
    check.info("GETB-006B", "parameters returned" if "parameters" in fetched.body_object()
               else "no parameters in the fetched binding")
    unknown = fetch_binding(platform, instance, new_id())
    check("GETB-003", unknown.status == 404,
          expected="404 Not Found for a binding id that does not exist",
          observed=unknown.describe())
    return fetched


def _information_returned_once(check: CheckRecorder, first: BrokerResponse,
                               second: BrokerResponse, fetched: BrokerResponse | None) -> None:
    """BND-002C: when the plan generates credentials (another binding got some), a binding
    whose bind answer had none gets them on its first fetch."""
    if "credentials" in first.body_object() or "credentials" not in second.body_object():
        check.not_applicable("BND-002C", "no bind answer lacked the credentials another "
                                         "binding of the plan got")
        return
    on_fetch = fetched is not None and "credentials" in fetched.body_object()
    check("BND-002C", on_fetch,
          expected="the binding's credentials in the bind answer or on the first fetch",
          observed=f"bind answered {first.describe()}; fetch "
                   f"{fetched.describe() if fetched else 'not possible (no bindings_retrievable)'}")


def _conflict_is_409(platform: Platform, instance: Instance, binding_id: str,
                     body: dict[str, Any], check: CheckRecorder, state: str) -> None:
    """The same binding id with other parameters (BND-006, MUST), or for another app
    (BND-022: the spec says only "different parameters", so a SHOULD)."""
    parameters = _other_parameters(instance.plan, body)
    if parameters is None:
        check.not_applicable("BND-006", f"no other binding parameters the schema of "
                                        f"{instance.plan.label} accepts could be derived")
    else:
        _, response = platform.bind(instance, {**body, "parameters": parameters},
                                    binding_id=binding_id)
        check("BND-006", response.status == 409,
              expected=f"409 Conflict for the id of a binding {state}, with other parameters "
                       f"{parameters}", observed=response.describe())
    other_app = {**body,
                 "bind_resource": {**body.get("bind_resource", {}), "app_guid": new_id()}}
    _, response = platform.bind(instance, other_app, binding_id=binding_id)
    check("BND-022", response.status == 409,
          expected=f"409 Conflict for the id of a binding {state}, for another app_guid",
          observed=response.describe())


def _other_parameters(plan: Plan, body: dict[str, Any]) -> dict[str, Any] | None:
    """Binding parameters other than the body's that the plan's schema accepts (without a
    schema, any object), or None."""
    schema = plan.schema("service_binding", "create")
    candidate = valid_sample(schema) if schema is not None else {"osbc_conflict": "different"}
    return candidate if candidate and candidate != body.get("parameters") else None


@requirement("BND-018A", "BND-018B", "UNB-005")
def test_bind_to_missing_instance_is_404(
    plan: Plan, platform: Platform, check: CheckRecorder
) -> None:
    needs_bindable(plan)
    phantom = Instance(new_id(), plan, False, None, {})  # type: ignore[arg-type]
    binding_id, response = platform.bind(phantom, accepts_incomplete=True)
    check("BND-018A", not 200 <= response.status < 300,
          expected="no 2xx: there is no instance to bind to", observed=response.describe())
    check("BND-018B", response.status == 404, expected="404 Not Found",
          observed=response.describe())
    unbound = platform.unbind(phantom, new_id())
    check("UNB-005", unbound.status == 410,
          expected="410 Gone for an unbind under an instance that was never provisioned",
          observed=unbound.describe())


def _refused_binds(platform: Platform, instance: Instance) -> list[tuple[str, str, Any]]:
    """(requirement, what, request keyword arguments) of binds a broker must refuse."""
    plan = instance.plan
    body = platform.bind_body(plan)
    refused: list[tuple[str, str, Any]] = [
        ("BND-007", "a body without service_id",
         {"body": {k: v for k, v in body.items() if k != "service_id"}}),
        ("BND-007", "a body without plan_id",
         {"body": {k: v for k, v in body.items() if k != "plan_id"}}),
        ("BND-007", "an unparseable body", {"body": None, "content": b'{"plan_id": '}),
        ("BND-020B", "an unknown service_id", {"body": {**body, "service_id": new_id()}}),
    ]
    if plan.other_plans():
        refused.append(("BND-020B", "another plan's plan_id",
                        {"body": {**body, "plan_id": plan.other_plans()[0].id}}))
    parameters = invalid_sample(plan.schema("service_binding", "create"))
    if parameters is not None:
        refused.append(("BND-021", f"parameters {parameters} the schema rejects",
                        {"body": {**body, "parameters": parameters}}))
    return refused


def _refused_binds_create_nothing(platform: Platform, instance: Instance,
                                  check: CheckRecorder) -> None:
    """REFUSED_BIND_IDS: binds a broker must refuse, and the one without an app_guid."""
    plan = instance.plan
    for rule, what, request in _refused_binds(platform, instance):
        binding_id, response = platform.bind(instance, **request)
        if rule == "BND-007":
            check(rule, response.status == 400, expected=f"400 Bad Request for {what}",
                  observed=response.describe())
        else:
            check(rule, not 200 <= response.status < 300, expected=f"no 2xx for {what}",
                  observed=response.describe())
        if rule == "BND-020B":
            check.info("BND-020A", f"{what}: {response.describe()}")
        if 400 <= response.status < 500:
            check_error_body(check, response)
            binding_absent(platform, plan, instance.id, binding_id, check, "ERR-007")
    _bind_without_app_guid(platform, instance, check)


def _bind_without_app_guid(platform: Platform, instance: Instance, check: CheckRecorder) -> None:
    """BND-008: a broker refusing a bind only for its missing app_guid says RequiresApp."""
    body = platform.bind_body(instance.plan)
    body["bind_resource"] = {k: v for k, v in body["bind_resource"].items() if k != "app_guid"}
    binding_id, response = platform.bind(instance, body)
    if response.status == 202:  # accepted: let it end before cleanup unbinds it
        platform.poll_binding(instance, binding_id, operation_of(response))
    if 400 <= response.status < 500 and response.error_code not in (
            "ConcurrencyError", "AsyncRequired"):
        check("BND-008", response.status == 422 and response.error_code == "RequiresApp",
              expected="422 RequiresApp for a bind refused for lack of an app_guid",
              observed=response.describe())
    else:
        check.not_applicable("BND-008", f"the broker does not need an app_guid: a bind "
                                        f"without one answered {response.describe()}")


@requirement("BND-003A", "BND-003B", "BND-004", "BND-005", "BND-006", "BND-022", "BND-009",
             "BND-010",
             "GETB-002", "GETB-004", "GETB-005", "ASY-001", *REFUSED_BIND_IDS)
def test_async_bind(plan: Plan, platform: Platform, check: CheckRecorder) -> None:
    needs_bindable(plan)
    needs_asynchronous(platform, plan, "bind")
    instance = platform.ready_instance(plan)
    body = platform.bind_body(plan)
    binding_id, response = platform.bind(instance, body, accepts_incomplete=None)
    check("ASY-001", response.status != 202, expected="no 202 without accepts_incomplete=true",
          observed=response.describe())
    if response.status in (200, 201):
        not_applicable(f"{plan.label} binds synchronously")
    if response.status == 422 and response.error_code != "ConcurrencyError":
        check("BND-010", response.error_code == "AsyncRequired",
              expected='422 with "error": "AsyncRequired" without accepts_incomplete=true',
              observed=response.describe())
    _, first = platform.bind(instance, body, binding_id=binding_id, accepts_incomplete=True)
    if first.status in (200, 201):
        not_applicable(f"{plan.label} binds synchronously")
    problem = operation_problem(first.body_object(), null_allowed=False)
    check("BND-003A", first.status == 202 and problem is None,
          expected="202 with any operation a string of at most 10,000 characters",
          observed=problem or first.describe())
    check_no_binding_information(check, "BND-003B", first)
    _while_binding(platform, instance, binding_id, body, first, check)
    result = platform.poll_binding(instance, binding_id, operation_of(first))
    if result.state != "succeeded":
        raise PreconditionFailed(f"asynchronous binding to {plan.label} did not succeed: "
                                 f"{result.last.describe() if result.last else ''}")
    _resend_after_bound(platform, instance, binding_id, body, check)
    if plan.service.bindings_retrievable:
        fetched = fetch_binding(platform, instance, binding_id)
        check("GETB-002", fetched.status == 200,
              expected="200 OK from GET once binding last_operation said 'succeeded'",
              observed=fetched.describe())
        if fetched.status == 200:
            _credentials_on_fetch(platform, plan, fetched, check)
    _conflict_is_409(platform, instance, binding_id, body, check, "that exists")
    _refused_binds_create_nothing(platform, instance, check)


def _resend_after_bound(platform: Platform, instance: Instance, binding_id: str,
                        body: dict[str, Any], check: CheckRecorder) -> None:
    """Once the asynchronous bind succeeded, an identical resend finds the binding
    complete: 200 as for a synchronous plan (neither 201 nor 202)."""
    _, again = platform.bind(instance, body, binding_id=binding_id)
    if again.status == 202:  # let whatever it started end before cleanup unbinds it
        platform.poll_binding(instance, binding_id, operation_of(again))
    check("BND-005", again.status == 200,
          expected="200 OK for an identical resend after the bind succeeded",
          observed=again.describe())
def _credentials_on_fetch(platform: Platform, plan: Plan, fetched: BrokerResponse,
                          check: CheckRecorder) -> None:
    """GETB-005: the fetch of an asynchronously created binding returns credentials if the
    broker generates credentials (spec #body-11). Whether it does, only a binding with
    credentials shows: without any in the fetch, one of another plan of the offering."""
    body = fetched.body_object()
    if "credentials" in body:
        check("GETB-005", isinstance(body["credentials"], dict),
              expected="the fetched binding's credentials, a JSON object",
              observed=fetched.describe())
        return
    evidence = _credentials_generated(platform, plan)
    if evidence is None:
        check.not_applicable("GETB-005", "the fetched binding carries no credentials, and no "
                                         "other binding of the offering showed that the "
                                         "broker generates credentials")
        return
    check("GETB-005", False,
          expected=f"credentials in the fetch of an asynchronously created binding, as the "
                   f"broker generates credentials ({evidence})", observed=fetched.describe())


def _credentials_generated(platform: Platform, plan: Plan) -> str | None:
    """Evidence that the broker generates credentials for ``plan``'s offering: a binding of
    another bindable plan of it with credentials in its bind answer or first fetch."""
    for other in (p for p in plan.other_plans() if p.bindable):
        try:
            binding = platform.bind_ready(platform.ready_instance(other))
        except PreconditionFailed:
            continue  # no evidence from this plan
        answers = [binding.response]
        if other.service.bindings_retrievable:
            answers.append(fetch_binding(platform, binding.instance, binding.id))
        if any(isinstance(a.body_object().get("credentials"), dict) for a in answers):
            return f"a binding of plan {other.label} got credentials"
    return None


def _while_binding(platform: Platform, instance: Instance, binding_id: str,
                   body: dict[str, Any], first: BrokerResponse, check: CheckRecorder) -> None:
    """What the broker must answer while the bind is in progress: the fetch first, while
    the bind surely runs; the concurrent bind (polled to its end) last."""
    plan = instance.plan
    if plan.service.bindings_retrievable:
        judge_fetch_while_creating(
            check, "GETB-004", fetch_binding(platform, instance, binding_id),
            lambda: ended_meanwhile(platform, plan, instance.id, operation_of(first),
                                    binding_id),
            creation="the bind", in_progress="the binding is being created")
    _, again = platform.bind(instance, body, binding_id=binding_id)
    if again.status != 202 and ended_meanwhile(platform, plan, instance.id,
                                               operation_of(first), binding_id):
        check.not_exercised("BND-004", f"the bind ended before the resend ({again.describe()})")
    else:
        check("BND-004", again.status == 202 and operation_of(again) == operation_of(first),
              expected=f"202 with the same operation {operation_of(first)!r} for an "
                       f"identical resend in progress", observed=again.describe())
    _conflict_is_409(platform, instance, binding_id, body, check, "being created")
    concurrent_id, concurrent = platform.bind(instance)
    if concurrent.status == 202:  # accepted in parallel: let it end before cleanup
        platform.poll_binding(instance, concurrent_id, operation_of(concurrent))
    if 400 <= concurrent.status < 500:
        check("BND-009", concurrent.status == 422 and concurrent.error_code == "ConcurrencyError",
              expected="a concurrent bind, if refused, gets 422 ConcurrencyError",
              observed=concurrent.describe())
