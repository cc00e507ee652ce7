"""One conformance run: its settings, client, catalog, ledger and embedded broker."""

from __future__ import annotations

import dataclasses
import hashlib
import os
import secrets
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from .catalog import Catalog, Plan
from .client import OSBClient
from .concurrency import run_concurrency
from .errors import BrokerError, CatalogUnavailable
from .in_flight import InFlight
from .known_deviations import InvalidKnownDeviations, KnownDeviations, load_known_deviations
from .ledger import Ledger
from .options import build_settings
from .redaction import REDACTOR
from .reference_broker import ReferenceBroker, serve_in_thread
from .reporting.known import stale_fails_run, verdict_note
from .reporting.results import (
    EXIT_BROKER_FAILURE,
    EXIT_CONFORMANT,
    ResultCollector,
    Verdict,
    verdict,
)
from .request_slots import RequestSlots
from .selection import selected_plans
from .settings import Settings
from .shared_instances import SharedInstances
from .stalled_plans import StalledPlans
from .synchronous_plans import SynchronousPlans
from .tls import INSECURE_WARNING

RUN_KEY = pytest.StashKey["ConformanceRun"]()
REFERENCE = "reference"
EMBEDDED_POLL_INTERVAL = 0.05


@dataclass
class ConformanceRun:
    settings: Settings
    client: OSBClient
    ledger: Ledger = field(default_factory=Ledger)
    catalog: Catalog | None = None
    catalog_digest: str | None = None
    embedded: Any = None  # the reference broker this process started, if any
    config: Any = None  # the pytest config of this process
    results: ResultCollector = field(default_factory=ResultCollector)
    leftovers: list[dict[str, Any]] = field(default_factory=list)  # what cleanup could not delete
    cleanup: Any = None  # the CleanupHooks that delete what the run created
    # The run's folder, shared by the controller and its xdist workers (stalled plans).
    folder: Path | None = None
    owns_folder: bool = False  # this process made it and removes it
    shared: SharedInstances = field(default_factory=SharedInstances)
    stalled: StalledPlans = field(default_factory=lambda: StalledPlans(None))
    synchronous: SynchronousPlans = field(default_factory=lambda: SynchronousPlans(None))
    in_flight: Any = None  # InFlight: this process's waits, shown during long runs
    started: float | None = None  # time.monotonic() at the session's start
    usage_error: bool = False  # refused before any test ran: no verdict
    known: KnownDeviations | None = None  # --osb-known-deviations

    def fetch_catalog(self) -> Catalog:
        """Fetch the catalog once per run; stop the run with one clear error if it fails."""
        if self.catalog is None:
            self.catalog = load_catalog(self.client)
            self.catalog_digest = digest(self.client.exchanges[-1].response_body or "")
            self.client.take_exchanges()
        return self.catalog

    def selected_plans(self) -> list[Plan]:
        """The catalog's plans this run tests (``--osb-services``, ``--osb-plans``, config)."""
        return selected_plans(self.fetch_catalog(), self.settings.run_config)

    def verdict(self) -> Verdict:
        """The run's verdict, coverage and exit code (certification asks for more; a
        known-deviations file adds its note, and stale entries under --osb-strict-known
        fail a run that would pass)."""
        decided = verdict(self.results, self.settings.api_version, certify=self.settings.certify)
        if self.known is None:
            return decided
        code = decided.exit_code
        if code == EXIT_CONFORMANT and stale_fails_run(self):
            code = EXIT_BROKER_FAILURE
        return dataclasses.replace(decided, note=verdict_note(self), exit_code=code)

    def close(self) -> None:
        self.client.close()
        if self.owns_folder and self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
        if self.embedded is not None:
            self.embedded.stop()
            self.embedded = None


def start_run(config: pytest.Config, broker_url: str) -> ConformanceRun:
    """Make the run's state; start the embedded reference broker if asked for."""
    embedded = None
    overrides: dict[str, Any] = {}
    if broker_url == REFERENCE:
        broker_url, overrides, embedded = _reference_broker(config)
    settings = build_settings(config, broker_url, **overrides)
    if settings.verify is False:  # shown in this run's warnings summary, even with -q
        config.issue_config_time_warning(UserWarning(INSECURE_WARNING), stacklevel=2)
    REDACTOR.add_literals(settings.secrets)
    try:
        known = load_known_deviations(settings.known_deviations) \
            if settings.known_deviations else None
    except InvalidKnownDeviations as exc:
        if embedded is not None:
            embedded.stop()
        raise pytest.UsageError(f"--osb-known-deviations: {exc}") from None
    folder, owns_folder = _run_folder(config)
    client = OSBClient(settings)
    client.slots = RequestSlots(folder, run_concurrency(config))
    worker_input = getattr(config, "workerinput", None)
    journal = folder / f"ledger-{worker_input['workerid']}.jsonl" if worker_input else None
    return ConformanceRun(settings=settings, client=client, embedded=embedded,
                          ledger=Ledger(journal),
                          config=config, folder=folder, owns_folder=owns_folder,
                          stalled=StalledPlans(folder), known=known,
                          synchronous=SynchronousPlans(folder),
                          shared=SharedInstances(folder),
                          in_flight=InFlight(folder, client.stats.count_pause))


def _run_folder(config: pytest.Config) -> tuple[Path, bool]:
    """The folder the controller made for this run (workers get its path), or a new one."""
    worker_input = getattr(config, "workerinput", None)
    if worker_input and "osb_run_folder" in worker_input:
        return Path(worker_input["osb_run_folder"]), False
    return Path(tempfile.mkdtemp(prefix="osb-conformance-run-")), True


def _reference_broker(config: pytest.Config) -> tuple[str, dict[str, Any], Any]:
    """Start the reference broker here, or use the one the xdist controller started."""
    overrides: dict[str, Any] = {}
    if config.getoption("--osb-poll-interval") is None and "OSB_POLL_INTERVAL" not in os.environ:
        # The embedded broker finishes an operation on the next poll: no need to wait long.
        overrides["poll_interval"] = EMBEDDED_POLL_INTERVAL
    worker_input = getattr(config, "workerinput", None)
    if worker_input and "osb_reference_url" in worker_input:
        overrides.update(username=worker_input["osb_reference_username"],
                         password=worker_input["osb_reference_password"])
        return worker_input["osb_reference_url"], overrides, None
    username, password = "conformance", secrets.token_urlsafe(16)
    running = serve_in_thread(ReferenceBroker(username, password))
    overrides.update(username=username, password=password)
    return running.url, overrides, running


def load_catalog(client: OSBClient) -> Catalog:
    try:
        response = client.catalog()
    except BrokerError as exc:
        raise CatalogUnavailable(f"GET /v2/catalog failed: {exc}") from None
    if response.status != 200:
        raise CatalogUnavailable(f"GET /v2/catalog answered {response.describe()}")
    try:
        return Catalog.from_json(response.json_object())
    except BrokerError as exc:
        raise CatalogUnavailable(f"GET /v2/catalog: {exc}") from None


def digest(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()
