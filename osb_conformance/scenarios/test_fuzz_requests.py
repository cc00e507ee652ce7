"""Fuzzing request bodies and ids (spec #response-3, #response-5, #response-6, #error-codes).

Malformed provision, update and bind requests, with unknown extra fields, odd
contexts and odd ids mixed in, get a 4xx (never 2xx or 5xx) and create or change
nothing. Well-formed provisions to odd ids with odd contexts never get a 5xx.
"""

from __future__ import annotations

import pytest

from osb_conformance.absence import binding_delete_of_unknown, instance_delete_of_unknown
from osb_conformance.catalog import Plan
from osb_conformance.checks import CheckRecorder
from osb_conformance.client import BrokerResponse
from osb_conformance.expectations import needs_bindable
from osb_conformance.fuzzing.actions import (
    delete_instance,
    finish_instance_operation,
    is_server_error,
    is_success,
)
from osb_conformance.fuzzing.malformed import (
    OddRequest,
    explicit_malformed,
    fresh_id,
    is_ordinary_id,
    malformed_requests,
    odd_contexts,
    odd_ids,
)
from osb_conformance.fuzzing.runner import Tally, Verdict, run_property
from osb_conformance.fuzzing.targets import OPERATIONS, ParameterTarget, fuzz_budget
from osb_conformance.platform import Platform

requirement = pytest.mark.requirement


@requirement("FUZZ-003", "PROV-010")
@pytest.mark.parametrize("operation", OPERATIONS)
def test_malformed_requests_are_refused(
    plan: Plan, platform: Platform, check: CheckRecorder, operation: str,
    request: pytest.FixtureRequest,
) -> None:
    budget = fuzz_budget(platform)
    if operation == "bind":
        needs_bindable(plan)

    def attempt(odd: OddRequest, tally: Tally) -> list[Verdict]:
        tally.note(odd.defect.split(" ")[0] if odd.raw is None else "raw body")
        response, unchanged = send(target, odd)
        verdicts = [Verdict("FUZZ-003", 400 <= response.status < 500,
                            f"4xx for a malformed {operation} request ({odd.defect})",
                            response.describe())]
        if operation == "provision" and is_ordinary_id(odd) and not odd.defect.startswith(
                "missing"):
            verdicts.append(Verdict("PROV-010", response.status == 400,
                                    f"400 Bad Request for a malformed provision ({odd.defect})",
                                    response.describe()))
        if unchanged is None:
            tally.note("absence not provable (DELETE of an unknown id is 2xx)")
        else:
            verdicts.append(Verdict("FUZZ-003", unchanged[0],
                                    f"the malformed {operation} request created or changed "
                                    "nothing", unchanged[1]))
        return verdicts

    with ParameterTarget(plan, platform, operation) as target:
        body = target.body()
        run_property(
            name=f"malformed {operation} requests for {plan.label}", check=check,
            platform=platform, budget=budget,
            requirements=("FUZZ-003", *(["PROV-010"] if operation == "provision" else [])),
            strategy=malformed_requests(operation, body, with_odd_ids=operation != "update"),
            explicit=explicit_malformed(operation, body), attempt=attempt,
            describe=OddRequest.describe, nodeid=request.node.nodeid)


def send(
    target: ParameterTarget, odd: OddRequest
) -> tuple[BrokerResponse, tuple[bool, str] | None]:
    """Send the malformed request; return the answer and whether nothing changed (None:
    the broker gives no way to tell)."""
    platform, plan = target.platform, target.plan
    body = {} if odd.body is None else odd.body
    raw = {"content": odd.raw} if odd.raw is not None else {}
    if target.operation == "provision":
        instance_id, response = platform.provision(plan, body, instance_id=fresh_id(odd), **raw)
        if accepted(response):
            return response, (False, f"the broker accepted it: {response.describe()}")
        return response, instance_absent(platform, plan, instance_id)
    instance = target.instance
    assert instance is not None
    if target.operation == "bind":
        binding_id, response = platform.bind(instance, body, binding_id=fresh_id(odd), **raw)
        if accepted(response):
            return response, (False, f"the broker accepted it: {response.describe()}")
        return response, binding_absent(platform, plan, instance.id, binding_id)
    before = fetch_instance_text(platform, plan, instance.id)
    response = platform.client.update(instance.id, odd.body, True, **raw)
    after = fetch_instance_text(platform, plan, instance.id)
    return response, (before == after, f"instance before: {before}\n  after: {after}")


