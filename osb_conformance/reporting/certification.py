"""Certification runs (``--osb-certify``): the whole suite, and a bundle a vendor can publish.

A certification run refuses anything that selects or leaves out checks (``-k``, ``-m``,
deselection, ``--osb-requirements``, services or plans skipped by ``--osb-config``,
stopping early), then writes ``reports/<product>/<version>/``: the self-contained HTML
report, the JSON report, the JUnit XML, the console log, the vendor's ``PRODUCT.yaml``
and ``SHA256SUMS`` over all of them.
"""

from __future__ import annotations

import hashlib
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from ..redaction import redact_text
from ..settings import RunConfig

PRODUCT_FIELDS = ("vendor", "name", "version", "website", "contact")
BUNDLE_FILES = {"html": "report.html", "json": "report.json", "junit": "junit.xml",
                "console": "console.log", "product": "PRODUCT.yaml"}
SUMS_FILE = "SHA256SUMS"
COMPLETED_EXIT_CODES = (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED)


@dataclass(frozen=True)
class Product:
    """The vendor's description of what is certified (``PRODUCT.yaml``)."""

    vendor: str
    name: str
    version: str
    website: str
    contact: str
    path: Path

    @classmethod
    def load(cls, path: str | None) -> Product:
        if not path:
            raise pytest.UsageError("--osb-certify needs --osb-product=PRODUCT.yaml "
                                    f"({', '.join(PRODUCT_FIELDS)})")
        try:
            data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            raise pytest.UsageError(f"--osb-product: cannot read {path}: {exc}") from None
        data = data if isinstance(data, dict) else {}
        missing = [f for f in PRODUCT_FIELDS if not str(data.get(f) or "").strip()]
        if missing:
            raise pytest.UsageError(f"--osb-product: {path} lacks {', '.join(missing)}")
        return cls(**{f: str(data[f]).strip() for f in PRODUCT_FIELDS}, path=Path(path))

    def bundle_dir(self, root: Path) -> Path:
        return root / "reports" / _slug(self.name) / _slug(self.version)


def selection_problems(config: pytest.Config) -> list[str]:
    """Everything in the command line that would leave checks out of the run."""
    option = config.option
    problems = []
    if getattr(option, "keyword", ""):
        problems.append("-k selects tests")
    if getattr(option, "markexpr", ""):
        problems.append("-m selects tests")
    if getattr(option, "deselect", None):
        problems.append("--deselect leaves tests out")
    if config.getoption("--osb-requirements"):
        problems.append("--osb-requirements selects checks")
    for flag in ("--osb-services", "--osb-plans"):
        if config.getoption(flag):
            problems.append(f"{flag} selects services or plans")
    if config.getoption("--osb-max-instances") is not None:
        problems.append("--osb-max-instances may turn checks into N/A")
    if getattr(option, "maxfail", 0):
        problems.append("-x/--maxfail stops before every check ran")
    for name, flag in (("lf", "--lf"), ("failedfirst", "--ff"), ("stepwise", "--sw"),
                       ("collectonly", "--collect-only")):
        if getattr(option, name, False):
            problems.append(f"{flag} changes what runs")
    chosen = RunConfig.load(config.getoption("--osb-config"))
    if chosen.include_services or chosen.skip_services or chosen.include_plans \
            or chosen.skip_plans:
        problems.append("--osb-config includes or skips services or plans")
    if config.getoption("--osb-known-deviations") or chosen.known_deviations:
        problems.append("a known-deviations file waives findings (certification shows them all)")
    return problems


