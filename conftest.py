"""Development fixtures for the project's own tests (the plugin itself registers through
its ``pytest11`` entry point, never here)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from osb_conformance.reference_broker import ReferenceBroker, RunningBroker, serve_in_thread
from osb_conformance.reference_broker.chaos import make_chaos
from osb_conformance.reference_broker.mutants import MUTANTS

# The suite runs nested here hundreds of times against brokers that answer at once: one test
# at a time, unless a test asks for --osb-concurrency itself (xdist workers for every nested
# run would cost far more than they save). Subprocesses inherit it.
os.environ.setdefault("OSB_CONCURRENCY", "1")


@pytest.fixture
def start_broker() -> Iterator[Callable[..., RunningBroker]]:
    """Start reference brokers (optionally a mutant or a chaos mode, optionally over TLS)
    on free 127.0.0.1 ports."""
    running: list[RunningBroker] = []

    def start(mutant: str | None = None, chaos: str | None = None, tls: Any = None,
              **options: Any) -> RunningBroker:
        broker = ReferenceBroker(mutant=MUTANTS[mutant] if mutant else None,
                                 chaos=make_chaos(chaos) if chaos else None, **options)
        handle = serve_in_thread(broker, tls=tls)
        running.append(handle)
        return handle

    yield start
    for handle in running:
        handle.stop()


@pytest.fixture
def reference_broker(start_broker: Callable[..., RunningBroker]) -> RunningBroker:
    """A compliant reference broker (user admin, password secret)."""
    return start_broker()
