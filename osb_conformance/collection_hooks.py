"""Hooks that shape a conformance run's collection: the catalog read once at the start,
one test per selected plan, requirement markers checked, selections and version gating."""

from __future__ import annotations

from typing import Any

import pytest

from .concurrency import schedule_long_tests_first
from .errors import CatalogUnavailable, SuiteError
from .redaction import redact_text
from .requirements import load_catalogue, version_tuple
from .selection import parameter_problems, requirement_ids, selected_plans, selection_problems

CATALOG_EXIT_CODE = 2


class CollectionHooks:
    """Registered as a plugin object for the duration of a conformance run."""

    def __init__(self, run: Any) -> None:
        self.run = run

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionstart(self, session: pytest.Session) -> None:
        try:
            self.run.fetch_catalog()
        except CatalogUnavailable as exc:
            pytest.exit(
                f"osb-conformance: cannot read the broker's catalog, so no scenario can be "
                f"derived: {redact_text(str(exc))}", returncode=CATALOG_EXIT_CODE)
        # Before anything is created: a selection that misses is a usage error (exit 4).
        chosen = self.run.settings.run_config
        problems = selection_problems(self.run.catalog, chosen) \
            or parameter_problems(self.run.catalog, chosen)
        if problems:
            self.run.usage_error = True
            raise pytest.UsageError(redact_text(
                "osb-conformance: the selection does not fit the broker's catalog: "
                + "; ".join(problems)))

    @pytest.hookimpl(optionalhook=True)
    def pytest_configure_node(self, node: Any) -> None:  # xdist controller only
        node.workerinput["osb_fuzz_seed"] = self.run.settings.fuzz.seed  # one seed per run
        node.workerinput["osb_run_folder"] = str(self.run.folder)
        node.workerinput["osb_concurrency"] = self.run.client.slots.count
        # A worker's own option says "no"; the order of its collection needs the mode.
        node.workerinput["osb_dist"] = getattr(node.config.option, "dist", "no")
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
            plans = self.run.selected_plans()
            metafunc.parametrize("plan", plans, ids=[p.label for p in plans])

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
        schedule_long_tests_first(items, config)


__all__ = ["CATALOG_EXIT_CODE", "CollectionHooks", "selected_plans"]
