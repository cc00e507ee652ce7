"""Load safety: selecting services and plans, bounding live instances, showing what a run
would provision."""

from __future__ import annotations

import pytest

from osb_conformance.reference_broker import ReferenceBroker, serve_in_thread
from osb_conformance.reference_broker.chaos import OPTIONS, make_chaos
from osb_conformance.reference_broker.http_types import Request, Response
from tests.suite_runner import SuiteRun, run_suite_inprocess

CHECKS = "--osb-requirements=CAT-001,PROV-001"


class CountingBroker(ReferenceBroker):
    """Remembers the most instances it held at once."""

    most_live = 0

    def handle(self, request: Request) -> Response:
        response = super().handle(request)
        with self.lock:
            self.most_live = max(self.most_live, len(self.state.instances))
        return response


def plans_tested(run: SuiteRun) -> set[tuple[str, str]]:
    return {(r["service"], r["plan"]) for r in run.report["results"] if r["plan"]}


def test_plans_option_selects_plans(reference_broker, pytester: pytest.Pytester) -> None:
    run = run_suite_inprocess(pytester, reference_broker.url, CHECKS,
                              "--osb-plans=reference-db/sync")
    assert run.exit_code == 0, run.output
    assert plans_tested(run) == {("reference-db", "sync")}


def test_services_option_selects_services(start_broker, pytester: pytest.Pytester) -> None:
    broker = start_broker(with_basic_service=True)
    run = run_suite_inprocess(pytester, broker.url, CHECKS, "--osb-services=reference-db")
    assert run.exit_code == 0, run.output
    assert plans_tested(run) == {("reference-db", "sync"), ("reference-db", "async")}


def test_collect_only_shows_what_would_be_provisioned(
    reference_broker, pytester: pytest.Pytester
) -> None:
    result = pytester.runpytest_inprocess(
        f"--broker-url={reference_broker.url}", "--broker-username=admin",
        "--broker-password=secret", "--collect-only", CHECKS, "--osb-max-instances=3")
    output = result.stdout.str()
    assert "osb-conformance would test 2 plan(s)" in output, output
    assert "reference-db/sync" in output and "reference-db/async" in output
    assert "at most 3 (--osb-max-instances)" in output
    assert reference_broker.broker.state.live() == {"instances": [], "bindings": []}
    assert reference_broker.broker.requests_served == 1  # the catalog, nothing else


def test_max_instances_bounds_live_instances(pytester: pytest.Pytester) -> None:
    broker = CountingBroker()
    with serve_in_thread(broker) as running:
        run = run_suite_inprocess(pytester, running.url, "--osb-max-instances=1",
                                  "--osb-requirements=PROV-001,PROV-002,PROV-012,BND-001,DEP-001")
    assert run.summary["FAIL"] == 0 and run.summary["ERROR"] == 0, run.output
    assert broker.most_live == 1


def test_max_instances_reached_by_leftovers_makes_further_tests_na(
    pytester: pytest.Pytester,
) -> None:
    broker = ReferenceBroker(chaos=make_chaos("stuck"))
    with serve_in_thread(broker) as running:
        run = run_suite_inprocess(pytester, running.url,
                                  "--osb-requirements=PROV-002,PROV-012,BND-001,DEP-001",
                                  "--osb-plans=reference-db/async", "--osb-max-instances=1",
                                  *OPTIONS["stuck"])
        live = broker.state.live()["instances"]
    assert len(live) == 1, "one stuck instance, then no further provision"
    reasons = [r["message"] or "" for r in run.report["results"] if r["outcome"] == "N/A"]
    assert any("--osb-max-instances allows 1" in reason for reason in reasons), run.output
    assert [r["instance_id"] for r in run.report["leftovers"]] == live


def test_max_instances_below_worker_count_is_a_usage_error(
    reference_broker, pytester: pytest.Pytester
) -> None:
    run = run_suite_inprocess(pytester, reference_broker.url, "--osb-max-instances=1",
                              "-n", "2")
    assert run.exit_code == pytest.ExitCode.USAGE_ERROR, run.output
    assert "fewer than the 2 xdist workers" in run.output


def test_keep_resources_keeps_them_and_says_so(
    reference_broker, pytester: pytest.Pytester
) -> None:
    run = run_suite_inprocess(pytester, reference_broker.url, "--osb-requirements=PROV-001",
                              "--osb-keep-resources")
    live = reference_broker.broker.state.live()["instances"]
    assert live, "the instances were kept"
    # Also listed: ids whose create was refused; the suite keeps everything it sent.
    assert set(live) <= {r["instance_id"] for r in run.report["leftovers"]}
    assert {r["problem"] for r in run.report["leftovers"]} == {
        "kept on purpose (--osb-keep-resources)"}
    assert "OSB cleanup SKIPPED (--osb-keep-resources)" in run.output
    assert "KEPT on the broker on purpose" in run.output
