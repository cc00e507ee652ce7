"""The golden list: every testable requirement has a check, every check a requirement,
every checked requirement a mutant that makes its check fail, and every platform
obligation a test of the suite itself."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Iterator
from types import ModuleType

import osb_conformance.scenarios as scenarios
import tests
from osb_conformance.reference_broker.mutants import MUTANTS
from osb_conformance.requirements import Requirement, load_catalogue

ENFORCED_LEVELS = ("MUST", "MUST NOT", "SHOULD", "SHOULD NOT")


def _modules(package: ModuleType) -> Iterator[ModuleType]:
    for info in pkgutil.iter_modules(package.__path__):
        if info.name.startswith("test_"):
            yield importlib.import_module(f"{package.__name__}.{info.name}")


def _marked(package: ModuleType, marker: str) -> dict[str, set[str]]:
    """test function → the IDs its ``marker`` marks name."""
    found: dict[str, set[str]] = {}
    for module in _modules(package):
        for name, function in inspect.getmembers(module, inspect.isfunction):
            if not name.startswith("test_"):
                continue
            marks = getattr(function, "pytestmark", [])
            found[f"{module.__name__}.{name}"] = {
                rid for mark in marks if mark.name == marker for rid in mark.args}
    return found


def _enforced(subject: str) -> list[Requirement]:
    return [r for r in load_catalogue() if r.subject == subject and not r.untestable
            and r.level in ENFORCED_LEVELS]


def _checked_ids() -> set[str]:
    return set().union(*_marked(scenarios, "requirement").values())


def test_every_scenario_names_known_broker_requirements() -> None:
    catalogue = load_catalogue()
    problems = []
    for test, ids in _marked(scenarios, "requirement").items():
        if not ids:
            problems.append(f"{test}: no requirement marker")
        for rid in ids:
            if rid not in catalogue:
                problems.append(f"{test}: unknown requirement {rid}")
            elif catalogue[rid].untestable or catalogue[rid].subject != "broker":
                problems.append(f"{test}: {rid} is untestable or not a broker requirement")
    assert not problems, "\n".join(problems)


def test_every_testable_broker_requirement_has_a_check() -> None:
    missing = sorted(r.id for r in _enforced("broker") if r.id not in _checked_ids())
    assert not missing, f"{len(missing)} MUST/SHOULD broker requirements without a check: " \
                        f"{missing}"


def test_every_checked_requirement_has_a_mutant() -> None:
    mutated = {rid for mutant in MUTANTS.values() for rid in mutant.violates}
    enforced = {r.id for r in _enforced("broker")}
    missing = sorted((_checked_ids() & enforced) - mutated)
    assert not missing, f"checked MUST/SHOULD requirements no mutant violates: {missing}"


def test_mutants_violate_checked_requirements() -> None:
    checked = _checked_ids()
    orphans = {name: m.violates for name, m in MUTANTS.items() if not set(m.violates) <= checked}
    assert not orphans, f"mutants naming requirements no check verifies: {orphans}"


def test_every_platform_obligation_is_verified_by_a_project_test() -> None:
    verified = set().union(*_marked(tests, "platform_obligation").values())
    missing = sorted(r.id for r in _enforced("platform") if r.id not in verified)
    assert not missing, f"platform obligations no project test verifies: {missing}"
