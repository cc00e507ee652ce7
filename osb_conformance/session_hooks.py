"""Hooks active during a conformance run: collection, outcomes, cleanup and reports."""

from __future__ import annotations

import signal
from typing import Any

import pytest

from .catalog import Plan
from .checks import CheckRecorder, Outcome, overall_outcome
from .cleanup import clean_up_interruptible
from .errors import BrokerError, CatalogUnavailable, ConformanceFailure, SuiteError
from .redaction import redact_text
from .reporting.json_report import write_json_report
from .reporting.results import ResultCollector
from .reporting.terminal import write_summary, write_verdict
from .requirements import load_catalogue, version_tuple
from .transcript import format_transcript

RECORDER_KEY = pytest.StashKey[CheckRecorder]()
PLATFORM_KEY = pytest.StashKey[Any]()
CATALOG_EXIT_CODE = 2


def requirement_ids(item: pytest.Item) -> set[str]:
    """The requirement IDs the test's ``requirement`` markers name."""
    return {rid for mark in item.iter_markers("requirement") for rid in mark.args}


class SessionHooks:
    """Registered as a plugin object for the duration of a conformance run."""

    def __init__(self, run: Any, config: pytest.Config) -> None:
        self.run = run
        self.config = config
        self.results = ResultCollector()
        self.leftovers: list[dict[str, Any]] = []
        self.is_worker = hasattr(config, "workerinput")
        self.cleaned_up = False
        self.previous_sigterm: Any = None

    # -- start ------------------------------------------------------------------------------
    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionstart(self, session: pytest.Session) -> None:
        try:
            self.run.fetch_catalog()
        except CatalogUnavailable as exc:
            pytest.exit(
                f"osb-conformance: cannot read the broker's catalog, so no scenario can be "
                f"derived: {redact_text(str(exc))}", returncode=CATALOG_EXIT_CODE)
        if not self.is_worker:
            # SIGTERM (CI cancelling a job) cleans up like Ctrl-C; restored at the end.
            self.previous_sigterm = signal.signal(signal.SIGTERM, _sigterm_as_interrupt)

    @pytest.hookimpl(optionalhook=True)
    def pytest_configure_node(self, node: Any) -> None:  # xdist controller only
        node.workerinput["osb_fuzz_seed"] = self.run.settings.fuzz.seed  # one seed per run
        embedded = self.run.embedded
        if embedded is not None:
            node.workerinput["osb_reference_url"] = embedded.url
            node.workerinput["osb_reference_username"] = self.run.settings.username
            node.workerinput["osb_reference_password"] = self.run.settings.password

    def pytest_report_header(self, config: pytest.Config) -> list[str]:
        fuzz = self.run.settings.fuzz
        if not fuzz.enabled:
            return ["osb-conformance fuzzing: off"]
        return [f"osb-conformance fuzzing: {fuzz.mode}, seed {fuzz.seed} "
                f"(repeat with --hypothesis-seed={fuzz.seed})"]

    def pytest_generate_tests(self, metafunc: pytest.Metafunc) -> None:
        if "plan" in metafunc.fixturenames:
            plans = self.selected_plans()
            metafunc.parametrize("plan", plans, ids=[p.label for p in plans])

    def selected_plans(self) -> list[Plan]:
        catalog = self.run.fetch_catalog()
        chosen = self.run.settings.run_config
        plans = []
        for plan in catalog.plans:
            service_keys = {plan.service.id, plan.service.name}
            plan_keys = {plan.id, plan.label, plan.name}
            if chosen.include_services and not service_keys & set(chosen.include_services):
                continue
            if service_keys & set(chosen.skip_services):
                continue
            if chosen.include_plans and not plan_keys & set(chosen.include_plans):
                continue
            if plan_keys & set(chosen.skip_plans):
                continue
            plans.append(plan)
        return plans

    def pytest_collection_modifyitems(
        self, config: pytest.Config, items: list[pytest.Item]
    ) -> None:
        catalogue = load_catalogue()
        wanted = config.getoption("--osb-requirements")
        wanted_ids = {w.strip() for w in wanted.split(",")} if wanted else None
        selected, deselected = [], []
        for item in items:
            ids = requirement_ids(item)
            unknown = sorted(i for i in ids if i not in catalogue)
            if not ids or unknown:
                raise SuiteError(f"{item.nodeid}: requirement marker missing or unknown {unknown}")
            if wanted_ids is not None and not ids & wanted_ids:
                deselected.append(item)
                continue
            selected.append(item)
            version = self.run.settings.api_version
            if all(not catalogue[i].applies_to(version) for i in ids):
                newest = max((catalogue[i].since for i in ids), key=version_tuple)
                item.add_marker(pytest.mark.skip(
                    reason=f"N/A: needs OSB API {newest}, testing {version}"))
        if deselected:
            config.hook.pytest_deselected(items=deselected)
            items[:] = selected

    # -- each test ----------------------------------------------------------------------------
    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        self.run.client.take_exchanges()  # the transcript starts with the test

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore[no-untyped-def]
        outcome = yield
        report: pytest.TestReport = outcome.get_result()
        recorder = item.stash.get(RECORDER_KEY, None)
        findings = [f.to_dict() for f in recorder.findings] if recorder else []
        if recorder and call.when == "call":
            recorder.findings = []  # each finding goes into exactly one report
        elif call.when != "call":
            findings = []
        exchanges = [e.redacted() for e in self.run.client.take_exchanges()]
        errored = _is_error(call)
        _rewrite_longrepr(report, call, exchanges)
        report.sections = [(name, redact_text(text)) for name, text in report.sections]
        plan = item.callspec.params.get("plan") if hasattr(item, "callspec") else None
        ids = sorted(requirement_ids(item))
        report.osb = {
            "requirements": ids,
            "findings": findings,
            "transcript": exchanges,
            "service": plan.service.name if isinstance(plan, Plan) else None,
            "plan": plan.name if isinstance(plan, Plan) else None,
            "outcome": str(overall_outcome(findings, report.outcome, errored)),
            "skip_reason": _skip_reason(report),
        }
        if call.when == "call" or (call.when == "setup" and report.outcome != "passed"):
            levels = sorted({load_catalogue()[i].level for i in ids})
            properties = [("requirements", " ".join(ids)), ("levels", " ".join(levels)),
                          ("outcome", report.osb["outcome"])]
            report.user_properties += properties
            # junitxml writes the properties of the teardown report, made from the item's.
            item.user_properties += properties

    def pytest_report_teststatus(self, report: pytest.TestReport, config: pytest.Config):  # type: ignore[no-untyped-def]
        osb = getattr(report, "osb", None)
        if report.when == "call" and osb and osb["outcome"] == Outcome.WARN:
            return "warned", "W", ("WARN", {"yellow": True})
        return None

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self.results.add(report)

    # -- end --------------------------------------------------------------------------------------
    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        self.results.interrupted = exitstatus == pytest.ExitCode.INTERRUPTED
        self.clean_up_once()
        if self.previous_sigterm is not None:
            signal.signal(signal.SIGTERM, self.previous_sigterm)
        if self.is_worker:
            self.config.workeroutput["osb_leftovers"] = self.leftovers  # type: ignore[attr-defined]
            return
        if self.run.settings.report_json:
            write_json_report(self.run.settings.report_json, self, session)

    def clean_up_once(self) -> None:
        """Delete what the run created; the HTML report may ask first (it shows leftovers)."""
        if self.cleaned_up:
            return
        self.cleaned_up = True
        left = clean_up_interruptible(self.run.client, self.run.ledger)
        self.run.client.take_exchanges()
        self.leftovers += [r.to_dict() for r in left]

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: Any) -> None:  # xdist controller only
        self.leftovers += getattr(node, "workeroutput", {}).get("osb_leftovers", [])

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_terminal_summary(self, terminalreporter: Any):  # type: ignore[no-untyped-def]
        # After pytest's own summary (short test summary included).
        result = yield
        if self.writes_verdict:
            write_summary(terminalreporter, self)
        return result

    @pytest.hookimpl(tryfirst=True)
    def pytest_unconfigure(self, config: pytest.Config) -> None:
        # After pytest's final counts: the verdict is the very last line of the run.
        terminal = config.pluginmanager.get_plugin("terminalreporter")
        if self.writes_verdict and terminal is not None:
            write_verdict(terminal, self)

    @property
    def writes_verdict(self) -> bool:
        # Nothing ran on a worker, with --collect-only, or when the catalog could not be read
        # (that run ends with one clear error and exit code 2 instead).
        return not self.is_worker and not self.config.option.collectonly \
            and self.run.catalog is not None


def _sigterm_as_interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt("SIGTERM")


def _is_error(call: pytest.CallInfo[None]) -> bool:
    """An exception that is neither the broker's fault nor a skip: a defect of the suite."""
    if call.excinfo is None:
        return False
    return not call.excinfo.errisinstance(
        (ConformanceFailure, BrokerError, pytest.skip.Exception, KeyboardInterrupt))


def _rewrite_longrepr(
    report: pytest.TestReport, call: pytest.CallInfo[None], exchanges: list[dict[str, Any]]
) -> None:
    """Failures read as expected/observed plus transcript; nothing secret survives."""
    if report.outcome != "failed" or call.excinfo is None:
        return
    if call.excinfo.errisinstance((ConformanceFailure, BrokerError)):
        kind = "" if call.excinfo.errisinstance(ConformanceFailure) else "broker error: "
        text = kind + str(call.excinfo.value)
        if exchanges:
            text += "\n\nTranscript:\n" + format_transcript(exchanges)
        report.longrepr = redact_text(text)
    else:
        report.longrepr = redact_text(str(report.longrepr))


def _skip_reason(report: pytest.TestReport) -> str | None:
    if report.skipped and isinstance(report.longrepr, tuple):
        return str(report.longrepr[2])
    return None
