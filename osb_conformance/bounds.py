"""The time bounds a run keeps, computed from its settings (docs/reliability.md).

Each is an upper bound on wall-clock time, not an estimate: the self-tests check runs
against misbehaving brokers end within them.
"""

from __future__ import annotations

from .cleanup import ATTEMPTS
from .client import request_bound
from .settings import Settings

STARTUP_ALLOWANCE = 15.0  # interpreter, pytest and plugin start-up, report writing


def request_seconds(settings: Settings) -> float:
    """One request: each read within ``--osb-timeout``, the whole body within this."""
    return request_bound(settings.timeout)


def poll_loop_seconds(settings: Settings) -> float:
    """One polling loop: it stops at ``--osb-poll-timeout``, plus the poll in flight."""
    return settings.poll_timeout + request_seconds(settings)


def test_seconds(settings: Settings) -> float:
    """One test's setup and call: the watchdog sends nothing after ``--osb-test-timeout``;
    the request in flight ends within its own bound, or a pause between polls within the
    polling bound."""
    return settings.test_timeout + request_seconds(settings) + settings.poll_timeout


def cleanup_seconds_per_resource(settings: Settings) -> float:
    """Deleting one resource: its ATTEMPTS deletes and their polls share one polling
    bound; the request in flight when it runs out ends within its own bound."""
    return settings.poll_timeout + (ATTEMPTS + 1) * request_seconds(settings)


def catalog_failure_seconds(settings: Settings) -> float:
    """A broker that answers nothing at all: the catalog request fails, the run stops."""
    return request_seconds(settings) + STARTUP_ALLOWANCE


def run_seconds(settings: Settings, tests: int, resources: int) -> float:
    """A whole run of ``tests`` tests creating ``resources`` instances and bindings: each
    resource may be tried at its test's end and once more at the session's end."""
    return (STARTUP_ALLOWANCE + request_seconds(settings) + tests * test_seconds(settings)
            + 2 * resources * cleanup_seconds_per_resource(settings))
