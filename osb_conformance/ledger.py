"""The resource ledger: every instance and binding the suite creates, recorded before the
request that creates it is sent, so that cleanup can find it whatever happens next."""

from __future__ import annotations

import json
import threading
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any


@dataclass
class Resource:
    kind: str  # instance | binding
    instance_id: str
    service_id: str
    plan_id: str
    plan_label: str
    owner: str  # the test that created it
    binding_id: str | None = None
    deleted: bool = False
    problem: str | None = None  # why cleanup could not delete it

    def describe(self) -> str:
        what = f"binding {self.binding_id} of instance {self.instance_id}" \
            if self.kind == "binding" else f"instance {self.instance_id}"
        return f"{what} (plan {self.plan_label}, service_id={self.service_id}, " \
               f"plan_id={self.plan_id})"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class Ledger:
    """Thread-safe list of what the suite created and whether it was deleted.

    With a journal, every change is also appended to a file, so that another process can
    delete what this one left when it was killed (an xdist worker on an interrupted run).
    """

    def __init__(self, journal: Path | None = None) -> None:
        self._resources: list[Resource] = []
        self._lock = threading.Lock()
        self.journal = journal

    def record(self, resource: Resource) -> Resource:
        with self._lock:
            self._resources.append(resource)
            self._write({"record": resource.to_dict()})
        return resource

    @classmethod
    def replay(cls, journal: Path) -> Ledger:
        """The ledger a journal describes (a line cut short by a kill is skipped)."""
        ledger = cls()
        for line in journal.read_text(encoding="utf-8").splitlines():
            try:
                event = json.loads(line)
            except ValueError:
                continue
            if "record" in event:
                ledger._resources.append(Resource(**event["record"]))
            elif "instance_deleted" in event:
                ledger.mark_instance_deleted(event["instance_deleted"])
            elif "binding_deleted" in event:
                ledger.mark_binding_deleted(*event["binding_deleted"])
        return ledger

    def _write(self, event: dict[str, Any]) -> None:
        if self.journal is not None:
            with self.journal.open("a", encoding="utf-8") as file:
                file.write(json.dumps(event) + "\n")

    def live(self, owner: str | None = None) -> list[Resource]:
        """Resources not yet deleted (of one test, or of the whole run)."""
        with self._lock:
            return [r for r in self._resources
                    if not r.deleted and (owner is None or r.owner == owner)]

    def created_count(self) -> int:
        with self._lock:
            return len(self._resources)

    def hand_over(self, instance_id: str, owner: str) -> None:
        """Make ``owner`` responsible for deleting the instance (its bindings stay with
        the tests that created them)."""
        with self._lock:
            for resource in self._resources:
                if resource.instance_id == instance_id and resource.kind == "instance" \
                        and not resource.deleted:
                    resource.owner = owner

    def mark_instance_deleted(self, instance_id: str) -> None:
        """An instance is gone, and with it every binding it had."""
        with self._lock:
            for resource in self._resources:
                if resource.instance_id == instance_id:
                    resource.deleted = True
            self._write({"instance_deleted": instance_id})

    def let_go(self, instance_id: str) -> None:
        """Another process took the instance over (shared_instances.py): it is no longer
        this ledger's to delete, now or from the journal after a kill."""
        self.mark_instance_deleted(instance_id)

    def mark_binding_deleted(self, instance_id: str, binding_id: str) -> None:
        with self._lock:
            for resource in self._resources:
                if resource.instance_id == instance_id and resource.binding_id == binding_id:
                    resource.deleted = True
            self._write({"binding_deleted": [instance_id, binding_id]})
