"""At most N requests in flight against the broker at once, across all xdist workers.

``--osb-concurrency N`` runs up to N tests at a time; cleanup at the end of a run deletes
concurrently too. Each request takes one of N slots for the time it is in flight, so the
broker never has more than N of the suite's requests at once, whatever runs them. A slot
is a lock file in the run's folder (``flock``: released by the kernel if a process dies).
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

_RETRY_PAUSE = 0.005  # seconds between two rounds over the slots


class RequestSlots:
    def __init__(self, folder: Path | None, count: int) -> None:
        self.folder = folder
        self.count = max(1, count)

    @contextmanager
    def held(self) -> Iterator[None]:
        """Hold one slot while the block runs (without a folder: no bound)."""
        if self.folder is None:
            yield
            return
        descriptor = self._acquire()
        try:
            yield
        finally:
            fcntl.flock(descriptor, fcntl.LOCK_UN)
            os.close(descriptor)

    def _acquire(self) -> int:
        assert self.folder is not None
        while True:
            for index in range(self.count):
                # A descriptor of its own per holder: flock locks belong to the open file,
                # so two threads of one process must not share one.
                descriptor = os.open(self.folder / f"slot-{index}", os.O_RDWR | os.O_CREAT)
                try:
                    fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    return descriptor
                except BlockingIOError:
                    os.close(descriptor)
            time.sleep(_RETRY_PAUSE)
