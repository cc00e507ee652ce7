"""What keeps a run cheap, checked by counting (never by timing; figures are in benchmarks/).

- one HTTP connection pool per run: the requests of a serial run share one connection;
- the catalog is fetched once per session: scenarios that do not test the catalog itself
  never ask for it again;
- redaction does not slow down as a run learns secrets: with many known literals it only
  tries those that can occur in the text (and must still remove every one of them).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest

from osb_conformance.redaction import REDACTED, Redactor
from osb_conformance.reference_broker import RunningBroker
from tests.suite_runner import run_suite_inprocess

# Provisioning and deprovisioning on both plans: many requests, no catalog check among them.
SELECTION = "--osb-requirements=PROV-001,PROV-002,DEP-001,DEP-004"


def _counting(running: RunningBroker) -> tuple[list[Any], Counter[str]]:
    """Count the connections the server accepts and the routes the broker serves."""
    connections: list[Any] = []
    routes: Counter[str] = Counter()
    server = running._server
    accept = server.process_request
    handle = running.broker.handle

    def counted_accept(request: Any, client_address: Any) -> None:
        connections.append(client_address)
        accept(request, client_address)

    def counted_handle(request: Any) -> Any:
        response = handle(request)
        routes[request.route or request.path] += 1
        return response

    server.process_request = counted_accept  # type: ignore[method-assign]
    running.broker.handle = counted_handle  # type: ignore[method-assign]
    return connections, routes


def test_a_run_reuses_one_connection_and_fetches_the_catalog_once(
    start_broker: Callable[..., RunningBroker], pytester: pytest.Pytester
) -> None:
    running = start_broker()
    connections, routes = _counting(running)
    run = run_suite_inprocess(pytester, running.url, SELECTION)
    assert run.exit_code == 0, run.output
    requests = sum(routes.values())
    assert requests >= 20, routes  # enough traffic for reuse to matter
    # One pool: one connection, plus at most one reconnect when collection keeps the pool
    # idle past httpx's keep-alive expiry (5 s) after the session's catalog fetch.
    assert len(connections) <= 2, f"{len(connections)} connections for {requests} requests"
    assert routes["catalog"] == 1, routes


@pytest.mark.parametrize("known", [3, 5000], ids=["few-literals", "many-literals"])
def test_every_known_literal_is_redacted_however_many_are_known(known: int) -> None:
    literals = [f"secret-{n:05d}-{'x' * (n % 7)}" for n in range(known)]
    redactor = Redactor(literals)
    redactor.add_literals(["pass", "password-long"])  # overlapping: the longer one first
    text = " | ".join([literals[0], literals[-1], "password-long", "passes", "innocent"])
    redacted = redactor.redact_text(text)
    assert literals[0] not in redacted and literals[-1] not in redacted
    # A value shorter than 8 characters only as a whole token (redaction.py): "pass" inside
    # "passes" is another word, not the secret.
    assert redacted.split(" | ")[2:] == [REDACTED, "passes", "innocent"]
