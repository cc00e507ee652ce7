"""What the reference broker has served, counted on the broker side.

Benchmarks and tests count requests, operations and resources here rather than trusting the
client. The counters have their own lock: in-flight requests are counted outside the
broker's lock, while answers are delayed (``latency_ms``) in parallel.
"""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

OWN_ROUTES = frozenset({"state", "stats"})  # the broker's introspection, not OSB traffic


class BrokerStats:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self.requests = 0
            self.routes: Counter[str] = Counter()
            self.operations: Counter[str] = Counter()  # "provision sync", "bind async", ...
            self.created: Counter[str] = Counter()  # "instances", "bindings"
            self.created_per_plan: dict[str, Counter[str]] = {}
            self.deleted: Counter[str] = Counter()
            self.in_flight = 0
            self.peak_in_flight = 0
            self.peak_live_instances = 0

    # -- requests -------------------------------------------------------------------------------
    def request_started(self) -> None:
        with self._lock:
            self.in_flight += 1
            self.peak_in_flight = max(self.peak_in_flight, self.in_flight)

    def request_finished(self) -> None:
        with self._lock:
            self.in_flight -= 1

    def served(self, route: str) -> None:
        with self._lock:
            self.requests += 1
            self.routes[route or "unrouted"] += 1

    # -- broker work ------------------------------------------------------------------------------
    def operation_started(self, kind: str, asynchronous: bool) -> None:
        with self._lock:
            self.operations[f"{kind} {'async' if asynchronous else 'sync'}"] += 1

    def resource_created(self, kind: str, plan_id: str) -> None:
        """``kind`` is "instances" or "bindings"."""
        with self._lock:
            self.created[kind] += 1
            self.created_per_plan.setdefault(plan_id, Counter())[kind] += 1

    def resource_deleted(self, kind: str) -> None:
        with self._lock:
            self.deleted[kind] += 1

    def live_instances(self, count: int) -> None:
        with self._lock:
            self.peak_live_instances = max(self.peak_live_instances, count)

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "requests": self.requests,
                "requests_per_route": dict(sorted(self.routes.items())),
                "operations": sum(self.operations.values()),
                "operations_per_kind": dict(sorted(self.operations.items())),
                "created": {"instances": self.created["instances"],
                            "bindings": self.created["bindings"]},
                "created_per_plan": {plan: {"instances": c["instances"],
                                            "bindings": c["bindings"]}
                                     for plan, c in sorted(self.created_per_plan.items())},
                "deleted": {"instances": self.deleted["instances"],
                            "bindings": self.deleted["bindings"]},
                "peak_live_instances": self.peak_live_instances,
                "peak_in_flight_requests": self.peak_in_flight,
                "in_flight_requests": self.in_flight,
            }