def accepted(response: BrokerResponse) -> bool:
    """A 2xx created (or is creating) the resource. A fetch cannot tell: it answers 404 while
    an asynchronous provision or bind is in progress, and the ledger must then keep the
    resource for cleanup (found against openbrokerapi, docs/findings.md)."""
    return 200 <= response.status < 300


def instance_absent(
    platform: Platform, plan: Plan, instance_id: str
) -> tuple[bool, str] | None:
    """Whether no instance ``instance_id`` exists; if so the ledger forgets it. None when
    the broker gives no way to tell (not retrievable, and a DELETE of anything is 2xx)."""
    if plan.service.instances_retrievable:
        answer = platform.client.fetch_instance(instance_id, plan.service.id, plan.id)
        absent = answer.status == 404
    elif instance_delete_of_unknown(platform.client, plan).proves_nothing:
        return None  # the ledger keeps the id: cleanup deletes it should it exist
    else:
        answer = platform.client.deprovision(instance_id, plan.service.id, plan.id, True)
        absent = answer.status in (404, 410)
    if absent:
        platform.ledger.mark_instance_deleted(instance_id)
    return absent, f"afterwards {answer.exchange.summary()}: {answer.describe()}"


def binding_absent(
    platform: Platform, plan: Plan, instance_id: str, binding_id: str
) -> tuple[bool, str] | None:
    """Whether no binding ``binding_id`` exists; if so the ledger forgets it (None: no way
    to tell)."""
    if plan.service.bindings_retrievable:
        answer = platform.client.fetch_binding(instance_id, binding_id, plan.service.id,
                                               plan.id)
        absent = answer.status == 404
    elif binding_delete_of_unknown(platform.client, plan, instance_id).proves_nothing:
        return None
    else:
        answer = platform.client.unbind(instance_id, binding_id, plan.service.id, plan.id,
                                        True)
        absent = answer.status in (404, 410)
    if absent:
        platform.ledger.mark_binding_deleted(instance_id, binding_id)
    return absent, f"afterwards {answer.exchange.summary()}: {answer.describe()}"


def fetch_instance_text(platform: Platform, plan: Plan, instance_id: str) -> str:
    """The fetched instance (to compare before and after), or '' when not retrievable."""
    if not plan.service.instances_retrievable:
        return ""
    answer = platform.client.fetch_instance(instance_id, plan.service.id, plan.id)
    return f"{answer.status} {answer.text}"


@requirement("ERR-010")
def test_odd_ids_and_contexts_never_5xx(
    plan: Plan, platform: Platform, check: CheckRecorder, request: pytest.FixtureRequest,
) -> None:
    budget = fuzz_budget(platform)
    body = platform.provision_body(plan)
    strategy = odd_ids().flatmap(lambda odd_id: odd_contexts(body["context"]).map(
        lambda context: OddRequest("well-formed", {**body, "context": context}, None, odd_id)))

    def attempt(odd: OddRequest, tally: Tally) -> list[Verdict]:
        instance_id, response = platform.provision(plan, odd.body, instance_id=fresh_id(odd))
        tally.note(f"answered {response.status}")
        if is_success(response):
            finish_instance_operation(platform, plan, instance_id, response)
            delete_instance(platform, plan, instance_id)
        elif not is_server_error(response):
            instance_absent(platform, plan, instance_id)
        return [Verdict("ERR-010", not is_server_error(response),
                        "no 5xx for a well-formed provision, whatever its id and context",
                        response.describe())]

    run_property(
        name=f"provisions of {plan.label} to odd ids with odd contexts", check=check,
        platform=platform, budget=budget, requirements=("ERR-010",), strategy=strategy,
        explicit=[OddRequest("well-formed", body, None, odd) for odd in (None, "osbc-é-✓")],
        attempt=attempt, describe=OddRequest.describe, nodeid=request.node.nodeid)
