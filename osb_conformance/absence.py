"""When a DELETE can prove that something does not exist.

Where instances (or bindings) are not retrievable, "nothing was created" can only be shown
by deleting the id and getting 410 Gone. A broker that answers a DELETE of an id it never
saw with 2xx (a DEP-004 / UNB-004 deviation, reported by those checks) makes that probe
prove nothing: a 2xx then says neither "it existed" nor "it did not". Each process learns
this once, by deleting a random never-created id before the first probe relies on it.
"""

from __future__ import annotations

import uuid
import weakref
from dataclasses import dataclass

from .catalog import Plan
from .client import BrokerResponse, OSBClient


@dataclass(frozen=True)
class DeleteOfUnknown:
    """How the broker answered a DELETE of an id that was never created."""

    status: int
    observed: str

    @property
    def proves_nothing(self) -> bool:
        return 200 <= self.status < 300

    def shows_absence(self, response: BrokerResponse) -> bool:
        """410 Gone, or 404 where the broker answers 404 for never-created ids too (a
        DEP-004 / UNB-004 deviation reported there, not by the absence check)."""
        return response.status == 410 or response.status == self.status == 404

    def reason(self, what: str) -> str:
        return (f"the broker answers a DELETE of a never-created {what} id with "
                f"{self.observed}, so a DELETE cannot show whether one exists")


_LEARNT: weakref.WeakKeyDictionary[OSBClient, dict[str, DeleteOfUnknown]] = (
    weakref.WeakKeyDictionary())


def instance_delete_of_unknown(client: OSBClient, plan: Plan) -> DeleteOfUnknown:
    """The broker's answer to deprovisioning a never-created instance (asked once)."""
    learnt = _LEARNT.setdefault(client, {})
    if "instance" not in learnt:
        response = client.deprovision(str(uuid.uuid4()), plan.service.id, plan.id, True)
        learnt["instance"] = DeleteOfUnknown(response.status, response.describe())
    return learnt["instance"]


def binding_delete_of_unknown(client: OSBClient, plan: Plan, instance_id: str) -> DeleteOfUnknown:
    """The broker's answer to unbinding a never-created binding of an existing instance."""
    learnt = _LEARNT.setdefault(client, {})
    if "binding" not in learnt:
        response = client.unbind(instance_id, str(uuid.uuid4()), plan.service.id, plan.id,
                                 True)
        learnt["binding"] = DeleteOfUnknown(response.status, response.describe())
    return learnt["binding"]
