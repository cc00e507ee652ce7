"""Plans whose asynchronous operations do not finish within the polling bound.

Once an operation on a plan has stayed ``in progress`` past the polling bound, every later
check that needs an operation of that plan to finish would wait the whole bound again. A
broker whose operations never finish would then keep a run busy for hours. So the first
such operation marks the plan; later checks that would poll on it fail at once with that
cause, and deleting its resources waits for the end of the run, where all of them are
deleted concurrently within one polling bound.

The marks are files in the run's folder, so that every xdist worker sees them.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from .errors import BrokerError


class PlanMarks:
    """A reason per plan, seen by every process of the run (a file per plan in the run's
    folder; without a folder, this process only). The first mark of a plan stays."""

    def __init__(self, folder: Path | None, kind: str) -> None:
        self.folder = folder
        self.kind = kind  # the file names' prefix: what the mark means
        self._local: dict[str, str] = {}

    def mark(self, plan_id: str, why: str) -> None:
        if self.reason(plan_id) is not None:
            return
        self._local[plan_id] = why
        if self.folder is not None:
            self._path(plan_id).write_text(why, encoding="utf-8")

    def reason(self, plan_id: str) -> str | None:
        if plan_id in self._local:
            return self._local[plan_id]
        if self.folder is not None:
            path = self._path(plan_id)
            if path.exists():
                self._local[plan_id] = path.read_text(encoding="utf-8")
                return self._local[plan_id]
        return None

    def _path(self, plan_id: str) -> Path:
        assert self.folder is not None
        return self.folder / f"{self.kind}-{hashlib.sha256(plan_id.encode()).hexdigest()[:16]}"


class StalledPlans(PlanMarks):
    """Plans an operation of which stayed in progress past the polling bound."""

    def __init__(self, folder: Path | None) -> None:
        super().__init__(folder, "stalled")


class PlanStalled(BrokerError):
    """Not attempted: an earlier operation of the plan never finished within the bound."""
