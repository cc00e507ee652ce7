"""Run the whole suite against every chaos mode; print run time and what the suite reported.

    python benchmarks/chaos_modes.py [--subset] [MODE ...]

One markdown row per mode: wall-clock time, the documented bound for that run
(``osb_conformance.bounds.run_seconds``), exit code, outcome counts, leftovers and the
broker's live state afterwards, and the first failure message.
"""

from __future__ import annotations

import re
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from osb_conformance.bounds import run_seconds  # noqa: E402
from osb_conformance.reference_broker import ReferenceBroker, serve_in_thread  # noqa: E402
from osb_conformance.reference_broker.chaos import CHAOS_MODES, OPTIONS, make_chaos  # noqa: E402
from tests.suite_runner import run_suite  # noqa: E402
from tests.test_chaos import SUBSET, created_resources, settings_of  # noqa: E402


def run_mode(mode: str, workdir: Path, subset: bool) -> str:
    running = serve_in_thread(ReferenceBroker(chaos=make_chaos(mode)))
    options = (*OPTIONS[mode], "--osb-test-timeout=10", *((SUBSET,) if subset else ()))
    started = time.monotonic()
    run = run_suite(running.url, workdir / mode, *options)
    elapsed = time.monotonic() - started
    live = running.broker.state.live()
    running.stop()
    results = run.report.get("results", [])
    bound = run_seconds(settings_of(options), len(results), created_resources(run)) \
        if results else None
    first = next((r["message"] for r in results if r["outcome"] == "FAIL"), None) \
        or run.output.strip().splitlines()[0]
    counts = " ".join(f"{k}={v}" for k, v in run.report.get("summary", {}).items() if v)
    return (f"| {mode} | {elapsed:.1f} s | {f'{bound:.0f} s' if bound else '-'} | "
            f"{run.exit_code} | {counts or '-'} | {len(run.report.get('leftovers', []))} | "
            f"{len(live['instances'])}+{len(live['bindings'])} | "
            f"{_short(first)} |")


def _short(message: str) -> str:
    """The first line, URLs elided, safe inside a markdown table cell."""
    line = re.sub(r"https?://[^ ]+", "<url>", message.splitlines()[0])
    return line[:160].replace("|", "/")


def main(argv: list[str]) -> None:
    subset = "--subset" in argv
    modes = [m for m in argv if not m.startswith("--")] or list(CHAOS_MODES)
    print("| mode | run time | bound | exit | outcomes | leftovers | broker live after "
          "| first failure |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    with tempfile.TemporaryDirectory() as tmp:
        for mode in modes:
            print(run_mode(mode, Path(tmp), subset), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
