"""Hooks for bounded time and load safety during a conformance run (docs/reliability.md).

Registered next to the session hooks when a broker URL is given.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from .cost_estimate import estimate, estimate_lines
from .fuzzing.budget import MACHINES
from .load_safety import planned_provisioning
from .tls import INSECURE_WARNING

# After this many requests in a row without an answer, the broker is taken for dead: the
# run stops instead of spending a timeout on every remaining test.
UNANSWERED_LIMIT = 5
KEEP_WARNING = ("osb-conformance: --osb-keep-resources is set: NOTHING the suite creates "
                "on the broker will be deleted; the ids are listed at the end")


class ReliabilityHooks:
    """The per-test watchdog, and saying loudly what a run will leave or create."""

    def __init__(self, run: Any, config: pytest.Config) -> None:
        self.run = run
        self.config = config
        self.session: pytest.Session | None = None
        self.announced = False  # the planned creation was shown (xdist controller)

    def pytest_report_header(self, config: pytest.Config) -> list[str]:
        settings = self.run.settings
        lines = [f"osb-conformance time bounds: {settings.timeout:g}s per request, "
                 f"{settings.poll_timeout:g}s per polling loop, "
                 f"{settings.test_timeout:g}s per test (docs/reliability.md)"]
        if settings.keep_resources:
            lines.append(KEEP_WARNING)
        if settings.verify is False:
            lines.append(f"osb-conformance: {INSECURE_WARNING}")
        return lines

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        # The watchdog: setup and call share one bound; no request is sent after it.
        self.run.client.start_test_clock(self.run.settings.test_timeout)

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_teardown(self, item: pytest.Item) -> None:
        # Cleanup must get its chance even when the test used up its time.
        self.run.client.stop_test_clock()

    def pytest_sessionstart(self, session: pytest.Session) -> None:
        self.session = session

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        unanswered = self.run.client.unanswered_in_a_row
        if report.when == "teardown" and unanswered >= UNANSWERED_LIMIT and self.session:
            self.session.shouldstop = (
                f"osb-conformance: the broker answered none of the last {unanswered} "
                f"requests (each timed out after {self.run.settings.timeout:g}s); "
                f"stopping the run")

    def pytest_report_collectionfinish(
        self, config: pytest.Config, start_path: Path, items: list[pytest.Item]
    ) -> list[str]:
        lines = self.planned_creation([item.nodeid for item in items])
        if config.option.collectonly:
            lines += planned_provisioning(items, self.run.settings)
        return lines

    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_node_collection_finished(self, node: Any, ids: list[str]) -> None:
        # The controller collects nothing itself: the first worker's list says it.
        if self.announced:
            return
        self.announced = True
        terminal = self.config.pluginmanager.get_plugin("terminalreporter")
        if terminal is not None:
            for line in self.planned_creation(ids):
                terminal.write_line(line)

    def planned_creation(self, nodeids: list[str]) -> list[str]:
        """What the run will create at most, per plan (cost_estimate.py)."""
        processes = self.run.client.slots.count
        costs = estimate(nodeids, self.run.selected_plans(), self.run.settings.fuzz,
                         processes, MACHINES)
        return estimate_lines(costs, processes) if costs else []
