"""Exceptions that end a check: broker misbehaviour versus defects of the suite itself."""

from __future__ import annotations

from typing import Any


class BrokerError(Exception):
    """The broker could not be talked to, or answered something unusable.

    A check that meets one fails (it is the broker's fault), with the transcript,
    never as an internal error of the suite.
    """

    def __init__(self, message: str, exchange: Any = None) -> None:
        super().__init__(message)
        self.exchange = exchange


class BrokerTransportError(BrokerError):
    """Connection refused or reset, timeout, TLS failure, a truncated response."""


class BrokerTimeout(BrokerTransportError):
    """No complete answer within the request's timeout, or the test's time bound ran out."""


class TimeBoundSpent(BrokerTimeout):
    """Not sent: the test used up its time bound (--osb-test-timeout). It ends the test,
    whatever a scenario does with other transport failures."""


class BrokerResponseError(BrokerError):
    """The response cannot be used: not JSON, not an object, wrong shape."""


class ConformanceFailure(AssertionError):
    """A requirement was violated at a level that fails the check (MUST, or SHOULD in strict)."""

    def __init__(self, finding: Any) -> None:
        super().__init__(finding.describe())
        self.finding = finding


class SuiteError(Exception):
    """A defect of the suite itself (e.g. a check naming a requirement it did not declare)."""


class CatalogUnavailable(Exception):
    """The broker's catalog cannot be fetched or parsed; no scenario can be derived."""
