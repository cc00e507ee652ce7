"""The run creates no more than it needs (issue 10), counted on the broker: an instance a
passing check left as provisioned serves a later check that needs one to change or delete,
and once a plan was seen to provision synchronously, the checks of its asynchronous
provisioning are N/A without creating one more instance to learn it again."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.suite_runner import run_suite

DONOR = "test_orphan_mitigation_deletes_are_answered"  # provisions and binds, changes nothing


def _created(broker: Any) -> dict[str, int]:
    return broker.broker.stats.snapshot()["created"]


def test_an_instance_left_as_provisioned_serves_a_check_that_deletes_one(
    start_broker: Callable[..., Any], tmp_path: Path
) -> None:
    broker = start_broker()
    run = run_suite(broker.url, tmp_path, "--osb-fuzz=off", "--osb-plans=reference-db/sync",
                    "-k", f"{DONOR} or test_deprovision_then_again_is_410")
    assert run.exit_code == 0, run.output
    assert run.outcomes_of("DEP-004") == {"PASS"}, run.output
    assert _created(broker)["instances"] == 1  # the donor's, deleted by the second check
    assert broker.broker.state.live() == {"instances": [], "bindings": []}


def test_a_failed_check_does_not_pass_its_instance_on(
    start_broker: Callable[..., Any], tmp_path: Path
) -> None:
    broker = start_broker(mutant="provision-resend-201")
    run = run_suite(broker.url, tmp_path, "--osb-fuzz=off", "--osb-plans=reference-db/sync",
                    "-k", "test_sync_provision_then_identical_resend or "
                          "test_deprovision_then_again_is_410")
    assert run.outcomes_of("PROV-014") == {"WARN"}, run.output  # a SHOULD: warned
    deleting = next(r for r in run.report["results"] if "deprovision_then" in r["nodeid"])
    assert deleting["created"]["instances"] == 1  # its own, not the warned test's
    assert broker.broker.state.live() == {"instances": [], "bindings": []}


def test_a_plan_seen_to_provision_synchronously_is_not_provisioned_again_to_learn_it(
    start_broker: Callable[..., Any], tmp_path: Path
) -> None:
    broker = start_broker()
    run = run_suite(broker.url, tmp_path, "--osb-fuzz=off", "--osb-plans=reference-db/sync",
                    "-k", f"{DONOR} or test_deprovision_during_async_provision or "
                          "test_instance_operations_poll_to_a_remembered_end or "
                          "test_sync_provision_then_identical_resend")  # one that checks
    assert run.exit_code == 0, run.output
    skipped = [r for r in run.report["results"] if "async" in r["nodeid"].split("::")[-1]
               or "remembered_end" in r["nodeid"]]
    assert len(skipped) == 2 and all(r["outcome"] == "N/A" for r in skipped), skipped
    for result in skipped:
        assert "provisions synchronously: it answered 201 Created" in result["message"]
        assert DONOR in result["message"], result["message"]
    assert _created(broker)["instances"] == 2  # the donor's and the sync provision's


def test_a_conflicting_create_for_a_borrowed_instance_never_deletes_it(
    start_broker: Callable[..., Any], tmp_path: Path
) -> None:
    """Two workers on one pool: the borrower's conflicting provision (409) must not put the
    instance in its own ledger, or its cleanup deletes an instance the pool still lends."""
    from osb_conformance.catalog import Catalog
    from osb_conformance.client import OSBClient
    from osb_conformance.expectations import conflicting_provision_body
    from osb_conformance.ledger import Ledger
    from osb_conformance.platform import Platform
    from osb_conformance.reference_broker.catalog import build_catalog
    from osb_conformance.settings import Settings
    from osb_conformance.shared_instances import SharedInstances

    broker = start_broker()
    settings = Settings(broker_url=broker.url, username="admin", password="secret",
                        poll_interval=0.01, poll_timeout=5)
    plan = Catalog.from_json(build_catalog()).plans[0]

    def worker(name: str) -> Platform:
        return Platform(OSBClient(settings), Ledger(), name, SharedInstances(tmp_path))

    keeper, borrower = worker("gw0"), worker("gw1")
    instance = keeper.ready_instance(plan)  # provisioned by gw0's test, into the pool
    keeper.clean_up()
    keeper.shared.release()
    lent = borrower.ready_instance(plan)
    assert lent.id == instance.id
    other = conflicting_provision_body(borrower, plan, lent.body)
    _, conflict = borrower.provision(plan, other, instance_id=lent.id)
    assert conflict.status == 409
    assert borrower.clean_up() == []
    assert len(broker.broker.state.live()["instances"]) == 1  # still there, still lent
