"""Plans the broker was seen to provision, or bind to, synchronously.

A check of an asynchronous operation (polling it, deleting during it, re-sending during it)
needs the broker to answer 202. Where the broker completed the suite's standard request
for a plan at once although ``accepts_incomplete=true`` allowed it to take its time, the
same request in another check gets the same answer, and that check is N/A: it would
create one more instance or binding only to learn it again. The first such answer marks
the plan for every process of the run (files in the run's folder) and names the test that
saw it, so that the N/A says where the run showed it.
"""

from __future__ import annotations

from pathlib import Path

from .stalled_plans import PlanMarks

KINDS = ("provision", "bind")


class SynchronousPlans:
    """Per operation kind, the plans whose standard request was completed synchronously."""

    def __init__(self, folder: Path | None) -> None:
        self._marks = {kind: PlanMarks(folder, f"synchronous-{kind}") for kind in KINDS}

    def note(self, kind: str, plan_id: str, label: str, owner: str) -> None:
        """The broker answered 201 Created to a new standard ``kind`` with the flag."""
        self._marks[kind].mark(plan_id, (
            f"{label} {kind}s synchronously: it answered 201 Created to a {kind} with "
            f"accepts_incomplete=true in {owner}"))

    def reason(self, kind: str, plan_id: str) -> str | None:
        return self._marks[kind].reason(plan_id)
