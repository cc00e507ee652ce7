"""Ready instances that checks share instead of each provisioning their own.

A check that only needs an instance to exist (fetch it, bind to it, send a conflicting
create for its id, poll its finished operation) borrows a ready instance of its plan for the
length of the test. The pool is shared by every process of the run (xdist workers): each
instance is a record file in the run's folder with a lock file beside it, and a test holds
the lock (``flock``) while it uses the instance, so one instance serves one test at a time
and concurrent bind/unbind operations of different tests never meet on it. A test that
finds every instance of its plan in use provisions one more, which joins the pool; so the
pool grows to the number of tests that need the plan at the same moment, no further.

A check never changes a shared instance (the platform refuses to update or delete it). A
test that failed or warned while holding one may have changed it through a broker's
deviation, so it is retired: taken out of the pool and deleted with the test's own
resources.

Instances pass between tests so that the run creates fewer: a test that passed and leaves
an instance it provisioned as it was provisioned (no update, no delete, its bindings
deleted) donates it to the pool instead of deleting it; a check that needs an instance to
change or delete, but not to watch its creation, adopts a free one from the pool (it is
then the test's own, and deleted with its resources) before it provisions one.

Each record names its keeper, the process that deletes the instance at the end of the run
(after waiting for any test still holding it); the ledger's journal covers a keeper that
was killed. An instance another process adopted or retired is no longer its keeper's.
"""

from __future__ import annotations

import dataclasses
import fcntl
import hashlib
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from .errors import BrokerError
from .stalled_plans import PlanMarks
from .transcript import Exchange

if TYPE_CHECKING:  # the platform imports this module
    from .catalog import Plan
    from .ledger import Ledger
    from .platform import Instance, Platform

SHARED_OWNER = "shared instances"


@dataclasses.dataclass
class _Lease:
    instance: Instance
    descriptor: int  # the lock file held while the test uses the instance


