"""Writing the run's reports: the JSON and Markdown files, the terminal summary and the
verdict line.

Only the controller (or a serial run) writes them; workers only run tests.
"""

from __future__ import annotations

from typing import Any

import pytest

from .json_report import write_json_report
from .markdown import write_markdown_report
from .terminal import write_summary, write_verdict


class ReportHooks:
    """Registered as a plugin object for the duration of a conformance run."""

    def __init__(self, run: Any, config: pytest.Config) -> None:
        self.run = run
        self.config = config
        self.is_worker = hasattr(config, "workerinput")

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        self.run.results.interrupted = exitstatus == pytest.ExitCode.INTERRUPTED
        if self.is_worker:
            return
        self.run.cleanup.clean_up_once()  # the report lists what could not be deleted
        if self.run.settings.report_json:
            write_json_report(self.run.settings.report_json, self.run, session)
        if self.run.settings.report_md and self.run.catalog is not None:
            write_markdown_report(self.run.settings.report_md, self.run,
                                  self.config.getoption("htmlpath", None))
        if self.decides_exit_code(exitstatus):
            session.exitstatus = self.run.verdict().exit_code

    def decides_exit_code(self, exitstatus: int) -> bool:
        # pytest's own usage and internal errors, and a run that never collected (the
        # catalog could not be read) keep their codes; a finished or interrupted run
        # takes its verdict's.
        return self.run.catalog is not None and not self.config.option.collectonly \
            and exitstatus in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED,
                               pytest.ExitCode.INTERRUPTED, pytest.ExitCode.NO_TESTS_COLLECTED)

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_terminal_summary(self, terminalreporter: Any):  # type: ignore[no-untyped-def]
        # After pytest's own summary (short test summary included).
        result = yield
        if self.writes_verdict:
            write_summary(terminalreporter, self.run)
        return result

    @pytest.hookimpl(tryfirst=True)
    def pytest_unconfigure(self, config: pytest.Config) -> None:
        # After pytest's final counts: the verdict is the very last line of the run.
        terminal = config.pluginmanager.get_plugin("terminalreporter")
        if self.writes_verdict and terminal is not None:
            write_verdict(terminal, self.run)

    @property
    def writes_verdict(self) -> bool:
        # Nothing ran on a worker, with --collect-only, or when the catalog could not be read
        # (that run ends with one clear error and exit code 2 instead), or after a usage
        # error (exit code 4).
        return not self.is_worker and not self.config.option.collectonly \
            and self.run.catalog is not None and not self.run.usage_error
