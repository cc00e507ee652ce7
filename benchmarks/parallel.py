"""Serial vs ``-n 2`` (pytest-xdist), on the default catalog and on 10 plans (no fuzzing).

    python benchmarks/parallel.py

Each pair runs against one fresh reference broker per run. Besides the time, every run must
keep the cleanup guarantee: no leftovers in the report and nothing alive on the broker.
"""

from __future__ import annotations

import sys

from benchlib import machine, reference_broker, run_suite, table

# 10 plans without fuzzing (its fixed per-plan budget would make the pair take ~10 min)
TEN = ("--osb-fuzz=off",)
CASES = [(None, ()), (None, ("-n", "2")), (10, TEN), (10, (*TEN, "-n", "2"))]


def main(argv: list[str]) -> None:
    print(f"# serial vs -n 2 ({machine()})\n")
    rows = []
    serial: dict[int | None, float] = {}
    for plans, options in CASES:
        with reference_broker(plans=plans) as served:
            run = run_suite(served.url, *options)
            live = served.broker.state.live()
            requests = served.broker.requests_served
            connections = len(served.connections)
        clean = not run.report.get("leftovers") and live == {"instances": [], "bindings": []}
        session = run.session or run.wall
        parallel = "-n" in options
        if not parallel:
            serial[plans] = run.wall
        rows.append([
            plans or 2, " ".join(options) or "serial", run.tests,
            run.report["summary"].get("PASS"), session, run.wall,
            f"{serial[plans] / run.wall:.2f}x" if parallel else "1.00x",
            requests, connections, "yes" if clean else f"NO: {live} {run.report['leftovers']}",
        ])
    print(table(["plans", "mode", "tests", "PASS", "session (s)", "wall (s)",
                 "speed-up (wall)", "requests", "connections", "clean"], rows))


if __name__ == "__main__":
    main(sys.argv[1:])
