"""The bundled reference broker: a compliant OSB v2.17 broker, and its mutants."""

from __future__ import annotations

from .broker import ReferenceBroker
from .server import RunningBroker, serve_in_thread

__all__ = ["ReferenceBroker", "RunningBroker", "serve_in_thread"]
