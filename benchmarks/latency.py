"""The suite against a reference broker that takes real time (issue 10).

    python benchmarks/latency.py [--seconds 0.5 5] [--latency-ms 0 40] [--fuzz default off]
                                 [--retry-after 1] [--suite-python PATH] [--suite-args "..."]

For each configuration (async operation time T, ``Retry-After`` R, network delay L, fuzzing)
it serves ``python -m osb_conformance.reference_broker --async-seconds T --retry-after R
--latency-ms L`` as a subprocess on a free 127.0.0.1 port, runs the suite as a user does
(``python -m pytest --broker-url=... --osb-report-json=...`` in a subprocess, from an empty
temporary folder) and prints what it cost. ``--suite-python`` measures another checkout's
suite (its venv's python); the broker is always this checkout's.

Figures per configuration:

- wall time of the suite process, start to exit;
- requests the broker served (its own count, ``GET /_reference/stats``), and per check area
  (scenario module) the requests the JSON report's transcripts keep (transcripts omit the
  session's catalog fetch and final cleanup and the fuzzers' passing examples, so the areas
  add up to less than the broker's count; the difference is printed);
- broker operations started (provision/update/deprovision/bind/unbind, sync and async);
- instances and bindings created, in total and per plan; the peak number of instances alive
  at once and of requests in flight at once (both counted by the broker);
- the longest chain of dependent broker operations in one test. A test's operations run one
  after another, each waiting for the previous one, so a test is a chain. Its length is
  counted from the test's transcript: state-changing requests (PUT, PATCH, DELETE) the broker
  accepted (2xx), of which those accepted with 202 are async and each took at least T. The
  longest chain is the test with the most async operations (then the most operations); the
  chain's time is the longest test duration in the report (setup, call and teardown). The
  fuzzers' passing examples are not in transcripts, so their chains are counted by time
  only. Printed: the longest test, the most operations in one test, and wall / longest
  test: how many longest chains the run lasts. A run bounded by its longest chain has a
  ratio near 1; a run that waits for every operation in turn, one much larger.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from benchlib import REPO, SEED, machine, table

USERNAME, PASSWORD = "bench", "bench-secret"
RUN_TIMEOUT = 3600.0
STATE_CHANGING = {"PUT", "PATCH", "DELETE"}


@dataclass(frozen=True)
class Config:
    seconds: float  # T: an async operation takes this long
    retry_after: float  # R
    latency_ms: float  # L
    fuzz: str  # "default" or an --osb-fuzz value

    def suite_options(self) -> list[str]:
        return [] if self.fuzz == "default" else [f"--osb-fuzz={self.fuzz}"]

    def label(self) -> str:
        return f"T={self.seconds:g}s R={self.retry_after:g}s L={self.latency_ms:g}ms " \
               f"fuzz={self.fuzz}"


@dataclass
class Figures:
    config: dict[str, Any]
    suite: str  # which suite was measured (python and checkout commit)
    exit_code: int
    wall: float
    tests: int
    outcomes: dict[str, int]
    verdict: str | None
    requests: int
    requests_in_transcripts: int
    requests_per_area: dict[str, int]
    seconds_per_area: dict[str, float]  # sum of the area's test durations
    operations: int
    operations_per_kind: dict[str, int]
    created: dict[str, int]
    created_per_plan: dict[str, dict[str, int]]
    peak_live_instances: int
    peak_in_flight_requests: int
    longest_test: float
    longest_test_id: str
    chain_async_operations: int  # most async operations (202) in one test
    chain_operations: int  # accepted state-changing requests in that test
    chain_operations_test: str
    wall_per_chain: float
    sum_of_test_durations: float  # near the wall time when tests run one after another
    leftovers_on_broker: dict[str, list[str]] = field(default_factory=dict)


# -- the broker -----------------------------------------------------------------------------------
class BrokerProcess:
    """``python -m osb_conformance.reference_broker`` of this checkout, on a free port."""

    def __init__(self, config: Config) -> None:
        command = [sys.executable, "-m", "osb_conformance.reference_broker", "--port", "0",
                   "--username", USERNAME, "--password", PASSWORD,
                   "--async-seconds", f"{config.seconds:g}",
                   "--retry-after", f"{config.retry_after:g}",
                   "--latency-ms", f"{config.latency_ms:g}"]
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env,
                                        stdin=subprocess.DEVNULL)
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        found = re.search(r"(http://127\.0\.0\.1:\d+)", line)
        if not found:
            self.stop()
            raise SystemExit(f"the reference broker did not start: {line!r}")
        self.url = found[1]

    def get(self, path: str) -> Any:
        token = base64.b64encode(f"{USERNAME}:{PASSWORD}".encode()).decode()
        request = urllib.request.Request(self.url + path, headers={
            "Authorization": f"Basic {token}", "X-Broker-API-Version": "2.17"})
        with urllib.request.urlopen(request, timeout=30) as answer:
            return json.load(answer)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


# -- the suite ------------------------------------------------------------------------------------
def run_suite(python: str, url: str, options: list[str], keep: Path | None = None
              ) -> tuple[int, float, dict[str, Any]]:
    """The suite in a subprocess from an empty folder; (exit code, wall seconds, report).
    With ``keep``, the JSON report is copied there."""
    with tempfile.TemporaryDirectory(prefix="osbc-latency-") as folder:
        report = Path(folder) / "report.json"
        command = [python, "-m", "pytest", f"--broker-url={url}", "-q",
                   "-p", "no:cacheprovider", f"--broker-username={USERNAME}",
                   f"--broker-password={PASSWORD}", f"--osb-report-json={report}", SEED,
                   *options]
        env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}  # its own checkout
        started = time.perf_counter()
        done = subprocess.run(command, cwd=folder, capture_output=True, text=True, env=env,
                              timeout=RUN_TIMEOUT, stdin=subprocess.DEVNULL)
        wall = time.perf_counter() - started
        if not report.exists():
            output = (done.stdout + done.stderr)[-3000:]
            raise SystemExit(f"the suite wrote no report (exit {done.returncode}):\n{output}")
        if keep is not None:
            keep.parent.mkdir(parents=True, exist_ok=True)
            keep.write_text(report.read_text())
        return done.returncode, wall, json.loads(report.read_text())


def suite_identity(python: str) -> str:
    """The measured suite: its python and the git commit of the checkout it imports."""
    where = subprocess.run([python, "-c", "import osb_conformance, os; "
                            "print(os.path.dirname(os.path.dirname(osb_conformance.__file__)))"],
                           capture_output=True, text=True, env={
                               k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
                           cwd=tempfile.gettempdir()).stdout.strip()
    commit = subprocess.run(["git", "-C", where, "rev-parse", "--short", "HEAD"],
                            capture_output=True, text=True).stdout.strip()
    return f"{where} @ {commit or '?'}"


# -- figures --------------------------------------------------------------------------------------
def area(nodeid: str) -> str:
    """The check area of a test: its scenario module without ``test_``."""
    module = nodeid.split("::")[0].rsplit("/", 1)[-1]
    return module.removesuffix(".py").removeprefix("test_")


def chain(transcript: list[dict[str, Any]]) -> tuple[int, int]:
    """(accepted state-changing requests, of which 202) in one test's transcript."""
    accepted = [e for e in transcript if e["method"] in STATE_CHANGING
                and "/v2/service_instances/" in e["url"]
                and e.get("status") is not None and 200 <= e["status"] < 300]
    return len(accepted), sum(1 for e in accepted if e["status"] == 202)