class SharedInstances:
    """The run's pool of ready instances, as one process sees it."""

    def __init__(self, folder: Path | None = None) -> None:
        self.folder = folder / "shared" if folder is not None else None
        self._held: dict[str, _Lease] = {}  # this process's current test's leases
        self._created: dict[str, Plan] = {}  # instances this process keeps
        self._wanted: set[str] = set()  # bodies an adopter asked for (besides the standard)
        self._local: dict[str, Instance] = {}  # without a folder: one per plan, no locks
        # Plans whose shared instance could not be provisioned (first failure's reason).
        self._unavailable = PlanMarks(folder, "no-shared-instance")

    # -- a test's view -------------------------------------------------------------------------
    def borrow(self, platform: Platform, plan: Plan) -> Instance:
        """A ready instance of ``plan`` no other test holds; provisioned now (by this test)
        when there is none."""
        for lease in self._held.values():
            if lease.instance.plan.id == plan.id:
                return lease.instance
        reason = self._unavailable.reason(plan.id)
        if reason is not None:
            raise SharedInstanceUnavailable(reason)
        return self._lease_free(plan, platform.provision_body(plan)) \
            or self._provision(platform, plan)

    def release(self) -> None:
        """The test ended: its shared instances go back to the pool."""
        for lease in self._held.values():
            _unlock(lease.descriptor)
        self._held.clear()

    def retire(self, platform: Platform, instance_ids: set[str], owner: str | None = None
               ) -> None:
        """Take these instances out of the pool; ``owner`` (the test) deletes them."""
        for instance_id in instance_ids:
            lease = self._held.pop(instance_id, None)
            local = next((k for k, i in self._local.items() if i.id == instance_id), None)
            if lease is None and local is None:
                continue
            instance = lease.instance if lease else self._local.pop(str(local))
            if self.folder is not None:
                self._record_path(instance.plan, instance.id).unlink(missing_ok=True)
            if self._created.pop(instance.id, None) is not None:
                platform.ledger.hand_over(instance.id, owner or platform.owner)
            else:  # another process keeps it: this one takes it over (its keeper lets go)
                platform.take_over(instance.plan, instance.id, owner or platform.owner)
            if lease is not None:
                _unlock(lease.descriptor)

    def adopt(self, platform: Platform, plan: Plan, body: dict[str, Any]) -> Instance | None:
        """A free instance of ``plan`` provisioned with ``body``, taken out of the pool for
        good: the test owns it and may change or delete it. None when there is none free."""
        self._wanted.add(_canonical(body))  # later tests of this process give such ones on
        instance = self._lease_free(plan, body)
        if instance is None:
            return None
        self.retire(platform, {instance.id})
        return dataclasses.replace(instance, shared=False)

    def wants(self, platform: Platform, instance: Instance) -> bool:
        """Whether a later check may ask for an instance provisioned as this one was: the
        standard body, or one an adopter of this process asked for."""
        body = instance.body
        return body == platform.provision_body(instance.plan) or _canonical(body) in self._wanted

    def donate(self, platform: Platform, instance: Instance) -> bool:
        """A test leaves ``instance`` as it was provisioned: it joins the pool, and this
        process deletes it at the end. False where the pool takes no more (no run folder and
        the plan already has one): the test deletes it."""
        plan = instance.plan
        shared = dataclasses.replace(instance, shared=True)
        if self.folder is None:
            if plan.id in self._local:
                return False
            self._local[plan.id] = shared
        else:
            _write(self._record_path(plan, instance.id), _record(shared))
        platform.ledger.hand_over(instance.id, SHARED_OWNER)
        self._created[instance.id] = plan
        return True

    def is_shared(self, instance_id: str) -> bool:
        """In the pool now (one another process adopted is not, whoever keeps it)."""
        if instance_id in self._held:
            return True
        if self.folder is None:
            return instance_id in self._created \
                or any(i.id == instance_id for i in self._local.values())
        return any(self.folder.glob(f"*/{_file_name(instance_id)}.json"))

    def idle(self, in_use: set[str]) -> list[Instance]:
        """This process's shared instances no test holds (deleted to make room)."""
        if self.folder is None:
            return [i for i in self._local.values() if i.id not in in_use]
        idle = []
        for instance_id, plan in list(self._created.items()):
            if instance_id in in_use or instance_id in self._held:
                continue
            descriptor = _try_lock(self._lock_path(plan, instance_id))
            if descriptor is None:
                continue  # another process's test holds it
            instance = self._read(plan, instance_id)
            if instance is not None:
                self._held[instance_id] = _Lease(instance, descriptor)
                idle.append(instance)
            else:
                _unlock(descriptor)
        return idle

    # -- the run's end ----------------------------------------------------------------------------
    def close(self, ledger: Ledger) -> None:
        """Before this process deletes the instances it keeps: wait until no test of
        another process holds them, and take them out of the pool. One that another process
        adopted or retired meanwhile is that process's to delete."""
        self.release()
        if self.folder is None:
            return
        for instance_id, plan in self._created.items():
            descriptor = _lock(self._lock_path(plan, instance_id))
            record = self._record_path(plan, instance_id)
            if _keeper(record) == os.getpid():
                record.unlink(missing_ok=True)
            else:
                ledger.let_go(instance_id)
            _unlock(descriptor)

    # -- the pool's files -------------------------------------------------------------------------
    def _lease_free(self, plan: Plan, body: dict[str, Any]) -> Instance | None:
        if self.folder is None:
            instance = self._local.get(plan.id)
            if instance is not None and instance.body == body:
                self._held[instance.id] = _Lease(instance, -1)
            return instance
        for record in sorted(self._plan_folder(plan).glob("*.json")):
            descriptor = _try_lock(record.with_suffix(".lock"))
            if descriptor is None:
                continue  # in use by another test
            instance = self._read_record(plan, record)
            if instance is None or instance.body != body:  # retired meanwhile, or another kind
                _unlock(descriptor)
                continue
            self._held[instance.id] = _Lease(instance, descriptor)
            return instance
        return None

    def _provision(self, platform: Platform, plan: Plan) -> Instance:
        try:
            instance = platform.provision_ready(plan)
        except BrokerError as exc:
            # One failed attempt answers for the plan: the tests after it fail at once with
            # the cause instead of each spending a provisioning on it again.
            self._unavailable.mark(plan.id, f"no shared {plan.label} instance: provisioning "
                                            f"it failed in {platform.owner}: {exc}")
            raise
        platform.ledger.hand_over(instance.id, SHARED_OWNER)
        instance = dataclasses.replace(instance, shared=True)
        self._created[instance.id] = plan
        if self.folder is None:
            self._local[plan.id] = instance
            self._held[instance.id] = _Lease(instance, -1)
            return instance
        # Locked before it is listed: no other test can take it first.
        descriptor = _lock(self._lock_path(plan, instance.id))
        _write(self._record_path(plan, instance.id), _record(instance))
        self._held[instance.id] = _Lease(instance, descriptor)
        return instance

    def _read(self, plan: Plan, instance_id: str) -> Instance | None:
        return self._read_record(plan, self._record_path(plan, instance_id))

    def _read_record(self, plan: Plan, record: Path) -> Instance | None:
        try:
            data = json.loads(record.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return _instance(plan, data)

    def _plan_folder(self, plan: Plan) -> Path:
        assert self.folder is not None
        folder = self.folder / hashlib.sha256(plan.id.encode()).hexdigest()[:16]
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    def _record_path(self, plan: Plan, instance_id: str) -> Path:
        return self._plan_folder(plan) / f"{_file_name(instance_id)}.json"

    def _lock_path(self, plan: Plan, instance_id: str) -> Path:
        return self._plan_folder(plan) / f"{_file_name(instance_id)}.lock"


class SharedInstanceUnavailable(BrokerError):
    """The plan's shared instance could not be provisioned earlier in this run."""


def _record(instance: Instance) -> str:
    response = instance.response
    return json.dumps({
        "keeper": os.getpid(), "id": instance.id, "asynchronous": instance.asynchronous,
        "body": instance.body,
        "status": response.status, "headers": dict(response.headers), "text": response.text,
        "url": response.exchange.url if response.exchange else "",
    })


def _canonical(body: Any) -> str:
    return json.dumps(body, sort_keys=True)


def _file_name(instance_id: str) -> str:
    """An instance id may be anything a broker accepts (fuzzed ids run to kilobytes)."""
    return hashlib.sha256(instance_id.encode()).hexdigest()[:32]


def _keeper(record: Path) -> int | None:
    try:
        return json.loads(record.read_text(encoding="utf-8")).get("keeper")
    except (OSError, ValueError, AttributeError):
        return None


def _instance(plan: Plan, data: dict[str, Any]) -> Instance:
    from .client import BrokerResponse
    from .platform import Instance

    exchange = Exchange(method="PUT", url=data["url"], request_headers={},
                        request_body=json.dumps(data["body"]), status=data["status"],
                        response_headers=data["headers"], response_body=data["text"])
    response = BrokerResponse(data["status"], httpx.Headers(data["headers"]), data["text"],
                              exchange)
    return Instance(data["id"], plan, data["asynchronous"], response, data["body"], shared=True)


def _try_lock(path: Path) -> int | None:
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(descriptor)
        return None
    return descriptor


def _lock(path: Path) -> int:
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT)
    fcntl.flock(descriptor, fcntl.LOCK_EX)
    return descriptor


def _unlock(descriptor: int) -> None:
    if descriptor < 0:
        return
    fcntl.flock(descriptor, fcntl.LOCK_UN)
    os.close(descriptor)


def _write(path: Path, text: str) -> None:
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(text, encoding="utf-8")
    temporary.replace(path)  # readers never see half a record
