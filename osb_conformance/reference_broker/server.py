"""The reference broker as a real HTTP server on 127.0.0.1 (stdlib, threaded)."""

from __future__ import annotations

import json
import ssl
import sys
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from .broker import ReferenceBroker
from .http_types import Request, Response

LOOPBACK = "127.0.0.1"
OWN_PATHS = "/_reference/"  # introspection: neither delayed nor counted as in flight
HANG_LIMIT = 600.0  # seconds a hanging answer holds its connection at most


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: the suite reuses connections
    disable_nagle_algorithm = True  # headers and body go out at once, no 40 ms ACK wait
    server: _Server

    def _handle(self) -> None:
        if self.path.startswith(OWN_PATHS):
            self._serve()
            return
        stats = self.server.broker.stats
        stats.request_started()
        try:
            self._serve()
        finally:
            stats.request_finished()

    def _serve(self) -> None:
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        request = Request(
            method=self.command,
            path=unquote(parts.path),
            query=dict(parse_qsl(parts.query, keep_blank_values=True)),
            headers={k.lower(): v for k, v in self.headers.items()},
            body=body,
        )
        response = self.server.broker.handle(request)
        self._travel()
        self._write(response)

    def _travel(self) -> None:
        """A simulated network distance: each thread sleeps outside the broker's lock, so
        concurrent requests are delayed in parallel."""
        latency = self.server.broker.latency_ms / 1000
        if latency > 0 and not self.path.startswith(OWN_PATHS):
            self.server.stopping.wait(latency)

    def _write(self, response: Response) -> None:
        # Chaos (chaos.py) asks for misbehaviour the broker logic cannot express, by header.
        action = response.headers.pop("X-Reference-Action", None)
        delay = float(response.headers.pop("X-Reference-Delay", 0) or 0)
        if delay and self.server.stopping.wait(delay):
            action = "drop"  # the server is stopping: do not answer late
        if action == "hang":  # never answer; hold the connection until the server stops
            self.server.stopping.wait(HANG_LIMIT)
            action = "drop"
        if action == "drop":  # close the connection without answering
            self.close_connection = True
            return
        payload = response.body if isinstance(response.body, bytes) else json.dumps(
            response.body).encode()
        self.send_response(response.status)
        response.headers.setdefault("Content-Type", "application/json")
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if action == "cut":  # announce the whole body, send half, close
            self.wfile.write(payload[: len(payload) // 2])
            self.close_connection = True
            return
        if self.command != "HEAD":
            self.wfile.write(payload)

    do_GET = do_PUT = do_PATCH = do_DELETE = do_POST = _handle

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass  # quiet: the suite's transcript is the log


@dataclass(frozen=True)
class TLSFiles:
    """Serve HTTPS with this certificate chain and key; with ``client_ca``, require client
    certificates signed by it."""

    certfile: str
    keyfile: str
    client_ca: str | None = None

    def context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.certfile, self.keyfile)
        if self.client_ca:
            context.load_verify_locations(self.client_ca)
            context.verify_mode = ssl.CERT_REQUIRED
        return context


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(
        self, address: tuple[str, int], broker: ReferenceBroker, tls: TLSFiles | None = None
    ) -> None:
        super().__init__(address, _Handler)
        self.broker = broker
        self.stopping = threading.Event()  # releases hanging and delayed answers
        self.scheme = "https" if tls else "http"
        if tls:  # the handshake happens in the request's thread, not in the accept loop
            self.socket = tls.context().wrap_socket(
                self.socket, server_side=True, do_handshake_on_connect=False)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client hanging up or failing the TLS handshake is not the broker's defect.
        if not isinstance(sys.exc_info()[1], (ConnectionError, ssl.SSLError, TimeoutError)):
            super().handle_error(request, client_address)


@dataclass
class RunningBroker:
    """A reference broker serving in a background thread."""

    url: str
    broker: ReferenceBroker
    _server: _Server
    _thread: threading.Thread

    def stop(self) -> None:
        self._server.stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> RunningBroker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def make_server(broker: ReferenceBroker, port: int = 0, tls: TLSFiles | None = None) -> _Server:
    """Bind the broker to 127.0.0.1 (never another address) on ``port`` (0: a free one)."""
    server = _Server((LOOPBACK, port), broker, tls)
    broker.base_url = f"{server.scheme}://{LOOPBACK}:{server.server_address[1]}"
    return server


def serve_in_thread(
    broker: ReferenceBroker | None = None, port: int = 0, tls: TLSFiles | None = None
) -> RunningBroker:
    """Start a reference broker on a free 127.0.0.1 port in a daemon thread (HTTPS with
    ``tls``)."""
    broker = broker or ReferenceBroker()
    server = make_server(broker, port, tls)
    thread = threading.Thread(target=server.serve_forever, name="reference-broker", daemon=True)
    thread.start()
    return RunningBroker(broker.base_url, broker, server, thread)
