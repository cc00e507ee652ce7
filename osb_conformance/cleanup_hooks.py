"""Deleting what the run created when it ends (also after Ctrl-C), and gathering what
xdist workers could not delete (and their request counts) on the controller."""

from __future__ import annotations

from typing import Any

import pytest

from .cleanup import clean_up_interruptible
from .ledger import Ledger


class CleanupHooks:
    """Registered as a plugin object for the duration of a conformance run."""

    def __init__(self, run: Any, config: pytest.Config) -> None:
        self.run = run
        self.config = config
        self.cleaned_up = False
        self.reported: set[str] = set()  # xdist workers that handed their leftovers over

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        self.clean_up_once()
        if hasattr(self.config, "workerinput"):
            # Handed to the controller: what could not be deleted, and (cleanup included)
            # what the worker's requests cost (reporting/cost.py adds them up).
            output = self.config.workeroutput  # type: ignore[attr-defined]
            output["osb_leftovers"] = self.run.leftovers
            output["osb_stats"] = self.run.client.stats.to_dict()

    def clean_up_once(self) -> None:
        """Delete what the run created; reports ask first (they show the leftovers)."""
        if self.cleaned_up:
            return
        self.cleaned_up = True
        # Waits until no other worker's test holds an instance this one keeps.
        self.run.shared.close(self.run.ledger)
        left = clean_up_interruptible(self.run.client, self.run.ledger)
        left += self._clean_up_after_lost_workers()
        self.run.client.take_exchanges()
        self.run.leftovers += [r.to_dict() for r in left]

    def _clean_up_after_lost_workers(self) -> list[Any]:
        """Workers that ended without handing over (killed on an interrupted run, or
        crashed) left their ledger's journal: delete what it says is still there."""
        if hasattr(self.config, "workerinput") or self.run.folder is None:
            return []
        left = []
        for journal in sorted(self.run.folder.glob("ledger-*.jsonl")):
            if journal.stem.removeprefix("ledger-") not in self.reported:
                left += clean_up_interruptible(self.run.client, Ledger.replay(journal))
        return left

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: Any) -> None:  # xdist controller only
        output = getattr(node, "workeroutput", None)
        if output is not None and "osb_leftovers" in output:
            self.reported.add(node.workerinput["workerid"])
            self.run.leftovers += output["osb_leftovers"]
