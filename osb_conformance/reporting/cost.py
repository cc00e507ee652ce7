"""What the run cost the broker, said during and after the run: progress lines during long
waits, and at the end the resources created, broker operations, time spent waiting on the
broker and the concurrency achieved (terminal summary, JSON and HTML reports)."""

from __future__ import annotations

import sys
import time
from typing import Any

import pytest

from ..in_flight import ProgressReporter


class CostHooks:
    """Registered as a plugin object for the duration of a conformance run."""

    def __init__(self, run: Any, config: pytest.Config) -> None:
        self.run = run
        self.config = config
        self.is_worker = hasattr(config, "workerinput")
        self.progress: ProgressReporter | None = None

    def pytest_sessionstart(self, session: pytest.Session) -> None:
        self.run.started = time.monotonic()
        terminal = self.config.pluginmanager.get_plugin("terminalreporter")
        if self.is_worker or terminal is None or self.run.folder is None:
            return
        every = 10.0 if sys.stdout.isatty() else 30.0
        self.progress = ProgressReporter(self.run.folder, terminal.write_line, every)
        self.progress.start()

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if not self.is_worker:  # on the controller, the workers' reports arrive here
            self.run.client.stats.count_test(getattr(report, "duration", 0.0))

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        # (A worker hands its counts over after its cleanup: cleanup_hooks.py.)
        if self.progress is not None:
            self.progress.stop()

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: Any) -> None:  # xdist controller only
        stats = getattr(node, "workeroutput", {}).get("osb_stats")
        if stats:
            self.run.client.stats.add(stats)


def cost_summary(run: Any) -> dict[str, Any]:
    """The cost section of the reports, from the start of the session until now."""
    stats = run.client.stats
    wall_seconds = time.monotonic() - run.started if run.started is not None else 0.0
    labels = {plan.id: plan.label for plan in (run.catalog.plans if run.catalog else [])}
    return {
        "requests": stats.requests,
        "broker_operations": dict(sorted(stats.operations.items())),
        "asynchronous_operations": stats.async_operations,
        "instances_created": {labels.get(k, k): v
                              for k, v in sorted(stats.instances_created.items())},
        "bindings_created": {labels.get(k, k): v
                             for k, v in sorted(stats.bindings_created.items())},
        "created_total": stats.created,
        "seconds_waiting_for_answers": round(stats.request_seconds, 3),
        "seconds_between_polls": round(stats.polling_seconds, 3),
        "wall_seconds": round(wall_seconds, 3),
        "achieved_concurrency": round(stats.test_seconds / wall_seconds, 2)
        if wall_seconds > 0 else None,
    }


def cost_lines(cost: dict[str, Any]) -> list[str]:
    """The cost in a few terminal lines."""
    operations = ", ".join(f"{k} {v}" for k, v in cost["broker_operations"].items()) or "none"
    per_plan = {plan: (cost["instances_created"].get(plan, 0),
                       cost["bindings_created"].get(plan, 0))
                for plan in {*cost["instances_created"], *cost["bindings_created"]}}
    lines = [
        f"created {cost['created_total']} resources: "
        + (", ".join(f"{plan} {i} instances + {b} bindings"
                     for plan, (i, b) in sorted(per_plan.items())) or "none"),
        f"{cost['requests']} requests; broker operations accepted: {operations} "
        f"({cost['asynchronous_operations']} asynchronous)",
        f"waiting on the broker: {cost['seconds_waiting_for_answers']:.1f}s for answers, "
        f"{cost['seconds_between_polls']:.1f}s between polls; wall {cost['wall_seconds']:.1f}s"
        + (f", achieved concurrency {cost['achieved_concurrency']:.2f}"
           if cost["achieved_concurrency"] is not None else ""),
    ]
    return lines
