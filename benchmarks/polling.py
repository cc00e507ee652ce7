"""Polling: time the suite spends waiting vs the Retry-After the broker asked for.

    python benchmarks/polling.py

Part 1 runs the suite's async-plan tests of asynchronous provisioning and deprovisioning
(``-k async --osb-requirements=PROV-002,DEP-002``: a small, stable selection, so the figures
compare across suite versions) against reference brokers that keep
an operation "in progress" for ``async_polls`` polls and send ``Retry-After: retry_after``
(or none), and reads every polling loop's ``PollResult.waited`` / ``asked_to_wait``.

Part 2 replays the suite's own polling loop (``osb_conformance.polling._poll``) on a
simulated clock: for an operation that takes D seconds, how many polls it sends and how
late it notices the end, for several first intervals (``--osb-poll-interval``).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Any

from benchlib import machine, reference_broker, run_suite, table

from osb_conformance import polling

LIVE_CONFIGS = [  # (async_polls, retry_after, suite options)
    (1, None, ()),
    (3, None, ()),
    (1, 1, ()),
    (3, 0, ()),
    (1, None, ("--osb-poll-interval=0.2",)),
    (1, None, ("--osb-poll-interval=0.05",)),
]
SELECTION = ("-k", "async", "--osb-requirements=PROV-002,DEP-002")
DURATIONS = [0.01, 0.1, 0.5, 2.0, 10.0, 60.0]
INTERVALS = [0.2, 0.1, 0.05]


def live() -> None:
    rows = []
    for polls, retry_after, options in LIVE_CONFIGS:
        with reference_broker(async_polls=polls, retry_after=retry_after) as served:
            run = run_suite(served.url, *SELECTION, *options)
            run.check_clean()
        session = run.session or run.wall
        requests = sum(p["requests"] for p in run.polls)
        rows.append([
            polls, "none" if retry_after is None else retry_after, " ".join(options) or "-",
            run.tests, len(run.polls), requests, run.asked_to_wait, run.waited,
            f"{run.waited / run.asked_to_wait:.2f}" if run.asked_to_wait else "-",
            session, f"{100 * run.waited / session:.0f}%",
        ])
    print(table(["in-progress polls", "Retry-After", "options", "tests", "loops", "polls",
                 "asked (s)", "waited (s)", "waited/asked", "session (s)",
                 "waiting share"], rows))


@dataclass
class _Answer:
    """Just enough of a BrokerResponse for the polling loop."""

    state: str
    status: int = 200
    headers: Any = None

    def __post_init__(self) -> None:
        self.headers = {}

    def body_object(self) -> dict[str, Any]:
        return {"state": self.state}


def simulate(duration: float, interval: float) -> tuple[int, float]:
    """Polls sent, and seconds between the operation's end and the poll that saw it."""
    clock = [0.0]

    def fetch() -> _Answer:
        return _Answer("succeeded" if clock[0] >= duration else "in progress")

    def sleep(seconds: float) -> None:
        clock[0] += seconds

    result = polling._poll(fetch, interval, 3600.0, False, sleep)  # type: ignore[arg-type]
    return len(result.responses), max(0.0, clock[0] - duration)


def schedule() -> None:
    rows = []
    for duration in DURATIONS:
        row: list[Any] = [duration]
        for interval in INTERVALS:
            count, late = simulate(duration, interval)
            row.append(f"{count} / {late:.2f}")
        rows.append(row)
    print(table(["operation takes (s)",
                 *[f"first interval {i}s: polls / late (s)" for i in INTERVALS]], rows))


def main(argv: list[str]) -> None:
    print(f"# polling ({machine()})\n")
    print(f"## live: `{' '.join(SELECTION)}` against the reference broker\n")
    live()
    print("\n## the suite's polling schedule on a simulated clock (backoff x1.5 up to 2 s)\n")
    schedule()


if __name__ == "__main__":
    main(sys.argv[1:])