class Certification:
    """The plugin of a certification run: refuses selections, tees the console, bundles."""

    def __init__(self, config: pytest.Config, product: Product, directory: Path) -> None:
        self.config = config
        self.product = product
        self.directory = directory
        self.sources: dict[str, Path] = {}
        self.console: list[str] = []
        self.exitstatus: int | None = None
        self.deselected = 0

    @classmethod
    def prepare(cls, config: pytest.Config) -> Certification | None:
        """Check the command line and point every report at the bundle (before configure)."""
        if not config.getoption("--osb-certify"):
            return None
        if not config.getoption("--broker-url"):
            raise pytest.UsageError("--osb-certify needs --broker-url")
        product = Product.load(config.getoption("--osb-product"))
        problems = selection_problems(config)
        if problems:
            raise pytest.UsageError(
                "--osb-certify runs every check; refusing: " + "; ".join(problems))
        if not config.pluginmanager.hasplugin("html"):
            raise pytest.UsageError("--osb-certify needs the pytest-html plugin (-p no:html?)")
        certification = cls(config, product, product.bundle_dir(config.invocation_params.dir))
        certification.directory.mkdir(parents=True, exist_ok=True)
        certification.sources = certification._route_reports()
        return certification

    def _route_reports(self) -> dict[str, Path]:
        """Reports the user did not ask for go straight into the bundle; others are copied."""
        option = self.config.option
        sources = {}
        for kind, dest in (("html", "htmlpath"), ("junit", "xmlpath"),
                           ("json", "osb_report_json")):
            if not getattr(option, dest, None):
                setattr(option, dest, str(self.directory / BUNDLE_FILES[kind]))
            sources[kind] = Path(getattr(option, dest))
        option.self_contained_html = True
        return sources

    # -- during the run ---------------------------------------------------------------------
    @pytest.hookimpl(trylast=True)
    def pytest_configure(self, config: pytest.Config) -> None:
        terminal = config.pluginmanager.getplugin("terminalreporter")
        if terminal is None:
            return
        write = terminal._tw.write  # the same tee pytest's pastebin plugin uses

        def tee(text: str, **markup: Any) -> None:
            write(text, **markup)
            self.console.append(text)

        terminal._tw.write = tee

    def pytest_deselected(self, items: list[pytest.Item]) -> None:
        self.deselected += len(items)

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        if self.deselected:
            raise pytest.UsageError(
                f"--osb-certify runs every check; {self.deselected} test(s) were deselected")

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        # After the report hooks set the verdict's exit code: an applicable MUST that was
        # not exercised (exit 5) leaves no bundle.
        self.exitstatus = session.exitstatus

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.exitstatus in COMPLETED_EXIT_CODES:
            terminalreporter.write_line(
                f"osb-conformance certification bundle: {self.directory} (written at exit: "
                f"{', '.join(BUNDLE_FILES.values())}, {SUMS_FILE})")

    @pytest.hookimpl(trylast=True)
    def pytest_unconfigure(self, config: pytest.Config) -> None:
        # Last, so that the console log is complete: the verdict line included.
        if self.exitstatus in COMPLETED_EXIT_CODES:
            self.write_bundle()

    # -- the bundle -------------------------------------------------------------------------
    def write_bundle(self) -> list[Path]:
        """Copy the reports into the bundle directory and sum them."""
        files = []
        for kind, source in self.sources.items():
            target = self.directory / BUNDLE_FILES[kind]
            if source.resolve() != target.resolve():
                shutil.copyfile(source, target)
            files.append(target)
        console = self.directory / BUNDLE_FILES["console"]
        console.write_text(redact_text("".join(self.console)), encoding="utf-8")
        product = self.directory / BUNDLE_FILES["product"]
        if self.product.path.resolve() != product.resolve():
            shutil.copyfile(self.product.path, product)
        files += [console, product]
        write_sums(self.directory, files)
        return files


def write_sums(directory: Path, files: list[Path]) -> Path:
    """``SHA256SUMS`` in the format ``sha256sum -c`` reads."""
    lines = [f"{hashlib.sha256(f.read_bytes()).hexdigest()}  {f.name}\n"
             for f in sorted(files, key=lambda f: f.name)]
    target = directory / SUMS_FILE
    target.write_text("".join(lines), encoding="utf-8")
    return target


def _slug(value: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", value).strip("-.") or "unnamed"
