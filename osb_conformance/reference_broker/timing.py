"""How long the reference broker takes: time-based operations and ``Retry-After``.

By default an asynchronous operation finishes after a number of polls (fast and
deterministic for the project's tests). With ``async_seconds`` it finishes that many seconds
after it started, whatever the number of polls, so slow brokers can be simulated.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

OPERATION_KINDS = ("provision", "update", "deprovision", "bind", "unbind")
ALL_KINDS = "*"  # the key of a duration that applies to every kind not named


def parse_async_seconds(text: str) -> dict[str, float]:
    """``"5"`` (every kind), ``"provision=5,bind=1"`` or ``"2,bind=0.5"`` (2 s, bind 0.5 s).

    Kinds not named and without a plain number keep finishing after a number of polls.
    """
    durations: dict[str, float] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        kind, _, value = item.rpartition("=")
        kind = kind.strip() or ALL_KINDS
        if kind != ALL_KINDS and kind not in OPERATION_KINDS:
            raise ValueError(f"unknown operation kind {kind!r}; use {', '.join(OPERATION_KINDS)}")
        seconds = float(value)
        if not math.isfinite(seconds) or seconds < 0:
            raise ValueError(f"{item!r}: seconds must be a number >= 0")
        durations[kind] = seconds
    if not durations:
        raise ValueError("no duration given")
    return durations


def seconds_for(durations: Mapping[str, float] | float | None, kind: str) -> float | None:
    """How long an operation of ``kind`` takes, or None: it finishes after its polls."""
    if durations is None:
        return None
    if isinstance(durations, (int, float)):
        return float(durations)
    return durations.get(kind, durations.get(ALL_KINDS))


def retry_after_header(seconds: float) -> str:
    """``Retry-After`` is a whole number of seconds (RFC 9110): round up, never below 0."""
    return str(max(0, math.ceil(seconds)))
