"""Scale: the whole suite against catalogs of 1, 10 and 50 plans.

    python benchmarks/scale.py [PLANS ...] [SUITE OPTIONS]   (default: 1 10 50 --osb-fuzz=off)

Fuzzing is off by default here: it is a fixed budget per plan (``--osb-fuzz=quick``: 4
examples per property, 10 lifecycle sequences) that makes a 50-plan run take over 15
minutes on a shared 2-CPU box; pass ``--osb-fuzz=quick`` to include it.

The reference broker's catalog is cut to exactly N plans: plan 1 is synchronous, plan 2
asynchronous, the rest generated synchronous plans (``ReferenceBroker(extra_plans=N-2)``).
Per plan, time and requests should stay flat; the async plan costs more than a sync one
(it waits for its operations), so the table splits the cost by plan kind, from the
durations and transcripts of the JSON report.
"""

from __future__ import annotations

import sys
from collections import defaultdict
from typing import Any

from benchlib import machine, reference_broker, run_suite, table

DEFAULT_SIZES = (1, 10, 50)
DEFAULT_OPTIONS = ("--osb-fuzz=off",)


def by_plan(report: dict[str, Any]) -> dict[str | None, dict[str, float]]:
    """Seconds, tests and requests per plan name (None: tests without a plan)."""
    totals: dict[str | None, dict[str, float]] = defaultdict(
        lambda: {"seconds": 0.0, "tests": 0, "requests": 0})
    for result in report["results"]:
        entry = totals[result["plan"]]
        entry["seconds"] += result["duration"]
        entry["tests"] += 1
        entry["requests"] += len(result["transcript"])
    return totals


def main(argv: list[str]) -> None:
    sizes = [int(a) for a in argv if a.isdigit()] or list(DEFAULT_SIZES)
    options = [a for a in argv if not a.isdigit()] or list(DEFAULT_OPTIONS)
    print(f"# scale ({machine()}) {' '.join(options)}\n")
    rows = []
    previous: tuple[int, float, int] | None = None
    for plans in sizes:
        with reference_broker(plans=plans) as served:
            run = run_suite(served.url, *options)
            run.check_clean()
            served_requests = served.broker.requests_served
            live = served.broker.state.live()
        if live != {"instances": [], "bindings": []}:
            raise SystemExit(f"{plans} plans: resources left on the broker: {live}")
        session = run.session or run.wall
        per = by_plan(run.report)
        sync = [v for k, v in per.items() if k is not None and k != "async"]
        sync_seconds = sum(v["seconds"] for v in sync) / len(sync) if sync else 0.0
        sync_requests = sum(v["requests"] for v in sync) / len(sync) if sync else 0.0
        async_entry = per.get("async")
        marginal = "-"
        if previous is not None:
            marginal = f"{(session - previous[1]) / (plans - previous[0]):.3f}"
        rows.append([
            plans, run.tests, session, f"{session / plans:.3f}", marginal, served_requests,
            f"{served_requests / plans:.0f}", f"{sync_seconds:.3f}", f"{sync_requests:.0f}",
            f"{async_entry['seconds']:.2f} / {async_entry['requests']:.0f}"
            if async_entry else "-",
            f"{per[None]['seconds']:.2f}" if None in per else "-",
        ])
        previous = (plans, session, served_requests)
        print(f"{plans} plans: {run.tests} tests, {session:.1f} s, {served_requests} requests",
              flush=True)
    print()
    print(table(["plans", "tests", "session (s)", "s / plan", "marginal s / plan",
                 "requests", "requests / plan", "sync plan: s", "sync plan: requests",
                 "async plan: s / requests", "plan-less tests: s"], rows))


if __name__ == "__main__":
    main(sys.argv[1:])
