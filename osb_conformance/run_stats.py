"""What a run cost the broker: requests, broker operations, resources created, and the time
spent waiting on the broker. Each process counts its own; the xdist controller adds the
workers' counts up (they arrive through ``workeroutput``)."""

from __future__ import annotations

import copy
import json
import re
import threading
from dataclasses import dataclass, field, fields
from typing import Any

_INSTANCE = re.compile(r"/v2/service_instances/[^/?]+(\?|$)")
_BINDING = re.compile(r"/v2/service_instances/[^/?]+/service_bindings/[^/?]+(\?|$)")
_OPERATIONS = {("PUT", "instance"): "provision", ("PATCH", "instance"): "update",
               ("DELETE", "instance"): "deprovision", ("PUT", "binding"): "bind",
               ("DELETE", "binding"): "unbind"}


@dataclass
class RunStats:
    requests: int = 0
    # Broker operations the broker accepted (2xx), by kind; "async" those answered 202.
    operations: dict[str, int] = field(default_factory=dict)
    async_operations: int = 0
    # Creates answered 201 or 202 (a new resource), by plan id.
    instances_created: dict[str, int] = field(default_factory=dict)
    bindings_created: dict[str, int] = field(default_factory=dict)
    request_seconds: float = 0.0  # waiting for answers
    polling_seconds: float = 0.0  # pauses between polls of last_operation
    test_seconds: float = 0.0  # the tests' own durations, summed over processes
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)
    # Resources already counted: an identical re-send answered 202 creates nothing new.
    _created_urls: set[str] = field(default_factory=set, repr=False, compare=False)

    def count_exchange(self, method: str, url: str, status: int | None, seconds: float,
                       body: bytes | None) -> None:
        """One request and its answer (status None: no answer)."""
        kind = _OPERATIONS.get((method, _resource_kind(url)))
        with self._lock:
            self.requests += 1
            self.request_seconds += seconds
            if kind is None or status is None or not 200 <= status < 300:
                return
            self.operations[kind] = self.operations.get(kind, 0) + 1
            self.async_operations += status == 202
            resource = url.split("?", 1)[0]
            if kind in ("provision", "bind") and status in (201, 202) \
                    and resource not in self._created_urls:
                self._created_urls.add(resource)
                created = self.instances_created if kind == "provision" \
                    else self.bindings_created
                plan_id = _plan_id(body)
                created[plan_id] = created.get(plan_id, 0) + 1

    def count_pause(self, seconds: float) -> None:
        with self._lock:
            self.polling_seconds += seconds

    def count_test(self, seconds: float) -> None:
        with self._lock:
            self.test_seconds += seconds

    def to_dict(self) -> dict[str, Any]:
        with self._lock:
            return {f.name: copy.copy(getattr(self, f.name)) for f in fields(self)
                    if not f.name.startswith("_")}

    def add(self, other: dict[str, Any]) -> None:
        """Add another process's counts (``to_dict`` form)."""
        with self._lock:
            for name in ("requests", "async_operations", "request_seconds",
                         "polling_seconds", "test_seconds"):
                setattr(self, name, getattr(self, name) + other.get(name, 0))
            for name in ("operations", "instances_created", "bindings_created"):
                mine = getattr(self, name)
                for key, count in other.get(name, {}).items():
                    mine[key] = mine.get(key, 0) + count

    def created_counts(self) -> tuple[int, int]:
        """Instances and bindings created so far (for a test's own share: the difference)."""
        with self._lock:
            return sum(self.instances_created.values()), sum(self.bindings_created.values())

    @property
    def created(self) -> int:
        return sum(self.instances_created.values()) + sum(self.bindings_created.values())


def _resource_kind(url: str) -> str | None:
    path = url.split("://", 1)[-1]
    path = path[path.find("/"):] if "/" in path else path
    if _BINDING.search(path):
        return "binding"
    if _INSTANCE.search(path):
        return "instance"
    return None


def _plan_id(body: bytes | None) -> str:
    try:
        value = json.loads(body or b"").get("plan_id")
    except (ValueError, AttributeError):
        return "?"
    return value if isinstance(value, str) else "?"
