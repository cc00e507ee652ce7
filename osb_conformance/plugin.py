"""The pytest plugin's entry point (``pytest11``): options, and switching the run on.

Without ``--broker-url`` the plugin stays dormant, so ``pytest`` in this repository
runs the project's own tests. With it, the run collects the bundled conformance
scenarios, and only them. ``OSB_BROKER_URL`` counts only when no test paths were given.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# Everything the run uses is imported here, at plugin load, once: a lazy import inside a
# hook would be re-imported by nested in-process runs (pytester) and split the state keys.
from . import fixtures
from .attribution_hooks import AttributionHooks
from .cleanup_hooks import CleanupHooks
from .collection_hooks import CollectionHooks
from .concurrency import start_workers
from .options import add_options
from .reliability_hooks import ReliabilityHooks
from .reporting.certification import Certification
from .reporting.cost import CostHooks
from .reporting.hooks import ReportHooks
from .reporting.html import HtmlReport, html_report_active
from .run import RUN_KEY, ConformanceRun, start_run
from .signals import SignalHooks

MARKER = "requirement(*ids): the OSB requirement IDs a conformance check verifies"
PROVISIONS_MARKER = ("provisions: the check provisions instances as its subject; it runs "
                     "early, so that those it leaves as provisioned serve later checks")
ADOPTS_MARKER = ("adopts: the check changes or deletes an instance it takes from those "
                 "earlier checks left as provisioned; it runs late")


def pytest_addoption(parser: pytest.Parser) -> None:
    add_options(parser)


@pytest.hookimpl(tryfirst=True)
def pytest_cmdline_main(config: pytest.Config) -> None:
    # Before any plugin is configured: certification points the HTML and JUnit reports
    # at its bundle, and refuses selections before anything runs.
    certification = Certification.prepare(config)
    if certification is not None:
        config.pluginmanager.register(certification, "osb-conformance-certification")
    broker_url = config.getoption("--broker-url") or os.environ.get("OSB_BROKER_URL")
    if broker_url:
        start_workers(config, broker_url)  # before xdist reads its options


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", MARKER)
    config.addinivalue_line("markers", PROVISIONS_MARKER)
    config.addinivalue_line("markers", ADOPTS_MARKER)
    broker_url = broker_url_for(config)
    if not broker_url:
        return
    run = start_run(config, broker_url)
    config.stash[RUN_KEY] = run
    run.cleanup = CleanupHooks(run, config)
    for name, hooks in (("collection", CollectionHooks(run)),
                        ("attribution", AttributionHooks(run)),
                        ("signals", SignalHooks(config)),
                        ("cleanup", run.cleanup),
                        ("reports", ReportHooks(run, config)),
                        ("cost", CostHooks(run, config)),
                        ("reliability", ReliabilityHooks(run, config)),
                        ("fixtures", fixtures)):
        config.pluginmanager.register(hooks, f"osb-conformance-{name}")
    if html_report_active(config):  # pytest-html's hooks exist only with its plugin
        config.pluginmanager.register(HtmlReport(run), "osb-conformance-html")
    config.args = [str(Path(__file__).parent / "scenarios")]


def broker_url_for(config: pytest.Config) -> str | None:
    """The broker to test, or None: the plugin stays dormant.

    ``--broker-url`` always makes a conformance run. ``OSB_BROKER_URL`` only does when
    pytest was given no test paths: ``pytest test_mine.py`` in a shell that exports it
    runs ``test_mine.py``, not the suite (and says so).
    """
    given = config.getoption("--broker-url")
    if given:
        return given
    from_env = os.environ.get("OSB_BROKER_URL")
    if from_env and config.args_source == pytest.Config.ArgsSource.ARGS:
        config.issue_config_time_warning(UserWarning(
            f"osb-conformance: OSB_BROKER_URL is set, but pytest was given test paths "
            f"({' '.join(config.args)}): running those, not the conformance suite; pass "
            f"--broker-url to run the suite"), stacklevel=2)
        return None
    return from_env


def pytest_unconfigure(config: pytest.Config) -> None:
    run: ConformanceRun | None = config.stash.get(RUN_KEY, None)
    if run is not None:
        run.close()
