"""Suite runs whose reports the report tests read, and small readers for those reports.

The expensive run (the whole suite, ``--osb-certify``, against a mutant broker with
planted secrets) happens once per test process and is shared by every report test.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from osb_conformance.reference_broker import ReferenceBroker, serve_in_thread
from osb_conformance.reference_broker.mutants import MUTANTS
from tests.suite_runner import clean_environment

RUN_TIMEOUT = 300
MUTANT = "provision-conflict-accepted"  # violates PROV-012 (a MUST): the run fails
# Unique strings that must never appear in any output: the run's password (given on the
# command line), its bearer token, and a marker inside every binding's credentials.
PASSWORD = "pw-PLANTED-9f27c1d4e8"
TOKEN = "tok-PLANTED-5b81e03a77"
CREDENTIAL_MARKER = "cred-PLANTED-3e6a09f2b1"
SECRETS = (PASSWORD, TOKEN, CREDENTIAL_MARKER)
PRODUCT = {"vendor": "Example Vendor", "name": "Reference DB", "version": "1.2.3",
           "website": "https://example.invalid/refdb", "contact": "osb@example.invalid"}


@dataclass
class CertifiedRun:
    """One ``--osb-certify`` run: its exit code, console output and bundle directory."""

    exit_code: int
    console: str
    workdir: Path
    bundle: Path

    def file(self, name: str) -> Path:
        return self.bundle / name

    @property
    def report(self) -> dict[str, Any]:
        return json.loads(self.file("report.json").read_text(encoding="utf-8"))

    @property
    def html(self) -> str:
        return self.file("report.html").read_text(encoding="utf-8")


_CERTIFIED: dict[str, CertifiedRun] = {}


def certified_run(tmp_path_factory: pytest.TempPathFactory) -> CertifiedRun:
    """The shared run: whole suite, certification, mutant, planted secrets (once)."""
    if "run" not in _CERTIFIED:
        _CERTIFIED["run"] = _certify(tmp_path_factory.mktemp("certified"))
    return _CERTIFIED["run"]


def _certify(workdir: Path) -> CertifiedRun:
    product = workdir / "PRODUCT.yaml"
    product.write_text("".join(f"{k}: {v}\n" for k, v in PRODUCT.items()), encoding="utf-8")
    broker = serve_in_thread(ReferenceBroker(
        mutant=MUTANTS[MUTANT], token=TOKEN, credential_marker=CREDENTIAL_MARKER))
    try:
        completed = run_pytest(
            workdir, f"--broker-url={broker.url}", f"--broker-token={TOKEN}",
            "--broker-username=admin", f"--broker-password={PASSWORD}", "--osb-certify",
            f"--osb-product={product}", "-rA", "--osb-poll-interval=0.05")
    finally:
        broker.stop()
    bundle = workdir / "reports" / "Reference-DB" / "1.2.3"
    return CertifiedRun(completed.returncode, completed.stdout + completed.stderr, workdir,
                        bundle)


def run_pytest(workdir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``python -m pytest ARGS`` from ``workdir``, as a user runs the suite."""
    workdir.mkdir(parents=True, exist_ok=True)
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args],
        cwd=workdir, capture_output=True, text=True, timeout=RUN_TIMEOUT,
        stdin=subprocess.DEVNULL, env=clean_environment(),
    )


def reference_run(workdir: Path, broker_url: str, *args: str) -> dict[str, Any]:
    """A plain run against a broker (admin/secret) that writes JSON; returns the report."""
    report = workdir / "report.json"
    completed = run_pytest(workdir, f"--broker-url={broker_url}", "--broker-username=admin",
                           "--broker-password=secret", f"--osb-report-json={report}",
                           "--osb-poll-interval=0.05", "-q", *args)
    assert report.exists(), completed.stdout + completed.stderr
    return json.loads(report.read_text(encoding="utf-8"))


# -- reading the HTML report ------------------------------------------------------------------
class Element:
    """A parsed element: tag, attributes, children and text (enough for the assertions)."""

    def __init__(self, tag: str, attrs: dict[str, str | None], parent: Element | None) -> None:
        self.tag, self.attrs, self.parent = tag, attrs, parent
        self.children: list[Element] = []
        self.parts: list[str] = []

    @property
    def text(self) -> str:
        return "".join(self.parts)

    @property
    def classes(self) -> set[str]:
        return set((self.attrs.get("class") or "").split())

    def iter(self):  # type: ignore[no-untyped-def]
        yield self
        for child in self.children:
            yield from child.iter()

    def find_all(self, tag: str | None = None, *, id: str | None = None,
                 cls: str | None = None) -> list[Element]:
        return [e for e in self.iter() if (tag is None or e.tag == tag)
                and (id is None or e.attrs.get("id") == id)
                and (cls is None or cls in e.classes)]

    def find(self, tag: str | None = None, **kw: str) -> Element:
        found = self.find_all(tag, **kw)
        assert found, f"no <{tag or '*'} {kw}> in the document"
        return found[0]


_VOID = {"meta", "link", "br", "img", "input", "hr", "source", "col", "wbr"}


class _TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("#document", {}, None)
        self.current = self.root

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, dict(attrs), self.current)
        self.current.children.append(element)
        if tag not in _VOID:
            self.current = element

    def handle_endtag(self, tag: str) -> None:
        node: Element | None = self.current
        while node is not None and node.tag != tag:
            node = node.parent
        if node is not None and node.parent is not None:
            self.current = node.parent

    def handle_data(self, data: str) -> None:
        node: Element | None = self.current
        while node is not None:  # text belongs to every ancestor (like textContent)
            node.parts.append(data)
            node = node.parent


def parse_html(text: str) -> Element:
    builder = _TreeBuilder()
    builder.feed(text)
    builder.close()
    return builder.root


def html_test_data(document: Element) -> dict[str, Any]:
    """pytest-html 4 renders rows from a JSON blob in ``#data-container``."""
    blob = document.find("div", id="data-container").attrs["data-jsonblob"]
    assert blob is not None
    return json.loads(blob)