def plan_names(catalog: dict[str, Any]) -> dict[str, str]:
    return {plan["id"]: f"{service['name']}/{plan['name']}"
            for service in catalog["services"] for plan in service["plans"]}


def figures(config: Config, suite: str, exit_code: int, wall: float, report: dict[str, Any],
            stats: dict[str, Any], names: dict[str, str], live: dict[str, list[str]]
            ) -> Figures:
    results = report.get("results", [])
    per_area: Counter[str] = Counter()
    seconds: Counter[str] = Counter()
    for result in results:
        per_area[area(result["nodeid"])] += len(result["transcript"])
        seconds[area(result["nodeid"])] += result["duration"]
    longest = max(results, key=lambda r: r["duration"], default=None)
    chains = [(chain(r["transcript"]), r["nodeid"]) for r in results]
    # The longest chain: most async operations (each takes T), then most operations.
    (most, most_async), most_id = max(chains, key=lambda c: (c[0][1], c[0][0]),
                                      default=((0, 0), "-"))
    longest_seconds = longest["duration"] if longest else 0.0
    return Figures(
        config=asdict(config), suite=suite, exit_code=exit_code, wall=round(wall, 2),
        tests=len(results), outcomes=report.get("summary", {}),
        verdict=(report.get("verdict") or {}).get("verdict")
        if isinstance(report.get("verdict"), dict) else report.get("verdict"),
        requests=stats["requests"], requests_in_transcripts=sum(per_area.values()),
        requests_per_area=dict(sorted(per_area.items())),
        seconds_per_area={name: round(value, 1) for name, value in sorted(seconds.items())},
        operations=stats["operations"], operations_per_kind=stats["operations_per_kind"],
        created=stats["created"],
        created_per_plan={names.get(p, p): c for p, c in stats["created_per_plan"].items()},
        peak_live_instances=stats["peak_live_instances"],
        peak_in_flight_requests=stats["peak_in_flight_requests"],
        longest_test=round(longest_seconds, 2), longest_test_id=longest["nodeid"] if longest
        else "-", chain_operations=most, chain_async_operations=most_async,
        chain_operations_test=most_id,
        wall_per_chain=round(wall / longest_seconds, 1) if longest_seconds else 0.0,
        sum_of_test_durations=round(sum(r["duration"] for r in results), 1),
        leftovers_on_broker={k: v for k, v in live.items() if v},
    )


