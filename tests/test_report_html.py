"""The HTML report of a failing run: banner, matrix, features, run information, columns and
per-test details (parsed with the standard library's HTML parser)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from osb_conformance.requirements import load_catalogue
from tests.report_runs import (
    MUTANT,
    CertifiedRun,
    Element,
    certified_run,
    html_test_data,
    parse_html,
)


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> CertifiedRun:
    return certified_run(tmp_path_factory)


@pytest.fixture(scope="module")
def document(run: CertifiedRun) -> Element:
    return parse_html(run.html)


@pytest.fixture(scope="module")
def rows(document: Element) -> dict[str, list[dict[str, Any]]]:
    return html_test_data(document)["tests"]


def test_banner_says_not_conformant_with_counts(document: Element, run: CertifiedRun) -> None:
    banner = document.find(id="osb-verdict")
    summary = run.report["summary"]
    assert banner.attrs["data-verdict"] == "NOT CONFORMANT"
    assert "osb-not-conformant" in banner.classes
    assert "NOT CONFORMANT" in banner.find(cls="osb-verdict-text").text
    assert "with OSB API 2.17" in banner.text
    counts = {li.attrs["data-outcome"]: int(li.find("b").text)
              for li in banner.find_all("li", cls="osb-count")}
    assert counts == {k: summary[k] for k in ("FAIL", "WARN", "N/A", "INFO", "ERROR", "PASS")}
    assert counts["FAIL"] > 0
    # The banner comes before the results table in the document's summary section.
    assert run.html.index('id="osb-verdict"') < run.html.index('id="results-table"')


def test_matrix_has_every_area_and_the_failure_in_provisioning(document: Element,
                                                               run: CertifiedRun) -> None:
    matrix = document.find("table", id="osb-matrix")
    header = [th.text for th in matrix.find("thead").find_all("th")]
    assert header == ["Area", "PASS", "FAIL", "WARN", "N/A", "INFO", "ERROR", "NOT EXERCISED",
                      "named"]
    areas = {row.attrs["data-area"]: row for row in matrix.find_all("tr")
             if "data-area" in row.attrs}
    assert set(areas) == {r.area for r in load_catalogue()}
    cells = {td.attrs["data-outcome"]: int(td.text) for td in areas["provisioning"].find_all("td")
             if "data-outcome" in td.attrs}
    assert cells["FAIL"] >= 1  # PROV-012, the requirement the mutant violates
    total_requirements = sum(
        int(td.text) for row in areas.values() for td in row.find_all("td")
        if "data-outcome" in td.attrs)
    assert total_requirements == len(run.report["requirements"])


def test_features_and_run_information(document: Element, run: CertifiedRun) -> None:
    features = [li.text for li in document.find("ul", id="osb-features").find_all("li")]
    assert {"bindable", "instances retrievable", "binding rotation"} <= set(features)
    info = {tr.find("th").text: tr.find("td").text
            for tr in document.find("table", id="osb-run-info").find_all("tr")}
    assert info["Spec version"] == "OSB API 2.17"
    assert re.fullmatch(r"sha256:[0-9a-f]{64}", info["Catalog digest"])
    assert info["Broker URL"].startswith("http://127.0.0.1:")
    assert "pytest-html" in info["Libraries"] and "--osb-certify" in info["Command line"]
    assert "--broker-password=[REDACTED]" in info["Command line"]


def test_results_table_has_the_osb_columns(document: Element) -> None:
    header = [th.text.strip() for th in document.find("thead", id="results-table-head")
              .find_all("th")]
    assert header[:5] == ["Result", "Outcome", "Requirement", "Level", "Service/plan"]


def test_failing_row_links_the_requirement_to_the_spec(rows: dict[str, list[dict[str, Any]]]
                                                       ) -> None:
    nodeid = "test_provisioning.py::test_provision_with_other_attributes_is_409[reference-db/sync]"
    row = next(r for r in rows[nodeid] if r["result"] == "Failed")
    cells = parse_html("".join(row["resultsTableRow"]))
    assert cells.find("td", cls="col-osboutcome").text == "FAIL"
    link = next(a for a in cells.find("td", cls="col-requirement").find_all("a")
                if a.text == "PROV-012")
    assert link.attrs["href"] == load_catalogue()["PROV-012"].url("2.17")
    assert link.attrs["href"].startswith(
        "https://github.com/openservicebrokerapi/servicebroker/blob/v2.17/spec.md#")
    assert "MUST" in cells.find("td", cls="col-level").text
    assert cells.find("td", cls="col-plan").text == "reference-db/sync"


def test_failing_test_details_expected_observed_transcript_and_curl(
        rows: dict[str, list[dict[str, Any]]]) -> None:
    nodeid = "test_provisioning.py::test_provision_with_other_attributes_is_409[reference-db/sync]"
    extras = [e for r in rows[nodeid] for e in r["extras"] if e["format_type"] == "html"]
    details = parse_html(extras[0]["content"])
    failed = [tr for tr in details.find_all("tr", cls="osb-finding")
              if tr.attrs["data-outcome"] == "FAIL"]
    assert failed, "the failing finding is listed"
    assert "409" in failed[0].find("td", cls="osb-expected").text
    assert "200" in failed[0].find("td", cls="osb-observed").text
    assert "Provisioning an already provisioned instance id" in details.text  # expectation
    transcript = details.find("details", cls="osb-transcript")
    assert "open" in transcript.attrs  # failures show their transcript expanded
    exchange = transcript.find("div", cls="osb-exchange").text
    assert "> PUT http://127.0.0.1:" in exchange and "< " in exchange and " ms)" in exchange
    assert "> X-Broker-API-Version: 2.17" in exchange
    curl = details.find("pre", cls="osb-curl").text
    assert curl.startswith("curl -i -X PUT") and "--data-raw" in curl
    assert "$OSB_BROKER_TOKEN" in curl  # credentials come from the environment, never inline


def test_every_test_has_a_row_and_details(rows: dict[str, list[dict[str, Any]]],
                                          run: CertifiedRun) -> None:
    assert set(rows) == {r["nodeid"] for r in run.report["results"]}
    for nodeid, entries in rows.items():
        kinds = [e["format_type"] for r in entries for e in r["extras"]]
        assert "html" in kinds, f"{nodeid} has no details"


def test_fuzz_example_and_seed_are_rendered() -> None:
    from osb_conformance.reporting.html import details_html

    finding = {"requirement": "FUZZ-001", "level": "MUST", "outcome": "FAIL",
               "expectation": "e", "expected": "4xx", "observed": "500",
               "fuzz": {"example": {"parameters": {"size": -1}}, "seed": 1234}}
    osb = {"requirements": ["FUZZ-001"], "findings": [finding], "transcript": [],
           "outcome": "FAIL", "skip_reason": None}
    fuzz = parse_html(details_html([("call", osb)], "2.17")).find("div", cls="osb-fuzz")
    assert '"size": -1' in fuzz.text and "1234" in fuzz.text


def test_mutant_named_in_report_is_the_one_run(run: CertifiedRun) -> None:
    # Guards the fixtures above: the shared run is the failing one they expect.
    assert MUTANT == "provision-conflict-accepted"
    assert run.report["requirements"]["PROV-012"]["outcome"] == "FAIL"
