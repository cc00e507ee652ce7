"""Verdicts say no more than the run showed (issue 11, sections 4 and 7).

Each test runs the suite against a variant of the reference broker: a broker that breaks
one rule in a way the suite once misreported, or a compliant broker the suite once misjudged.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from osb_conformance.reference_broker import ReferenceBroker, RunningBroker, serve_in_thread
from osb_conformance.reference_broker.http_types import Request, Response, error
from osb_conformance.reference_broker.mutants import Mutant, catalog_change
from tests.suite_runner import SuiteRun, run_suite_inprocess


def variant(name: str, before: Any = None, after: Any = None) -> Mutant:
    """A broker variant for one test (not registered: no mutant list names it)."""
    return Mutant(name, (), name, before, after)


@pytest.fixture
def start_variant() -> Iterator[Callable[[Mutant], RunningBroker]]:
    running: list[RunningBroker] = []

    def start(mutant: Mutant) -> RunningBroker:
        running.append(serve_in_thread(ReferenceBroker(mutant=mutant)))
        return running[-1]

    yield start
    for handle in running:
        handle.stop()


def _provision_running(broker: Any, request: Request) -> bool:
    instance = broker.state.instances.get(request.instance_id)
    operation = instance.operation if instance is not None else None
    return operation is not None and operation.in_progress and operation.kind == "provision"


def results_of(run: SuiteRun, test_name: str) -> list[dict[str, Any]]:
    return [r for r in run.report["results"] if f"::{test_name}[" in r["nodeid"]]


def test_delete_during_async_provision_answered_500_is_a_finding(
    start_variant, pytester: pytest.Pytester
) -> None:
    answered: set[str] = set()

    def server_error_once(broker: Any, request: Request) -> Response | None:
        if request.route == "deprovision" and _provision_running(broker, request) \
                and request.instance_id not in answered:
            answered.add(request.instance_id)
            return error(500, "cannot delete now")
        return None

    broker = start_variant(variant("delete-while-provisioning-500", server_error_once))
    run = run_suite_inprocess(pytester, broker.url, "--osb-requirements=DEP-006")
    assert "FAIL" in run.outcomes_of("DEP-006"), run.output
    assert broker.broker.state.live() == {"instances": [], "bindings": []}


def test_provision_answered_500_is_no_reason_for_na(
    start_variant, pytester: pytest.Pytester
) -> None:
    def async_provision_fails(broker: Any, request: Request) -> Response | None:
        if request.route != "provision":
            return None
        try:
            plan_id = json.loads(request.body).get("plan_id")
        except (ValueError, AttributeError):
            return None
        if isinstance(plan_id, str) and broker.is_async(plan_id):
            return error(500, "out of capacity")
        return None

    broker = start_variant(variant("async-provision-500", before=async_provision_fails))
    run = run_suite_inprocess(pytester, broker.url, "--osb-requirements=DEP-007A")
    results = results_of(run, "test_deprovision_during_async_provision")
    failed = [r for r in results if r["outcome"] == "FAIL"]
    assert failed, run.output
    assert all("synchronously" not in (r["message"] or "") for r in failed)
    assert "500" in failed[0]["message"]


def _not_retrievable(services: list[dict[str, Any]]) -> None:
    for service in services:
        service["instances_retrievable"] = False
        service["bindings_retrievable"] = False


def _every_delete_succeeds(broker: Any, request: Request, response: Response) -> Response:
    """Answers 200 where the broker would say 410 Gone (a DEP-004 / UNB-004 deviation)."""
    if request.route in ("deprovision", "unbind") and response.status == 410:
        return Response(200, {}, response.headers)
    return catalog_change(_not_retrievable)(broker, request, response)


def test_absence_unprovable_by_delete_is_not_exercised_not_failed(
    start_variant, pytester: pytest.Pytester
) -> None:
    """A broker answering 200 to every DELETE, its resources not retrievable: DEP-004 and
    UNB-004 fail; ERR-007, AUTH-003, UPD-017 and ASY-003 are not failed for it."""
    broker = start_variant(variant("deletes-always-200", after=_every_delete_succeeds))
    run = run_suite_inprocess(
        pytester, broker.url,
        "--osb-requirements=DEP-004,UNB-004,ERR-007,AUTH-003,UPD-017,ASY-003")
    assert "FAIL" in run.outcomes_of("DEP-004") and "FAIL" in run.outcomes_of("UNB-004")
    for requirement in ("ERR-007", "AUTH-003", "UPD-017", "ASY-003"):
        assert "FAIL" not in run.outcomes_of(requirement), (requirement, run.output)
        assert "N/A" in run.outcomes_of(requirement), (requirement, run.output)
    reasons = [f["observed"] for f in run.findings("ERR-007") if f["outcome"] == "N/A"]
    assert reasons and all("not exercised" in r and "never-created" in r for r in reasons)


def test_422_without_async_required_fails_prov_017_only(
    start_broker, pytester: pytest.Pytester
) -> None:
    broker = start_broker(mutant="async-required-wrong-code")
    run = run_suite_inprocess(pytester, broker.url, "--osb-requirements=PROV-001,PROV-017")
    assert "FAIL" in run.outcomes_of("PROV-017"), run.output
    assert "FAIL" not in run.outcomes_of("PROV-001"), run.output


def _bind_done_at_once(broker: Any, request: Request, response: Response) -> Response:
    """A compliant broker whose asynchronous bind is complete before anyone asks."""
    if request.route == "bind" and response.status == 202:
        instance = broker.state.instances[request.instance_id]
        binding = instance.bindings[request.binding_id]
        binding.operation.state = "succeeded"
        binding.ready = True
    return response


def test_overlap_checks_on_an_operation_that_ended_are_not_exercised(
    start_variant, pytester: pytest.Pytester
) -> None:
    broker = start_variant(variant("bind-done-at-once", after=_bind_done_at_once))
    run = run_suite_inprocess(pytester, broker.url, "--osb-requirements=GETB-004")
    assert run.exit_code == 0, run.output
    assert run.outcomes_of("GETB-004") == {"N/A"}, run.output
    assert any("ended before the fetch" in f["observed"] for f in run.findings("GETB-004"))
