"""Deleting what the run created when it ends (also after Ctrl-C), and gathering what
xdist workers could not delete on the controller."""

from __future__ import annotations

from typing import Any

import pytest

from .cleanup import clean_up_interruptible


class CleanupHooks:
    """Registered as a plugin object for the duration of a conformance run."""

    def __init__(self, run: Any, config: pytest.Config) -> None:
        self.run = run
        self.config = config
        self.cleaned_up = False

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        self.clean_up_once()
        if hasattr(self.config, "workerinput"):
            self.config.workeroutput["osb_leftovers"] = self.run.leftovers  # type: ignore[attr-defined]

    def clean_up_once(self) -> None:
        """Delete what the run created; reports ask first (they show the leftovers)."""
        if self.cleaned_up:
            return
        self.cleaned_up = True
        left = clean_up_interruptible(self.run.client, self.run.ledger)
        self.run.client.take_exchanges()
        self.run.leftovers += [r.to_dict() for r in left]

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: Any) -> None:  # xdist controller only
        self.run.leftovers += getattr(node, "workeroutput", {}).get("osb_leftovers", [])