def measure(config: Config, python: str, suite: str, extra: list[str],
            keep: Path | None = None) -> Figures:
    broker = BrokerProcess(config)
    try:
        exit_code, wall, report = run_suite(python, broker.url,
                                            [*config.suite_options(), *extra], keep)
        stats = broker.get("/_reference/stats")  # before the catalog fetch below counts
        live = broker.get("/_reference/state")
        names = plan_names(broker.get("/v2/catalog"))
    finally:
        broker.stop()
    return figures(config, suite, exit_code, wall, report, stats, names, live)


# -- output ---------------------------------------------------------------------------------------
def describe(f: Figures) -> str:
    created = f"{f.created['instances']} instances + {f.created['bindings']} bindings"
    per_plan = ", ".join(f"{plan}: {c['instances']}+{c['bindings']}"
                         for plan, c in f.created_per_plan.items())
    areas = ", ".join(f"{name} {count}" for name, count in f.requests_per_area.items())
    kinds = ", ".join(f"{kind} {count}" for kind, count in f.operations_per_kind.items())
    lines = [
        f"wall {f.wall:.1f} s, exit {f.exit_code}, verdict {f.verdict}, {f.tests} tests "
        f"{json.dumps(f.outcomes)}",
        f"requests (broker) {f.requests}; in transcripts {f.requests_in_transcripts} "
        f"(not in transcripts: {f.requests - f.requests_in_transcripts})",
        f"  per area (transcripts): {areas}",
        "  seconds per area (test durations): " + ", ".join(
            f"{name} {value:g}" for name, value in f.seconds_per_area.items()),
        f"operations {f.operations}: {kinds}",
        f"created {created}; per plan (instances+bindings): {per_plan}",
        f"peak live instances {f.peak_live_instances}, peak requests in flight "
        f"{f.peak_in_flight_requests}",
        f"longest test {f.longest_test:.2f} s ({f.longest_test_id}); most async operations "
        f"in one test {f.chain_async_operations} (of {f.chain_operations} accepted "
        f"state-changing requests, {f.chain_operations_test}); "
        f"wall / longest test {f.wall_per_chain:g}; sum of test durations "
        f"{f.sum_of_test_durations:g} s",
        f"left on the broker: {f.leftovers_on_broker or 'nothing'}",
    ]
    return "\n".join(lines)


HEADERS = ["T (s)", "R (s)", "L (ms)", "fuzz", "wall (s)", "tests", "requests",
           "operations", "instances + bindings", "peak instances", "longest test (s)",
           "async ops in one test (all)", "wall / longest test"]


def row(f: Figures) -> list[Any]:
    c = f.config
    return [c["seconds"], c["retry_after"], c["latency_ms"], c["fuzz"], f.wall, f.tests,
            f.requests, f.operations,
            f"{f.created['instances']} + {f.created['bindings']}", f.peak_live_instances,
            f.longest_test, f"{f.chain_async_operations} ({f.chain_operations})",
            f.wall_per_chain]


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, nargs="+", default=[0.5, 5.0],
                        help="async operation times T (default 0.5 5)")
    parser.add_argument("--latency-ms", type=float, nargs="+", default=[0.0, 40.0],
                        help="network delays L (default 0 40)")
    parser.add_argument("--fuzz", nargs="+", default=["default", "off"],
                        help="'default' (no --osb-fuzz) or --osb-fuzz values "
                             "(default: default off)")
    parser.add_argument("--retry-after", type=float, default=1.0)
    parser.add_argument("--suite-python", default=sys.executable,
                        help="the python whose osb_conformance is measured (another venv)")
    parser.add_argument("--suite-args", default="", help="more suite options, one string")
    parser.add_argument("--keep-reports", default=None, type=Path,
                        help="copy each run's JSON report into this folder")
    parser.add_argument("--json-lines", default=None,
                        help="append one JSON line of figures per configuration to this file")
    args = parser.parse_args(argv)
    suite = suite_identity(args.suite_python)
    print(f"# latency benchmark ({machine()})\n# suite: {suite}\n", flush=True)
    done = []
    for seconds in args.seconds:
        for latency in args.latency_ms:
            for fuzz in args.fuzz:
                config = Config(seconds, args.retry_after, latency, fuzz)
                print(f"## {config.label()} {args.suite_args}".rstrip(), flush=True)
                keep = args.keep_reports / (re.sub(r"[^\w.=-]+", "_", config.label())
                                            + ".json") if args.keep_reports else None
                result = measure(config, args.suite_python, suite,
                                 shlex.split(args.suite_args), keep)
                print(describe(result) + "\n", flush=True)
                print("JSON " + json.dumps(asdict(result)) + "\n", flush=True)
                if args.json_lines:
                    with open(args.json_lines, "a") as out:
                        out.write(json.dumps(asdict(result)) + "\n")
                done.append(result)
    print(table(HEADERS, [row(f) for f in done]))


if __name__ == "__main__":
    main(sys.argv[1:])
