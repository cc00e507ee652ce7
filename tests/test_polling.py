"""Polling last_operation: Retry-After, 410 rules and the bound, with a scripted broker."""

from __future__ import annotations

import httpx
import pytest

from osb_conformance.client import BrokerResponse
from osb_conformance.polling import (
    MAX_ERRORS_IN_A_ROW,
    _poll,
    polling_limit,
    retry_after_seconds,
)
from osb_conformance.transcript import Exchange


def _answer(status: int, state: str | None = None, retry_after: str | None = None
            ) -> BrokerResponse:
    headers = httpx.Headers({"Retry-After": retry_after} if retry_after else {})
    text = f'{{"state": "{state}"}}' if state else "{}"
    return BrokerResponse(status, headers, text, Exchange("GET", "u", {}, None))


def _run(answers: list[BrokerResponse], limit: float = 30, deleting: bool = False):  # type: ignore[no-untyped-def]
    script = iter(answers)
    sleeps: list[float] = []
    result = _poll(lambda: next(script), 0.2, limit, deleting, sleeps.append)
    return result, sleeps


@pytest.mark.platform_obligation("LOI-008C", "LOB-004C")
def test_waits_what_retry_after_asks() -> None:
    result, sleeps = _run([_answer(200, "in progress", "3"), _answer(200, "in progress", "1"),
                           _answer(200, "succeeded")])
    assert result.state == "succeeded"
    assert sleeps == [3.0, 1.0]
    assert result.asked_to_wait == 4.0


def test_backs_off_from_a_small_default_without_retry_after() -> None:
    result, sleeps = _run([_answer(200, "in progress")] * 4 + [_answer(200, "failed")])
    assert result.state == "failed"
    assert sleeps == pytest.approx([0.2, 0.3, 0.45, 0.675])


@pytest.mark.platform_obligation("LOI-007C", "LOB-003C")
def test_410_while_deleting_is_success() -> None:
    result, _ = _run([_answer(200, "in progress"), _answer(410)], deleting=True)
    assert result.state == "gone" and result.succeeded


def test_410_while_creating_keeps_polling() -> None:
    result, _ = _run([_answer(410), _answer(200, "succeeded")])
    assert result.state == "succeeded"
    assert [r.status for r in result.responses] == [410, 200]


@pytest.mark.platform_obligation("LOI-010A", "LOI-010B")
def test_stops_at_the_bound_and_does_not_count_it_as_success() -> None:
    result, sleeps = _run([_answer(200, "in progress", "5")] * 100, limit=0)
    assert result.timed_out and not result.succeeded and result.state is None
    assert len(result.responses) == 1 and sleeps == []


def test_polling_limit_is_the_smaller_bound() -> None:
    assert polling_limit(30, 60.0) == 30
    assert polling_limit(None, 60.0) == 60.0
    assert polling_limit(0, 60.0) == 60.0


def test_retry_after_accepts_delta_seconds_and_http_dates() -> None:
    assert retry_after_seconds(_answer(200, retry_after="7")) == 7.0
    assert retry_after_seconds(_answer(200, retry_after="Wed, 21 Oct 2015 07:28:00 GMT")) == 0.0
    assert retry_after_seconds(_answer(200, retry_after="soon")) is None


def test_one_transient_error_is_polled_past() -> None:
    """Platforms SHOULD keep polling past an error answer (issue 11: one 503 failed LOI-001)."""
    result, _ = _run([_answer(200, "in progress"), _answer(503), _answer(200, "succeeded")])
    assert result.state == "succeeded"
    assert [r.status for r in result.transient] == [503]
    assert [r.status for r in result.responses] == [200, 503, 200]


def test_a_persistent_error_ends_polling_and_is_left_to_judge() -> None:
    result, _ = _run([_answer(503) for _ in range(10)])
    assert result.state is None and not result.succeeded
    assert len(result.responses) == MAX_ERRORS_IN_A_ROW
    assert result.last is not None and result.last.status == 503
    assert all(r is not result.last for r in result.transient)


def test_defined_error_answers_end_polling_at_once() -> None:
    result, _ = _run([_answer(404), _answer(200, "succeeded")])
    assert result.state is None and [r.status for r in result.responses] == [404]
    assert result.transient == []
