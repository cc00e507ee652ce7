"""The suite's overhead: the full suite vs a bare httpx loop sending the same requests.

    python benchmarks/overhead.py [SUITE OPTIONS]    (e.g. --osb-poll-interval=0.2)

1. Serve a reference broker; run the whole suite against it (pytest subprocess, defaults).
2. Take every request the suite sent, in order, as recorded by the benchmark probe in the
   transcript format (``Exchange.redacted``). The JSON report's transcripts hold only part of
   them: not the session's catalog fetch and final cleanup, nor the fuzzers' passing
   examples; both counts are printed.
3. Serve a fresh reference broker; send the same requests in the same order with one plain
   ``httpx.Client`` (and once more with a new connection per request), timing the loop.

The transcripts are redacted, so credentials and the originating identity are put back;
requests that were sent with wrong credentials on purpose are replayed with the right ones
(their answers differ, counted as "status differs").
"""

from __future__ import annotations

import base64
import json
import sys
from collections import Counter
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import httpx
from benchlib import (
    PASSWORD,
    USERNAME,
    Stopwatch,
    SuiteRun,
    machine,
    reference_broker,
    run_suite,
    table,
)

REDACTED = "[REDACTED]"
REPEATS = 3  # replays are cheap: take the best of a few


def replay(exchanges: list[dict[str, Any]], base_url: str, *, keep_alive: bool) -> dict[str, Any]:
    """Send the recorded requests to ``base_url``; time it and compare the statuses.

    Operation values are the broker's own (fresh ones on this broker), so each recorded
    value is mapped to the one the replayed answer carried before it is sent back.
    """
    requests = [_request(e, base_url) for e in exchanges]
    operations: dict[str, str] = {}
    differs: Counter[str] = Counter()
    errors = 0
    limits = httpx.Limits() if keep_alive else httpx.Limits(max_keepalive_connections=0)
    with httpx.Client(timeout=10, follow_redirects=False, limits=limits) as client, \
            Stopwatch() as watch:
        for exchange, (method, url, headers, body) in zip(exchanges, requests, strict=True):
            for recorded, fresh in operations.items():
                url = url.replace(f"operation={quote(recorded, safe='')}",
                                  f"operation={quote(fresh, safe='')}")
            try:
                response = client.request(method, url, headers=headers, content=body)
            except httpx.HTTPError:
                errors += 1
                continue
            recorded_operation = _operation(exchange.get("response_body"))
            if recorded_operation:
                operations[recorded_operation] = _operation(response.text) or recorded_operation
            if response.status_code != exchange["status"]:
                differs[f"{method} {_route(url)} {exchange['status']}->{response.status_code}"] \
                    += 1
    return {"seconds": watch.seconds, "differs": differs, "errors": errors}


def _operation(body: str | None) -> str | None:
    try:
        data = json.loads(body or "")
    except ValueError:
        return None
    value = data.get("operation") if isinstance(data, dict) else None
    return value if isinstance(value, str) else None


def best_of(repeats: int, exchanges: list[dict[str, Any]], *,
            keep_alive: bool) -> tuple[dict[str, Any], int]:
    """The fastest of several replays, each against a fresh broker (the machine is shared)."""
    best: dict[str, Any] | None = None
    connections = 0
    for _ in range(repeats):
        with reference_broker() as served:
            result = replay(exchanges, served.url, keep_alive=keep_alive)
            if best is None or result["seconds"] < best["seconds"]:
                best, connections = result, len(served.connections)
    assert best is not None
    return best, connections


def _request(exchange: dict[str, Any], base_url: str) -> tuple[str, str, dict[str, str], Any]:
    target = urlsplit(base_url)
    url = urlunsplit(urlsplit(exchange["url"])._replace(scheme=target.scheme,
                                                       netloc=target.netloc))
    headers = {}
    for name, value in exchange["request_headers"].items():
        lowered = name.lower()
        if lowered == "authorization" and REDACTED in str(value):
            value = "Basic " + base64.b64encode(f"{USERNAME}:{PASSWORD}".encode()).decode()
        elif lowered == "x-broker-api-originating-identity" and REDACTED in str(value):
            identity = json.dumps({"user_id": "683ea748-3092-4ff4-b656-39cacc4d5360"})
            value = "cloudfoundry " + base64.b64encode(identity.encode()).decode()
        headers[name] = str(value)
    body = exchange["request_body"]
    return exchange["method"], url, headers, body.encode() if body is not None else None


def _route(url: str) -> str:
    parts = urlsplit(url).path.split("/")
    return "/".join(":id" if len(p) >= 32 else p for p in parts)


def main(options: list[str]) -> None:
    print(f"# overhead: suite vs bare httpx ({machine()}) {' '.join(options)}\n")
    with reference_broker() as served:
        suite: SuiteRun = run_suite(served.url, *options)
        suite.check_clean()
        suite_connections, suite_requests = len(served.connections), served.broker.requests_served
    exchanges = [e for e in suite.sent if e.get("status") is not None]
    pooled, pooled_connections = best_of(REPEATS, exchanges, keep_alive=True)
    fresh, _ = best_of(REPEATS, exchanges, keep_alive=False)
    in_http = sum(e["duration_ms"] for e in exchanges) / 1000
    in_tests = sum(r["duration"] for r in suite.report["results"])
    session = suite.session or suite.wall
    print(table(["measure", "seconds", "x bare loop"], [
        [f"bare httpx loop, one Client (pooled), best of {REPEATS}", pooled["seconds"], 1.0],
        [f"bare httpx loop, keep-alive off, best of {REPEATS}", fresh["seconds"],
         fresh["seconds"] / pooled["seconds"]],
        ["suite: time inside HTTP exchanges (client-side)", in_http, in_http / pooled["seconds"]],
        ["suite: sum of test durations (setup+call+teardown)", in_tests,
         in_tests / pooled["seconds"]],
        ["suite: polling pauses (sleep)", suite.waited, suite.waited / pooled["seconds"]],
        ["suite: pytest session (its 'in N s')", session, session / pooled["seconds"]],
        ["suite: pytest session minus polling pauses", session - suite.waited,
         (session - suite.waited) / pooled["seconds"]],
        ["suite: process wall time (start to exit)", suite.wall,
         suite.wall / pooled["seconds"]],
    ]))
    print()
    print(table(["count", "suite", "bare loop"], [
        ["tests", suite.tests, "-"],
        ["requests sent (replayed: those answered)", len(suite.sent), len(exchanges)],
        ["requests kept in the report's transcripts", len(suite.transcripts), "-"],
        ["requests the broker served", suite_requests, len(exchanges)],
        ["TCP connections the broker accepted", suite_connections, pooled_connections],
        ["polling loops / their requests", f"{len(suite.polls)} / "
         f"{sum(p['requests'] for p in suite.polls)}", "-"],
    ]))
    mismatches = sum(pooled["differs"].values())
    print(f"\nreplayed answers whose status differs from the suite's: {mismatches}"
          f" (transport errors: {pooled['errors']})")
    for what, count in pooled["differs"].most_common(8):
        print(f"  {count:3d} x {what}")
    print(f"\nRATIO suite session / bare loop: {session / pooled['seconds']:.1f}x; "
          f"without polling pauses: {(session - suite.waited) / pooled['seconds']:.1f}x; "
          f"process wall / bare loop: {suite.wall / pooled['seconds']:.1f}x")


if __name__ == "__main__":
    main(sys.argv[1:])
