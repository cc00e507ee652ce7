"""A pytest plugin for benchmark runs only: records polling loops and every request.

Loaded with ``-p osbc_bench_probe`` (``benchmarks/probe/`` on PYTHONPATH) and told where to
write by ``OSBC_BENCH_PROBE``; each process (xdist worker or not) writes its own files.
Requests are recorded redacted (``Exchange.redacted``), like the report's transcripts, but
all of them: transcripts leave out the session's start and end and the fuzzers' passing
examples.
"""

from __future__ import annotations

import json
import os
from typing import Any

import pytest

from osb_conformance import polling
from osb_conformance.client import OSBClient

_polls: list[dict[str, Any]] = []
_exchanges: list[dict[str, Any]] = []


def _recording_poll(poll: Any) -> Any:
    def wrapper(*args: Any, **kwargs: Any) -> polling.PollResult:
        result = poll(*args, **kwargs)
        _polls.append({"waited": result.waited, "asked_to_wait": result.asked_to_wait,
                       "requests": len(result.responses), "state": result.state,
                       "timed_out": result.timed_out})
        return result
    return wrapper


def _recording_send(send: Any) -> Any:
    def wrapper(self: OSBClient, method: str, url: str, headers: dict[str, str],
                body: bytes | None) -> Any:
        count = len(self.exchanges)
        try:
            return send(self, method, url, headers, body)
        finally:
            if len(self.exchanges) > count:
                _exchanges.append(self.exchanges[count].redacted())
    return wrapper


def pytest_configure(config: pytest.Config) -> None:
    # poll_instance and poll_binding look _poll up at call time: one patch sees every loop
    polling._poll = _recording_poll(polling._poll)  # type: ignore[attr-defined]
    OSBClient._send = _recording_send(OSBClient._send)  # type: ignore[method-assign]


def pytest_unconfigure(config: pytest.Config) -> None:
    target = os.environ.get("OSBC_BENCH_PROBE")
    if not target:
        return
    worker = getattr(config, "workerinput", {}).get("workerid", "main")
    for kind, records in (("polls", _polls), ("exchanges", _exchanges)):
        with open(f"{target}-{kind}-{worker}.json", "w", encoding="utf-8") as out:
            json.dump(records, out)
