"""Running one fuzz property with Hypothesis and turning the outcome into findings.

Inside Hypothesis nothing is recorded: an example that breaks a requirement raises
a :class:`PropertyViolation` (one subclass per set of broken requirements, so that
Hypothesis shrinks each kind of failure on its own). When Hypothesis is done, the
``check`` recorder gets one finding per requirement: PASS with the example count,
or the failure of the *minimal* falsifying example, with the seed and how to repeat
the run, and that example's transcript.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..checks import CheckRecorder
from ..errors import BrokerError, BrokerTimeout, ConformanceFailure
from ..expectations import not_applicable
from ..platform import Platform, PreconditionFailed
from ..redaction import redact
from ..stalled_plans import PlanStalled
from .budget import (
    MAX_LIVE_INSTANCES,
    OPERATIONS,
    FuzzBudget,
    OperationBudget,
    hypothesis_settings,
)

INPUT_CHARS_SHOWN = 2_000
NOT_SENT = "examples not sent: asynchronous-operation budget spent"


@dataclass(frozen=True)
class Verdict:
    """What one example showed about one requirement."""

    requirement: str
    ok: bool
    expected: str
    observed: str
    # The input to show when it is smaller than the example (a part that fails alone).
    falsifying_input: str | None = None


class PropertyViolation(Exception):
    """An example broke one or more requirements (raised inside Hypothesis only)."""

    def __init__(self, verdicts: list[Verdict], falsifying_input: str,
                 exchanges: list[Any]) -> None:
        super().__init__("; ".join(f"{v.requirement}: {v.observed}" for v in verdicts))
        self.verdicts = verdicts
        self.falsifying_input = falsifying_input
        self.exchanges = exchanges


@functools.cache
def violation_type(requirements: tuple[str, ...]) -> type[PropertyViolation]:
    """A subclass per set of broken requirements: Hypothesis tells failures apart by type."""
    return type("Violation_" + "_".join(r.replace("-", "") for r in requirements),
                (PropertyViolation,), {})


@dataclass
class Tally:
    """How many examples ran, what was noted on the way (e.g. how many got 422), and the
    latest violation of each kind.

    Shrinking replays candidates, and against a broker each costs requests (a lifecycle
    sequence many). After ``shrink_limit`` examples past the first failure, examples are
    skipped (they pass without a request), so shrinking ends with the smallest failure
    found by then: the latest one of its kind, since the shrinker only tries smaller ones.

    ``operations`` bounds the asynchronous operations the examples start: once it is
    spent, further examples are skipped the same way. Skipping in the test body is the
    robust way to stop: Hypothesis has no public "stop generating" call, its settings
    (max_examples) are fixed before the first example shows that the plan is
    asynchronous, and ``assume(False)`` on every later example would make it search for
    valid examples ten times longer and, on a slow plan, report Unsatisfiable. A skipped
    example costs no request, only its generation. Shrinking may spend as much again.
    """

    shrink_limit: int = 50
    examples: int = 0
    notes: dict[str, int] = field(default_factory=dict)
    checked: set[str] = field(default_factory=set)  # requirements some example judged
    latest: dict[type, PropertyViolation] = field(default_factory=dict)
    broker_error: BrokerError | None = None  # the broker could not be talked to
    # The plan's operations never finish (stalled_plans.py): no further example is sent,
    # and the test fails with that cause instead of shrinking (each replay would create).
    stalled: PlanStalled | None = None
    after_failure: int = 0
    operations: OperationBudget = field(
        default_factory=lambda: OperationBudget(OPERATIONS["quick"]))
    skip_first: int = 0  # examples skipped before any is sent, uncounted (lifecycle machines)

    def note(self, what: str) -> None:
        self.notes[what] = self.notes.get(what, 0) + 1

    def should_run(self) -> bool:
        """Whether the next example is sent (False once the shrink budget is spent)."""
        if self.skip_first:
            self.skip_first -= 1
            return False
        if self.stalled is not None:
            return False
        if self.latest or self.broker_error:
            self.after_failure += 1
            return (self.after_failure <= self.shrink_limit
                    and not self.operations.beyond_twice(()))
        if self.operations.exhausted():
            self.note(NOT_SENT)
            return False
        self.examples += 1
        return True

    def may_continue(self, running: Sequence[Any]) -> bool:
        """Whether a running example (a lifecycle sequence) may take another step, given
        the exchanges ``running`` it has sent so far. A sequence that started within the
        budget runs to its end (cutting it short would waste the operations that built
        its state before the steps that test it), but never past twice the budget."""
        return self.stalled is None and not self.operations.beyond_twice(running)

    def failed(self, violation: PropertyViolation) -> PropertyViolation:
        self.latest[type(violation)] = violation
        return violation


def show_input(value: Any) -> str:
    """An example as compact JSON, secrets redacted, cut to a readable length."""
    try:
        text = json.dumps(redact(value), ensure_ascii=False, sort_keys=True)
    except (TypeError, ValueError):
        text = repr(redact(value))
    return text if len(text) <= INPUT_CHARS_SHOWN else text[:INPUT_CHARS_SHOWN] + "…"


def run_property(
    *, name: str, check: CheckRecorder, platform: Platform, budget: FuzzBudget,
    requirements: Sequence[str], strategy: Any, attempt: Callable[[Any, Tally], list[Verdict]],
    describe: Callable[[Any], str] = show_input, explicit: Sequence[Any] = (),
    nodeid: str | None = None,
) -> Tally:
    """Run ``attempt`` on explicit and generated examples, deleting what each creates.

    ``attempt`` sends the requests of one example and returns its verdicts. Every
    requirement in ``requirements`` gets exactly one finding afterwards.
    """
    from hypothesis import example, given, seed

    tally = Tally(shrink_limit=budget.shrink_limit,
                  operations=OperationBudget(budget.operations, budget.creations))
    tally.operations.charge(platform.client.exchanges)  # the target's instance, if any

    def one_example(value: Any) -> None:
        if not tally.should_run():
            return
        platform.client.take_exchanges()  # the transcript of a failure is its example's
        try:
            verdicts = attempt(value, tally)
        except PlanStalled as exc:
            tally.stalled = exc
            verdicts = []
        except BrokerError as exc:
            tally.broker_error = exc
            raise
        finally:
            leftovers = platform.clean_up()  # delete as you go, also when a step fails
            tally.operations.charge(platform.client.exchanges)
        if tally.stalled is not None:
            return  # its resources wait for the run's end (stalled_plans.py)
        if len(leftovers) >= MAX_LIVE_INSTANCES:
            raise PreconditionFailed(
                f"fuzzing stopped: {len(leftovers)} resources it created could not be "
                f"deleted ({leftovers[0].problem})")
        broken = [v for v in verdicts if not v.ok]
        if broken:
            kinds = tuple(sorted({v.requirement for v in broken}))
            shown = next((v.falsifying_input for v in broken if v.falsifying_input), None)
            raise tally.failed(violation_type(kinds)(broken, shown or describe(value),
                                                     list(platform.client.exchanges)))

    test = given(strategy)(one_example)
    for value in reversed(list(explicit)):
        test = example(value)(test)
    test = seed(budget.seed)(hypothesis_settings(budget)(test))
    return run_and_record(test, name=name, check=check, platform=platform, budget=budget,
                          requirements=requirements, tally=tally, nodeid=nodeid)


def run_and_record(
    test: Callable[[], None], *, name: str, check: CheckRecorder, platform: Platform,
    budget: FuzzBudget, requirements: Sequence[str] | Callable[[], Sequence[str]],
    tally: Tally, nodeid: str | None,
) -> Tally:
    """Run a Hypothesis test whose examples raise :class:`PropertyViolation`; record.

    ``requirements`` may be a callable, asked after the run (which of them the examples
    could judge may only be known then).
    """
    from hypothesis.errors import Unsatisfiable

    try:
        test()
    except Unsatisfiable as exc:
        not_applicable(f"no example could be generated: {exc}")
    except Exception:
        # Hypothesis re-raises the minimal failures (a group when several), or, when the
        # shrink budget skipped the final replay, reports a flaky test: either way the
        # failures to report are the latest of each kind.
        if not tally.latest:
            if platform.client.test_time_left() == 0:  # the watchdog refused; not flaky
                raise BrokerTimeout(
                    f"fuzzing stopped: the test used up its time bound of "
                    f"{platform.settings.test_timeout:g}s (--osb-test-timeout)") from None
            if tally.broker_error is not None:  # the broker's failure, not the suite's
                raise tally.broker_error from None
            raise
    if tally.stalled is not None and not tally.latest:
        raise tally.stalled
    violations = list(tally.latest.values())
    judged = requirements() if callable(requirements) else requirements
    _record(check, name, judged, tally, violations, budget, nodeid, platform)
    return tally


def _record(
    check: CheckRecorder, name: str, requirements: Sequence[str], tally: Tally,
    violations: list[PropertyViolation], budget: FuzzBudget, nodeid: str | None,
    platform: Platform,
) -> None:
    """One finding per requirement; warnings before failures, so that all get recorded."""
    broken: dict[str, tuple[Verdict, PropertyViolation]] = {}
    for violation in violations:
        for verdict in violation.verdicts:
            broken.setdefault(verdict.requirement, (verdict, violation))
    summary = f"{tally.examples} examples ({name})" + _operations(tally) + _notes(tally)
    for requirement in requirements:
        if requirement not in broken:
            check(requirement, True, expected=name, observed=f"held for all {summary}")
    if violations:  # the report's transcript: the first minimal falsifying example's
        platform.client.exchanges = list(violations[0].exchanges)
    failures: list[ConformanceFailure] = []
    for requirement, (verdict, violation) in broken.items():
        observed = (f"{verdict.observed}\n  minimal falsifying input: "
                    f"{violation.falsifying_input}\n  after {summary}; seed {budget.seed}; "
                    f"reproduce: {budget.reproduce_hint(nodeid)}")
        try:
            check(requirement, False, expected=verdict.expected, observed=observed)
        except ConformanceFailure as failure:
            failures.append(failure)
    if failures:
        raise failures[0]


def _operations(tally: Tally) -> str:
    spent = tally.operations.spent
    if not spent:
        return ""  # a synchronous plan: nothing was budgeted
    return f"; {spent} asynchronous operations (budget {tally.operations.limit})"


def _notes(tally: Tally) -> str:
    if not tally.notes:
        return ""
    return "; " + ", ".join(f"{what}: {count}" for what, count in sorted(tally.notes.items()))
