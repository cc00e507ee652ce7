"""Shared helpers of the benchmark scripts: brokers, suite runs and tables.

Every figure comes from a real run: a reference broker served on 127.0.0.1 in this process,
and the suite in a ``pytest`` subprocess started from an empty folder, as a user runs it.
The subprocess loads ``probe/osbc_bench_probe.py`` (a pytest plugin) to record its polling.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from osb_conformance.reference_broker import ReferenceBroker  # noqa: E402
from osb_conformance.reference_broker.server import RunningBroker, serve_in_thread  # noqa: E402

USERNAME, PASSWORD = "bench", "bench-secret"
# The fuzzers draw a seed per run; a fixed one sends the same requests in every run.
SEED = "--hypothesis-seed=0"
RUN_TIMEOUT = 1800


@dataclass
class ServedBroker:
    """A reference broker on 127.0.0.1 that counts the TCP connections it accepted."""

    running: RunningBroker
    connections: list[Any] = field(default_factory=list)

    @property
    def url(self) -> str:
        return self.running.url

    @property
    def broker(self) -> ReferenceBroker:
        return self.running.broker

    def reset_counts(self) -> None:
        self.connections.clear()
        self.broker.requests_served = 0


@contextmanager
def reference_broker(plans: int | None = None, **options: Any) -> Iterator[ServedBroker]:
    """Serve a reference broker; ``plans`` trims its catalog to exactly that many plans."""
    broker = ReferenceBroker(USERNAME, PASSWORD, extra_plans=max(0, (plans or 2) - 2),
                             **options)
    if plans is not None:
        service = broker.catalog["services"][0]
        service["plans"] = service["plans"][:plans]
    served = ServedBroker(serve_in_thread(broker))
    server = served.running._server
    accept = server.process_request

    def counted(request: Any, client_address: Any) -> None:
        served.connections.append(client_address)  # one call per accepted connection
        accept(request, client_address)

    server.process_request = counted  # type: ignore[method-assign]
    try:
        yield served
    finally:
        served.running.stop()


@dataclass
class SuiteRun:
    exit_code: int
    wall: float  # seconds, process start to exit
    session: float | None  # seconds pytest itself reports ("... in 4.35s")
    report: dict[str, Any]
    polls: list[dict[str, Any]]
    sent: list[dict[str, Any]]  # every exchange, in order (per process under xdist)
    output: str

    @property
    def transcripts(self) -> list[dict[str, Any]]:
        """The exchanges the report's transcripts keep, in test order."""
        return [e for r in self.report.get("results", []) for e in r["transcript"]]

    @property
    def tests(self) -> int:
        return len(self.report.get("results", []))

    @property
    def waited(self) -> float:
        return sum(p["waited"] for p in self.polls)

    @property
    def asked_to_wait(self) -> float:
        return sum(p["asked_to_wait"] for p in self.polls)

    def check_clean(self) -> None:
        if self.report.get("leftovers"):
            raise SystemExit(f"the suite left resources behind: {self.report['leftovers']}")


def run_suite(url: str, *args: str, username: str | None = USERNAME,
              password: str | None = PASSWORD) -> SuiteRun:
    """``python -m pytest --broker-url=URL ...`` from an empty folder, with the probe."""
    with tempfile.TemporaryDirectory(prefix="osbc-bench-") as folder:
        workdir = Path(folder)
        report, probe = workdir / "report.json", workdir / "probe"
        command = [sys.executable, "-m", "pytest", f"--broker-url={url}", "-q",
                   "-p", "no:cacheprovider", "-p", "osbc_bench_probe",
                   f"--osb-report-json={report}", SEED, *args]
        if username is not None:
            command.append(f"--broker-username={username}")
        if password is not None:
            command.append(f"--broker-password={password}")
        env = {**os.environ, "OSBC_BENCH_PROBE": str(probe),
               "PYTHONPATH": os.pathsep.join(filter(None, [str(HERE / "probe"), str(REPO),
                                                           os.environ.get("PYTHONPATH")]))}
        started = time.perf_counter()
        done = subprocess.run(command, cwd=workdir, capture_output=True, text=True, env=env,
                              timeout=RUN_TIMEOUT, stdin=subprocess.DEVNULL)
        wall = time.perf_counter() - started
        output = done.stdout + done.stderr
        data = json.loads(report.read_text()) if report.exists() else {}
        polls = [p for f in sorted(workdir.glob("probe-polls-*.json"))
                 for p in json.loads(f.read_text())]
        sent = [e for f in sorted(workdir.glob("probe-exchanges-*.json"))
                for e in json.loads(f.read_text())]
    if not data:
        raise SystemExit(f"the suite wrote no report (exit {done.returncode}):\n{output[-3000:]}")
    return SuiteRun(done.returncode, wall, _session_seconds(output), data, polls, sent, output)


def _session_seconds(output: str) -> float | None:
    found = re.findall(r" in (\d+(?:\.\d+)?)s", output)
    return float(found[-1]) if found else None


class Stopwatch:
    """Measure a block: ``with Stopwatch() as watch: ...; watch.seconds``."""

    def __enter__(self) -> Stopwatch:
        self.started = time.perf_counter()
        self.seconds = 0.0
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self.started


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A Markdown table (it reads in a terminal and pastes into benchmarks/README.md)."""
    cells = [[_cell(v) for v in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) for i, h in enumerate(headers)]
    lines = ["| " + " | ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)) + " |",
             "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    lines += ["| " + " | ".join(c.rjust(w) for c, w in zip(row, widths, strict=True)) + " |"
              for row in cells]
    return "\n".join(lines)


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.3f}" if abs(value) < 10 else f"{value:.2f}"
    return str(value)


def machine() -> str:
    """One line about where the figures were taken."""
    return (f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs "
            f"(shared), {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
