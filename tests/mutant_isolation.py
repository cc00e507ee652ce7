"""Does each mutant violate only the requirement(s) it names?

``tests/test_mutants_detected.py`` runs each mutant with ``--osb-requirements`` set to what
the mutant names, so it cannot see a mutant that also breaks something else (or a check
that fails for a reason that is not the mutant's). This runs the *whole* suite
(``--osb-strict``) against each mutant and compares the requirements that FAILed with the
mutant's named ones, printing every mismatch.

    python -m tests.mutant_isolation                      # every mutant (slow: ~185 runs)
    python -m tests.mutant_isolation provision-conflict-accepted catalog-no-services
    python -m tests.mutant_isolation --jobs 1

At most ``--jobs`` (default 2) suite runs go on at once, each in its own process; the
mutant brokers are served from this process on free 127.0.0.1 ports. Exit code 1 when a
mutant's failing set differs from its named set.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from osb_conformance.reference_broker import ReferenceBroker, serve_in_thread
from osb_conformance.reference_broker.mutants import MUTANTS
from tests.suite_runner import clean_environment, suite_arguments

RUN_TIMEOUT = 600


@dataclass(frozen=True)
class Isolation:
    """What the whole suite failed against one mutant, next to what the mutant names."""

    mutant: str
    named: frozenset[str]
    failed: frozenset[str]  # requirements with a FAIL finding
    failed_without_finding: tuple[str, ...]  # tests that failed with no finding of their own
    exit_code: int

    @property
    def isolated(self) -> bool:
        return self.failed == self.named and not self.failed_without_finding

    def describe(self) -> str:
        parts = []
        if self.named - self.failed:
            parts.append(f"missed {sorted(self.named - self.failed)}")
        if self.failed - self.named:
            parts.append(f"also failed {sorted(self.failed - self.named)}")
        if self.failed_without_finding:
            parts.append(f"tests failed without a finding: {list(self.failed_without_finding)}")
        return f"{self.mutant} (names {sorted(self.named)}): {'; '.join(parts) or 'isolated'}"


def run_mutant(name: str, workdir: Path) -> Isolation:
    """The whole suite, strict, in a new process, against the mutant."""
    mutant = MUTANTS[name]
    broker = serve_in_thread(ReferenceBroker(mutant=mutant))
    report = workdir / f"{name}.json"
    try:
        completed = subprocess.run(
            [sys.executable, "-m", "pytest",
             # One test at a time: --jobs runs several suites at once already, and on a
             # loaded machine more processes would turn into timeouts that are no finding.
             *suite_arguments(broker.url, report, "--osb-strict", "--osb-concurrency=1",
                              *mutant.options)],
            cwd=workdir, capture_output=True, text=True, timeout=RUN_TIMEOUT,
            env=clean_environment(), stdin=subprocess.DEVNULL)
    finally:
        broker.stop()
    data = json.loads(report.read_text()) if report.exists() else {}
    results = data.get("results", [])
    failed = {f["requirement"] for r in results for f in r["findings"] if f["outcome"] == "FAIL"}
    silent = tuple(r["nodeid"] for r in results if r["outcome"] in ("FAIL", "ERROR")
                   and not any(f["outcome"] == "FAIL" for f in r["findings"]))
    return Isolation(name, frozenset(mutant.violates), frozenset(failed), silent,
                     completed.returncode)


def check_mutants(names: Sequence[str], jobs: int = 2) -> list[Isolation]:
    """Run the mutants, at most ``jobs`` at once; results in the order given."""
    with tempfile.TemporaryDirectory(prefix="osbc-isolation-") as directory:
        workdir = Path(directory)
        with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
            return list(pool.map(lambda name: run_mutant(name, workdir), names))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.mutant_isolation",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("mutants", nargs="*", help="mutant names (default: all)")
    parser.add_argument("--jobs", type=int, default=2, help="parallel suite runs (default 2)")
    arguments = parser.parse_args(argv)
    unknown = [n for n in arguments.mutants if n not in MUTANTS]
    if unknown:
        parser.error(f"unknown mutant(s): {', '.join(unknown)}")
    names = arguments.mutants or sorted(MUTANTS)
    mismatches = []
    for isolation in check_mutants(names, arguments.jobs):
        print(("ok        " if isolation.isolated else "MISMATCH  ") + isolation.describe(),
              flush=True)
        if not isolation.isolated:
            mismatches.append(isolation)
    print(f"\n{len(names) - len(mismatches)}/{len(names)} mutants violate only what they name")
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
