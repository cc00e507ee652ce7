"""Fixtures the conformance scenarios use (registered only when a broker URL is given)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .attribution_hooks import CALL_OUTCOME_KEY, PLATFORM_KEY, RECORDER_KEY
from .catalog import Catalog, Plan
from .checks import CheckRecorder, Outcome
from .client import OSBClient
from .platform import Platform
from .requirements import load_catalogue
from .run import RUN_KEY, ConformanceRun
from .selection import requirement_ids
from .settings import Settings


def _run(request: pytest.FixtureRequest) -> ConformanceRun:
    return request.config.stash[RUN_KEY]


@pytest.fixture(scope="session")
def osb_settings(request: pytest.FixtureRequest) -> Settings:
    """The run's settings."""
    return _run(request).settings


@pytest.fixture(scope="session")
def osb_catalog(request: pytest.FixtureRequest) -> Catalog:
    """The broker's catalog, fetched once per run."""
    return _run(request).fetch_catalog()


@pytest.fixture
def any_plan(request: pytest.FixtureRequest) -> Plan:
    """The first selected plan, for checks whose outcome does not depend on the plan
    (one run instead of one per plan keeps the suite fast)."""
    plans = _run(request).selected_plans()
    if not plans:
        pytest.skip("N/A: no plan is selected")
    return plans[0]


@pytest.fixture
def any_bindable_plan(request: pytest.FixtureRequest) -> Plan | None:
    """The first selected bindable plan, or None: a broker without bindable plans need not
    implement the binding endpoints (spec #binding), so they are only tried with one."""
    return next((p for p in _run(request).selected_plans() if p.bindable), None)


@pytest.fixture
def osb(request: pytest.FixtureRequest) -> OSBClient:
    """The OSB client (one connection pool per worker; transcript per test)."""
    return _run(request).client


@pytest.fixture
def check(request: pytest.FixtureRequest) -> CheckRecorder:
    """Records this test's checks and grades them by the requirement's level."""
    settings = _run(request).settings
    recorder = CheckRecorder(
        load_catalogue(), requirement_ids(request.node), strict=settings.strict,
        api_version=settings.api_version,
    )
    request.node.stash[RECORDER_KEY] = recorder
    return recorder


@pytest.fixture
def platform(request: pytest.FixtureRequest) -> Iterator[Platform]:
    """The suite acting as a platform; deletes what the test created when it ends."""
    run = _run(request)
    acting = Platform(run.client, run.ledger, request.node.nodeid, run.shared, run.stalled,
                      run.in_flight, run.synchronous)
    request.node.stash[PLATFORM_KEY] = acting
    yield acting
    outcome = request.node.stash.get(CALL_OUTCOME_KEY, Outcome.ERROR)
    # A known deviation is still one: what the test left is not given on.
    acting.finish(test_failed=outcome in (Outcome.FAIL, Outcome.ERROR, Outcome.WARN,
                                          Outcome.KNOWN))
