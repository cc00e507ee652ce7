"""Ready instances that checks share instead of each provisioning their own.

A check that only needs an instance to exist (fetch it, bind to it, send a conflicting
create for its id, poll its finished operation) borrows the plan's shared instance. Each
process (xdist worker) keeps at most one per plan and runs one test at a time, so a
shared instance is used by one test at a time and concurrent bind/unbind operations of
different tests never meet on it. A check never changes a shared instance (the platform
refuses to update or delete it); a test that failed or warned while holding one may have
changed it through a broker's deviation, so it is retired (deleted with the test's own
resources) and the next test gets a fresh one. Shared instances are deleted when the run
ends, with everything else the run created.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from .errors import BrokerError

if TYPE_CHECKING:  # the platform imports this module
    from .catalog import Plan
    from .platform import Instance, Platform

SHARED_OWNER = "shared instances"


class SharedInstances:
    """This process's ready instances, one per plan, created when first needed."""

    def __init__(self) -> None:
        self._ready: dict[str, Instance] = {}
        self._unavailable: dict[str, str] = {}  # plan id -> why none could be provisioned

    def borrow(self, platform: Platform, plan: Plan) -> Instance:
        """The plan's shared instance; provisioned now (by this test) if there is none."""
        if plan.id in self._unavailable:
            raise SharedInstanceUnavailable(self._unavailable[plan.id])
        instance = self._ready.get(plan.id)
        if instance is None:
            try:
                instance = platform.provision_ready(plan)
            except BrokerError as exc:
                # One failed attempt answers for the plan: the tests after it fail at once
                # with the cause instead of each spending a provisioning on it again.
                self._unavailable[plan.id] = (
                    f"no shared {plan.label} instance: provisioning it failed in "
                    f"{platform.owner}: {exc}")
                raise
            platform.ledger.hand_over(instance.id, SHARED_OWNER)
            instance = dataclasses.replace(instance, shared=True)
            self._ready[plan.id] = instance
        return instance

    def is_shared(self, instance_id: str) -> bool:
        return any(i.id == instance_id for i in self._ready.values())

    def retire(self, platform: Platform, instance_ids: set[str], owner: str | None = None) -> None:
        """Give these shared instances to ``owner`` (the test), whose cleanup deletes them."""
        for plan_id, instance in list(self._ready.items()):
            if instance.id in instance_ids:
                del self._ready[plan_id]
                platform.ledger.hand_over(instance.id, owner or platform.owner)

    def idle(self, in_use: set[str]) -> list[Instance]:
        """Shared instances the current test does not hold (they may be deleted for room)."""
        return [i for i in self._ready.values() if i.id not in in_use]


class SharedInstanceUnavailable(BrokerError):
    """The plan's shared instance could not be provisioned earlier in this run."""
