"""The JSON report (validated against its shipped schema), JUnit properties and the
terminal's verdict line, from the shared failing run."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from importlib import resources

import pytest
from jsonschema import Draft202012Validator, FormatChecker

from osb_conformance.reporting.terminal import VERDICT_PREFIX
from tests.report_runs import CertifiedRun, certified_run


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> CertifiedRun:
    return certified_run(tmp_path_factory)


def report_schema() -> dict:
    text = resources.files("osb_conformance.specs").joinpath("report.schema.json").read_text()
    schema = json.loads(text)
    Draft202012Validator.check_schema(schema)
    return schema


def test_json_report_validates_against_the_shipped_schema(run: CertifiedRun) -> None:
    validator = Draft202012Validator(report_schema(), format_checker=FormatChecker())
    errors = [f"{list(e.path)}: {e.message}" for e in validator.iter_errors(run.report)]
    assert errors == []


def test_schema_rejects_a_report_without_verdict(run: CertifiedRun) -> None:
    broken = {k: v for k, v in run.report.items() if k != "verdict"}
    assert not Draft202012Validator(report_schema()).is_valid(broken)


def test_json_report_content(run: CertifiedRun) -> None:
    report = run.report
    assert report["verdict"] == "NOT CONFORMANT"
    assert report["summary"]["FAIL"] == sum(r["outcome"] == "FAIL" for r in report["results"])
    failed = next(r for r in report["results"] if r["nodeid"].endswith(
        "test_provision_with_other_attributes_is_409[reference-db/sync]"))
    assert failed["outcome"] == "FAIL" and failed["service"] == "reference-db"
    assert failed["plan"] == "sync" and "PROV-012" in failed["requirements"]
    assert "MUST" in failed["levels"] and "409" in failed["message"]
    assert failed["transcript"] and failed["transcript"][0]["method"] == "PUT"
    assert report["requirements"]["PROV-012"]["outcome"] == "FAIL"
    assert report["requirements"]["PROV-012"]["area"] == "provisioning"


def test_junit_testcases_carry_requirement_ids_and_levels(run: CertifiedRun) -> None:
    tree = ET.parse(run.file("junit.xml"))
    cases = {f"{c.get('classname')}::{c.get('name')}": c for c in tree.iter("testcase")}
    assert len(cases) == len(run.report["results"])
    case = cases["test_provisioning::test_provision_with_other_attributes_is_409"
                 "[reference-db/sync]"]
    properties = {p.get("name"): p.get("value") for p in case.iter("property")}
    assert "PROV-012" in properties["requirements"].split()
    assert "MUST" in properties["levels"]
    assert properties["outcome"] == "FAIL"
    assert case.find("failure") is not None
    without = [name for name, c in cases.items() if c.find("properties") is None]
    assert without == []


def test_terminal_ends_with_one_verdict_line(run: CertifiedRun) -> None:
    lines = run.console.rstrip().splitlines()
    verdicts = [line for line in lines if line.startswith(VERDICT_PREFIX)]
    summary, coverage = run.report["summary"], run.report["coverage"]
    assert verdicts == [
        f"{VERDICT_PREFIX} NOT CONFORMANT (OSB API 2.17; {coverage['exercised']}/"
        f"{coverage['applicable']} applicable MUST/SHOULD requirements exercised) "
        f"pass={summary['PASS']} "
        f"fail={summary['FAIL']} warn={summary['WARN']} na={summary['N/A']} "
        f"info={summary['INFO']} error={summary['ERROR']}"]
    assert lines[-1] == verdicts[0]
    assert " failed" in lines[-2] and " passed" in lines[-2]
    assert run.exit_code == 1
