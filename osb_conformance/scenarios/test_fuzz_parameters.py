"""Fuzzing parameters from each plan's own schemas (spec #input-parameters-schema-object).

Valid values (drawn by hypothesis-jsonschema, plus boundary values and non-ASCII
strings, several per request where the schema allows) must be accepted; values
violating the schema in one way should be refused with 400; plans without a schema get
arbitrary JSON objects, which must not cause a 5xx. Each example deletes what it
created before the next one runs; on asynchronous plans a test stops sending examples
when its budget of asynchronous operations is spent (fuzzing/budget.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest

from osb_conformance.catalog import Plan
from osb_conformance.checks import CheckRecorder
from osb_conformance.expectations import needs_bindable, not_applicable
from osb_conformance.fuzzing.actions import is_server_error, is_success
from osb_conformance.fuzzing.runner import Tally, Verdict, run_property, show_input
from osb_conformance.fuzzing.strategies import (
    Example,
    boundary_examples,
    generic_objects,
    grouped_examples,
    valid_values,
)
from osb_conformance.fuzzing.targets import (
    OPERATIONS,
    ParameterTarget,
    declared_schema,
    fuzz_budget,
    fuzzable_schema,
)
from osb_conformance.fuzzing.violations import violating_values, violation_examples
from osb_conformance.platform import Platform

requirement = pytest.mark.requirement
# The requirement that says a schema violation is refused, per operation (update has none).
REFUSAL_REQUIREMENT = {"provision": "PROV-020", "bind": "BND-021"}


def describe(example: Example) -> str:
    return f"{example.label}: {show_input(example.value)}"


@requirement("FUZZ-001", "ERR-010")
@pytest.mark.parametrize("operation", OPERATIONS)
def test_valid_parameters_are_accepted(
    plan: Plan, platform: Platform, check: CheckRecorder, operation: str,
    request: pytest.FixtureRequest,
) -> None:
    budget = fuzz_budget(platform)
    schema = fuzzable_schema(plan, operation)

    def verdicts_of(example: Example, tally: Tally) -> list[Verdict]:
        response = target.send(example.value)
        if response.status == 422:  # state or quota: reported, not failed (FUZZ-001 note)
            tally.note(f"422 {response.error_code or ''}".strip())
        return [
            Verdict("FUZZ-001", is_success(response) or response.status == 422,
                    f"2xx for {operation} parameters valid under the plan's schema",
                    response.describe()),
            Verdict("ERR-010", not is_server_error(response),
                    "no 5xx for parameters valid under the plan's schema", response.describe()),
        ]

    def attempt(example: Example, tally: Tally) -> list[Verdict]:
        verdicts = verdicts_of(example, tally)
        if all(v.ok for v in verdicts) or not example.parts:
            return verdicts
        return narrowed(example, verdicts, lambda part: verdicts_of(part, tally))

    with ParameterTarget(plan, platform, operation) as target:
        run_property(
            name=f"valid {operation} parameters of {plan.label}", check=check,
            platform=platform, budget=budget, requirements=("FUZZ-001", "ERR-010"),
            strategy=valid_values(schema).map(lambda v: Example("drawn from the schema", v)),
            explicit=grouped_examples(schema, boundary_examples(schema)), attempt=attempt,
            describe=describe, nodeid=request.node.nodeid)


def narrowed(group: Example, verdicts: list[Verdict],
             verdicts_of: Callable[[Example], list[Verdict]]) -> list[Verdict]:
    """The verdicts of the first part of a refused group that is refused alone (shown as
    the falsifying input), else the group's own: one more request per part, only when a
    group failed."""
    for part in group.parts:
        alone = verdicts_of(part)
        if not all(v.ok for v in alone):
            return [replace(v, falsifying_input=describe(part)) for v in alone]
    return verdicts


@requirement("FUZZ-002", "PROV-020", "BND-021", "ERR-001")
@pytest.mark.parametrize("operation", OPERATIONS)
def test_schema_violations_are_refused(
    plan: Plan, platform: Platform, check: CheckRecorder, operation: str,
    request: pytest.FixtureRequest,
) -> None:
    budget = fuzz_budget(platform)
    schema = fuzzable_schema(plan, operation)
    explicit = violation_examples(schema)
    if not explicit:
        not_applicable(f"{plan.label} {operation} schema has no constraint to violate one "
                       "at a time (no typed, bounded, patterned, enumerated, required or "
                       "closed property)")
    refusal = REFUSAL_REQUIREMENT.get(operation)

    def attempt(example: Example, tally: Tally) -> list[Verdict]:
        response = target.send(example.value)
        tally.note(f"answered {response.status}")
        verdicts = [
            Verdict("FUZZ-002", response.status == 400,
                    f"400 Bad Request for {operation} parameters that violate the schema",
                    response.describe()),
            Verdict("ERR-001", not is_server_error(response),
                    "a client-error status for invalid parameters, not a 5xx",
                    response.describe()),
        ]
        if refusal:
            verdicts.append(Verdict(refusal, not is_success(response),
                                    "the request is refused, not carried out with parameters "
                                    "that violate the schema", response.describe()))
        return verdicts

    with ParameterTarget(plan, platform, operation) as target:
        run_property(
            name=f"{operation} parameters violating the schema of {plan.label} in one way",
            check=check, platform=platform, budget=budget,
            requirements=("FUZZ-002", "ERR-001", *([refusal] if refusal else [])),
            strategy=violating_values(schema), explicit=explicit, attempt=attempt,
            describe=describe, nodeid=request.node.nodeid)


@requirement("ERR-010")
@pytest.mark.parametrize("operation", OPERATIONS)
def test_parameters_without_schema_never_5xx(
    plan: Plan, platform: Platform, check: CheckRecorder, operation: str,
    request: pytest.FixtureRequest,
) -> None:
    budget = fuzz_budget(platform)
    if operation == "bind":
        needs_bindable(plan)
    if declared_schema(plan, operation) is not None:
        not_applicable(f"{plan.label} declares a {operation} parameters schema (fuzzed "
                       "from the schema instead)")

    def attempt(parameters: dict[str, Any], tally: Tally) -> list[Verdict]:
        response = target.send(parameters)
        tally.note(f"answered {response.status}")
        return [Verdict("ERR-010", not is_server_error(response),
                        "no 5xx for arbitrary JSON-object parameters of a plan without a "
                        "schema", response.describe())]

    with ParameterTarget(plan, platform, operation) as target:
        run_property(
            name=f"arbitrary {operation} parameters of {plan.label}", check=check,
            platform=platform, budget=budget, requirements=("ERR-010",),
            strategy=generic_objects(), explicit=[{}, {"osbc": "Grüße 世界"}],
            attempt=attempt, nodeid=request.node.nodeid)
