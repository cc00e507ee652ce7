"""In-memory state of the reference broker: instances, bindings and their operations."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

IN_PROGRESS = "in progress"
SUCCEEDED = "succeeded"


@dataclass
class Operation:
    """An asynchronous operation. It finishes on the first poll after it has been polled
    ``polls_left`` times and ``finishes_at`` (a monotonic clock reading, if set) has passed;
    a time-based operation starts with no polls left."""

    kind: str  # provision | update | deprovision | bind | unbind
    signature: Any = None  # what an identical re-sent request must match
    changes: dict[str, Any] = field(default_factory=dict)  # applied when an update finishes
    polls_left: int = 1
    finishes_at: float | None = None
    state: str = IN_PROGRESS
    id: str = field(default_factory=lambda: f"op-{uuid.uuid4()}")

    @property
    def in_progress(self) -> bool:
        return self.state == IN_PROGRESS

    def polled(self, now: float) -> bool:
        """Count one poll at ``now``; True when that poll finishes the operation."""
        if self.polls_left > 0:
            self.polls_left -= 1
            return False
        return self.finishes_at is None or now >= self.finishes_at

    def due(self, now: float) -> bool:
        """A time-based operation whose time has come (no poll needed)."""
        return self.in_progress and self.polls_left == 0 and self.finishes_at is not None \
            and now >= self.finishes_at


@dataclass
class Binding:
    id: str
    service_id: str
    plan_id: str
    signature: Any
    credentials: dict[str, Any]
    parameters: dict[str, Any]
    ready: bool = False
    operation: Operation | None = None


@dataclass
class Instance:
    id: str
    service_id: str
    plan_id: str
    signature: Any
    parameters: dict[str, Any]
    context: dict[str, Any]
    dashboard_url: str
    maintenance_info: dict[str, Any] | None = None
    ready: bool = False
    operation: Operation | None = None
    bindings: dict[str, Binding] = field(default_factory=dict)

    @property
    def busy(self) -> bool:
        """An operation on the instance or on one of its bindings is in progress."""
        if self.operation is not None and self.operation.in_progress:
            return True
        return any(b.operation is not None and b.operation.in_progress
                   for b in self.bindings.values())


@dataclass
class BrokerState:
    instances: dict[str, Instance] = field(default_factory=dict)
    deleted_instances: set[str] = field(default_factory=set)
    deleted_bindings: set[tuple[str, str]] = field(default_factory=set)

    def live(self) -> dict[str, list[str]]:
        """What is provisioned right now (for tests that check nothing is left behind)."""
        return {
            "instances": sorted(self.instances),
            "bindings": sorted(
                f"{i.id}/{b}" for i in self.instances.values() for b in i.bindings
            ),
        }
