"""What an operator tells the suite: selections and ``--osb-config`` files that do not fit are
usage errors before anything is created, per-plan bind and update parameters are sent, and
``OSB_BROKER_URL`` never takes over a run given its own test paths."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from osb_conformance.catalog import Catalog
from osb_conformance.client import OSBClient
from osb_conformance.ledger import Ledger
from osb_conformance.parameter_samples import UNEXPECTED_KEY
from osb_conformance.platform import Platform, PreconditionFailed
from osb_conformance.reference_broker.catalog import SYNC_PLAN_ID
from osb_conformance.settings import RunConfig, Settings
from tests.suite_runner import run_suite_inprocess

QUICK = "--osb-requirements=CAT-001,BND-001"


def write_config(pytester: pytest.Pytester, data: dict) -> str:
    path = pytester.path / "osb-config.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return f"--osb-config={path}"


@pytest.mark.parametrize("selection,named", [
    (("--osb-plans=does-not-exist",), "'does-not-exist'"),
    (("--osb-services=reference-db,nosuch-service",), "'nosuch-service'"),
])
def test_a_selection_that_matches_nothing_is_a_usage_error(
    reference_broker, pytester: pytest.Pytester, selection: tuple[str, ...], named: str
) -> None:
    run = run_suite_inprocess(pytester, reference_broker.url, *selection)
    assert run.exit_code == pytest.ExitCode.USAGE_ERROR, run.output
    assert f"{named} match(es) nothing in the catalog" in run.output
    assert "reference-db/sync" in run.output  # the plans there are, to choose from
    assert "OSB-CONFORMANCE VERDICT" not in run.output
    assert reference_broker.broker.state.live()["instances"] == []


def test_config_include_and_skip_that_leave_nothing_are_a_usage_error(
    reference_broker, pytester: pytest.Pytester
) -> None:
    config = write_config(pytester, {"plans": {"include": ["reference-db/sync"],
                                               "skip": ["reference-db/sync"]}})
    run = run_suite_inprocess(pytester, reference_broker.url, config)
    assert run.exit_code == pytest.ExitCode.USAGE_ERROR, run.output
    assert "leaves no plan to test" in run.output


def test_config_file_with_an_unknown_key_is_refused(
    reference_broker, pytester: pytest.Pytester
) -> None:
    config = write_config(pytester, {"servcies": {"include": ["reference-db"]}})
    run = run_suite_inprocess(pytester, reference_broker.url, config)
    assert run.exit_code == pytest.ExitCode.USAGE_ERROR, run.output
    assert "osb-config.json" in run.output and "'servcies'" in run.output
    assert "allowed: bind_parameters, bind_resource, context, known_deviations, parameters, " \
           "plans, services, update_parameters" in run.output


def test_config_file_with_a_misspelt_nested_key_is_refused() -> None:
    with pytest.raises(pytest.UsageError, match=r"'inclde' at plans; allowed: include, skip"):
        RunConfig.load(_file({"plans": {"inclde": ["x"]}}))


def test_bind_parameters_the_plan_schema_rejects_are_a_usage_error(
    reference_broker, pytester: pytest.Pytester
) -> None:
    config = write_config(pytester, {"bind_parameters": {"reference-db/sync": {"role": "root"}}})
    run = run_suite_inprocess(pytester, reference_broker.url, config, QUICK)
    assert run.exit_code == pytest.ExitCode.USAGE_ERROR, run.output
    assert "bind_parameters for reference-db/sync do not satisfy the plan's " \
           "schemas.service_binding.create.parameters: 'root' is not one of" in run.output


def test_configured_bind_and_update_parameters_are_sent(
    reference_broker, pytester: pytest.Pytester
) -> None:
    config = write_config(pytester, {
        "parameters": {"reference-db/sync": {"size": 2}},
        "update_parameters": {"reference-db/sync": {"size": 3}},
        "bind_parameters": {"reference-db/sync": {"role": "read"}}})
    run = run_suite_inprocess(pytester, reference_broker.url, config, "--osb-plans=sync",
                              "--osb-requirements=BND-001,UPD-001")
    assert run.exit_code == 0, run.output
    bodies = [(e["method"], e["url"], _json(e["request_body"]))
              for r in run.report["results"] for e in r["transcript"]
              if e["method"] in ("PUT", "PATCH")]
    binds = [b for m, u, b in bodies if m == "PUT" and "/service_bindings/" in u]
    updates = [b for m, u, b in bodies if m == "PATCH" and "parameters" in b]
    deliberate = {UNEXPECTED_KEY: "osbc"}  # BND-021's parameters the schema rejects
    odd = [b for b in binds if b and b.get("parameters") not in ({"role": "read"}, deliberate)]
    assert binds and not odd, json.dumps(odd)
    assert updates and all(b["parameters"] == {"size": 3} for b in updates)


def test_a_failed_provision_names_the_configured_parameters(reference_broker) -> None:
    # Out of the schema's range, so the broker refuses them (the run would have refused
    # them first; here the platform is used directly).
    settings = Settings(broker_url=reference_broker.url, username="admin", password="secret",
                        run_config=RunConfig(parameters={
                            "reference-db/sync": {"size": 99, "password": "pw-PLANTED-77"}}))
    client = OSBClient(settings)
    try:
        plan = next(p for p in Catalog.from_json(client.catalog().json_object()).plans
                    if p.id == SYNC_PLAN_ID)
        with pytest.raises(PreconditionFailed) as failure:
            Platform(client, Ledger(), "test").provision_ready(plan)
    finally:
        client.close()
    message = str(failure.value)
    assert "sent the parameters configured for reference-db/sync" in message
    assert '"size": 99' in message and "--osb-config" in message
    assert "pw-PLANTED-77" not in message


def test_env_url_does_not_take_over_a_run_given_test_paths(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OSB_BROKER_URL", "http://127.0.0.1:9")  # would fail: nothing there
    pytester.makepyfile(test_mine="def test_mine():\n    pass\n")
    result = pytester.runpytest_inprocess("test_mine.py", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    output = result.stdout.str()
    assert "OSB_BROKER_URL is set, but pytest was given test paths (test_mine.py)" in output
    assert "OSB-CONFORMANCE VERDICT" not in output


def test_env_url_alone_starts_a_conformance_run(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OSB_BROKER_URL", "reference")
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "-q",
                                          "--osb-requirements=CAT-001")
    assert result.ret == 0, result.outlines
    assert result.outlines[-1].startswith("OSB-CONFORMANCE VERDICT: CONFORMANT (OSB API 2.17; ")


def test_broker_url_option_wins_over_test_paths(
    reference_broker, pytester: pytest.Pytester
) -> None:
    pytester.makepyfile(test_mine="def test_mine():\n    pass\n")
    run = run_suite_inprocess(pytester, reference_broker.url, "test_mine.py",
                              "--osb-requirements=CAT-001")
    assert "OSB-CONFORMANCE VERDICT: CONFORMANT" in run.output


def _json(text: str | None) -> dict:
    try:
        data = json.loads(text or "")
    except ValueError:  # the suite's deliberately malformed bodies
        return {}
    return data if isinstance(data, dict) else {}


def _file(data: dict) -> str:
    import tempfile
    handle = tempfile.NamedTemporaryFile("w", suffix=".json", delete=False)
    with handle:
        json.dump(data, handle)
    return str(Path(handle.name))
