"""What the run is waiting on right now, for the terminal during long waits.

Each process writes one small file per polling loop into the run's folder (so the xdist
controller sees its workers' waits); the controller prints a plain line per wait every
so often: readable in a CI log, no carriage-return redraws.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

SHOW_AFTER = 10.0  # a wait shorter than this is not worth a line
EVERY = 30.0  # seconds between two progress reports


class InFlight:
    """This process's waits on the broker."""

    def __init__(self, folder: Path | None, on_pause: Callable[[float], None]) -> None:
        self.folder = folder
        self.on_pause = on_pause  # counts the pause (run_stats)
        self._count = 0

    @contextmanager
    def waiting(self, what: str) -> Iterator[Callable[[float], None]]:
        """While polling ``what``: yields the sleep function the polling loop uses."""
        self._count += 1
        path = self.folder / f"inflight-{os.getpid()}-{self._count}.json" \
            if self.folder is not None else None
        started = time.time()

        def sleep(seconds: float) -> None:
            self.on_pause(seconds)
            if path is not None:
                _write(path, {"what": what, "since": started, "next_poll_in": seconds,
                              "polled_at": time.time()})
            time.sleep(seconds)

        try:
            yield sleep
        finally:
            if path is not None:
                path.unlink(missing_ok=True)


def waits(folder: Path, now: float | None = None) -> list[str]:
    """One line per wait that has lasted at least SHOW_AFTER seconds, longest first."""
    now = time.time() if now is None else now
    found = []
    for path in folder.glob("inflight-*.json"):
        try:
            wait = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue  # ended (or being written) just now
        if now - wait["since"] >= SHOW_AFTER:
            found.append(wait)
    found.sort(key=lambda w: w["since"])
    return [f"  {w['what']}: waiting {now - w['since']:.0f}s so far, next poll "
            f"{w['next_poll_in']:g}s after the last (Retry-After or back-off)" for w in found]


class ProgressReporter:
    """A thread on the controller that reports long waits every EVERY seconds."""

    def __init__(self, folder: Path, write_line: Callable[[str], Any],
                 every: float = EVERY) -> None:
        self.folder = folder
        self.write_line = write_line
        self.every = every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="osb-in-flight", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=2)

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            lines = waits(self.folder)
            if lines:
                self.write_line(f"osb-conformance: waiting on the broker for {len(lines)} "
                                f"operation(s):\n" + "\n".join(lines))


def _write(path: Path, data: dict[str, Any]) -> None:
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(data), encoding="utf-8")
    temporary.replace(path)  # readers never see half a file
