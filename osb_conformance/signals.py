"""SIGTERM (CI cancelling a job) ends a run like Ctrl-C, so cleanup still runs."""

from __future__ import annotations

import signal
from typing import Any

import pytest


class SignalHooks:
    """Installs the SIGTERM handler for the run (controller or serial run only)."""

    def __init__(self, config: pytest.Config) -> None:
        self.is_worker = hasattr(config, "workerinput")
        self.previous: Any = None

    def pytest_sessionstart(self, session: pytest.Session) -> None:
        if not self.is_worker:
            self.previous = signal.signal(signal.SIGTERM, _sigterm_as_interrupt)

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        if self.previous is not None:
            signal.signal(signal.SIGTERM, self.previous)
            self.previous = None


def _sigterm_as_interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt("SIGTERM")
