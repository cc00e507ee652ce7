"""The reference broker as its own process, and the suite run against it as a user would:
two shells, real HTTP on 127.0.0.1."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from osb_conformance.reference_broker.mutants import MUTANTS
from tests.suite_runner import run_suite


@contextmanager
def broker_process(*args: str) -> Iterator[str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "osb_conformance.reference_broker", "--port", "0", *args],
        stdout=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()  # "reference broker on http://127.0.0.1:PORT ..."
        url = line.split(" on ", 1)[1].split()[0]
        assert url.startswith("http://127.0.0.1:")
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_compliant_broker_process_passes(tmp_path: Path) -> None:
    with broker_process() as url:
        run = run_suite(url, tmp_path, username="admin", password="secret")
    assert run.exit_code == 0, run.output
    assert run.stdout.rstrip().splitlines()[-1].startswith("OSB-CONFORMANCE VERDICT: CONFORMANT")


def test_mutant_broker_process_fails_the_run(tmp_path: Path) -> None:
    name = next(n for n, m in sorted(MUTANTS.items()) if m.violates == ("PROV-012",))
    with broker_process("--mutant", name) as url:
        run = run_suite(url, tmp_path, "--osb-requirements=PROV-012")
    assert run.exit_code == 1, run.output
    assert "FAIL" in run.outcomes_of("PROV-012")


def test_list_mutants_names_every_mutant() -> None:
    listing = subprocess.run(
        [sys.executable, "-m", "osb_conformance.reference_broker", "--list-mutants"],
        capture_output=True, text=True, check=True).stdout
    assert {line.split("\t")[0] for line in listing.splitlines()} == set(MUTANTS)
