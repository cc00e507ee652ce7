"""Which instances this process has sent a request that may have changed them.

An instance a test leaves as it was provisioned can serve later checks instead of being
deleted (see shared_instances.py). Whether it is still as provisioned is judged from the
requests sent and the status of their answers: an update or a delete, or a provision whose
body differs from the first one sent for the id, counts as a change unless the broker
refused it with a 4xx (no answer, a 5xx or a success may have changed it). Only a test
that passed gives an instance on, so the refusals were the ones the spec asks for.
"""

from __future__ import annotations

import re
import threading
from urllib.parse import unquote, urlsplit

# /v2/service_instances/<id> itself; binding routes and last_operation do not change it.
_INSTANCE_PATH = re.compile(r"/v2/service_instances/([^/]+)$")


class InstanceChanges:
    """Requests seen per instance id (one client's, so one process's)."""

    def __init__(self) -> None:
        self._changed: set[str] = set()
        self._first_provision: dict[str, bytes | None] = {}
        self._lock = threading.Lock()  # cleanup sends from several threads

    def note(self, method: str, url: str, body: bytes | None, status: int | None) -> None:
        """A request was sent; ``status`` is its answer's (None: no complete answer)."""
        found = _INSTANCE_PATH.search(urlsplit(url).path)
        if found is None:
            return
        instance_id = unquote(found[1])
        with self._lock:
            if method == "PUT":
                first = self._first_provision.setdefault(instance_id, body)
                if body == first:
                    return  # the creation, or an identical re-send of it
            refused = status is not None and 400 <= status < 500
            if method in ("PUT", "PATCH", "DELETE") and not refused:
                self._changed.add(instance_id)

    def as_provisioned(self, instance_id: str) -> bool:
        """No request that may change the instance was sent since its provision."""
        with self._lock:
            return instance_id not in self._changed
