"""``--osb-certify``: the bundle a vendor publishes, and the selections it refuses."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
import yaml

from tests.report_runs import PRODUCT, CertifiedRun, certified_run

BUNDLE = {"report.html", "report.json", "junit.xml", "console.log", "PRODUCT.yaml",
          "SHA256SUMS"}


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> CertifiedRun:
    return certified_run(tmp_path_factory)


def test_bundle_directory_holds_every_file(run: CertifiedRun) -> None:
    assert run.bundle == run.workdir / "reports" / "Reference-DB" / "1.2.3"
    assert {p.name for p in run.bundle.iterdir()} == BUNDLE


def test_sha256sums_match_the_files(run: CertifiedRun) -> None:
    lines = run.file("SHA256SUMS").read_text().splitlines()
    sums = dict(reversed(line.split("  ", 1)) for line in lines)
    assert set(sums) == BUNDLE - {"SHA256SUMS"}
    for name, digest in sums.items():
        assert hashlib.sha256(run.file(name).read_bytes()).hexdigest() == digest, name


def test_product_and_console_log(run: CertifiedRun) -> None:
    assert yaml.safe_load(run.file("PRODUCT.yaml").read_text()) == PRODUCT
    console = run.file("console.log").read_text()
    assert "OSB-CONFORMANCE VERDICT: NOT CONFORMANT (OSB API 2.17; " in console
    assert "test session starts" in console


def test_html_is_self_contained(run: CertifiedRun) -> None:
    html = run.html
    assert '<link href="assets/' not in html and 'rel="stylesheet"' not in html
    assert "<style" in html and not (run.bundle / "assets").exists()


@pytest.fixture
def product(pytester: pytest.Pytester) -> Path:
    path = pytester.path / "PRODUCT.yaml"
    path.write_text(yaml.safe_dump(PRODUCT))
    return path


def certify(pytester: pytest.Pytester, *args: str) -> tuple[int, str]:
    """A certification run in this process; refusals happen before any broker is used."""
    result = pytester.runpytest_inprocess("--broker-url=reference", "--osb-certify", *args)
    return int(result.ret), "\n".join(result.errlines)


@pytest.mark.parametrize("selection, reason", [
    (["-k", "catalog"], "-k selects tests"),
    (["-m", "slow"], "-m selects tests"),
    (["--deselect", "test_catalog.py"], "--deselect"),
    (["--osb-requirements=PROV-001"], "--osb-requirements"),
    (["-x"], "--maxfail"),
])
def test_selections_are_refused(pytester: pytest.Pytester, product: Path,
                                selection: list[str], reason: str) -> None:
    code, errors = certify(pytester, f"--osb-product={product}", *selection)
    assert code == pytest.ExitCode.USAGE_ERROR, errors
    assert "--osb-certify runs every check; refusing" in errors and reason in errors
    assert not (pytester.path / "reports").exists()


def test_plans_skipped_by_config_are_refused(pytester: pytest.Pytester, product: Path) -> None:
    config = pytester.path / "osb.yaml"
    config.write_text("plans:\n  skip: [async]\n")
    code, errors = certify(pytester, f"--osb-product={product}", f"--osb-config={config}")
    assert code == pytest.ExitCode.USAGE_ERROR
    assert "--osb-config includes or skips services or plans" in errors


def test_product_file_must_name_every_field(pytester: pytest.Pytester) -> None:
    incomplete = pytester.path / "PRODUCT.yaml"
    incomplete.write_text("vendor: V\nname: N\n")
    code, errors = certify(pytester, f"--osb-product={incomplete}")
    assert code == pytest.ExitCode.USAGE_ERROR
    assert "lacks version, website, contact" in errors
    code, errors = certify(pytester)
    assert code == pytest.ExitCode.USAGE_ERROR and "--osb-certify needs --osb-product" in errors
