"""How much fuzzing a run does (``--osb-fuzz``, ``--osb-fuzz-examples``) and its seed.

Two limits apply to every fuzz test: a number of examples (lifecycle sequences), and
on asynchronous plans a number of asynchronous broker operations. A plan counts as
asynchronous by what its broker does, not by what its catalog says: an operation is
asynchronous when the broker answered its request (provision, update, deprovision,
bind, unbind) with 202, and only those are counted. A plan whose broker answers
synchronously never spends the budget (each of its operations costs one round trip);
``maximum_polling_duration`` is optional and says nothing about whether a broker
answers 202. So on a broker whose operations take minutes a fuzz test costs at most
its operation budget times the operation time, whatever the example count.

Importing this module does not import Hypothesis: the settings dataclass needs the
budget, and a run with ``--osb-fuzz=off`` should not pay for the import.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..transcript import Exchange

FUZZ_MODES = ("off", "quick", "thorough")
DEFAULT_MODE = "quick"
# Generated examples per property. Explicit boundary and violation examples come on top.
EXAMPLES = {"off": 0, "quick": 4, "thorough": 60}
# Lifecycle sequences per plan (shared by its MACHINES), and the longest sequence.
SEQUENCES = {"off": 0, "quick": 10, "thorough": 50}
STEPS = {"off": 0, "quick": 5, "thorough": 25}
# Asynchronous operations (requests answered 202) one parameter or request fuzz test may
# start on a plan, counting the instance its updates and binds go to and deleting what
# each example created; deleting that instance comes on top (cleanup is never skipped).
# quick: the grouped boundary examples and a few drawn ones, e.g. 4 provisions (each
# provisioned and deleted) or 7 updates of one instance. An example that started finishes
# (and deletes what it created), so a test may exceed its budget by one example; shrinking
# a failure may spend as much again.
OPERATIONS = {"off": 0, "quick": 8, "thorough": 60}
# The lifecycle runs as MACHINES independent state machines per plan (parametrized tests,
# each its own seed and share of the sequences), so that the chain of dependent operations
# in one test is short and workers can run them side by side. Each machine starts no new
# sequence once it has started LIFECYCLE_OPERATIONS asynchronous operations; a sequence
# that started runs to its end unless the machine reaches twice that (then it only
# deletes what it created).
MACHINES = 4
LIFECYCLE_OPERATIONS = {"off": 0, "quick": 15, "thorough": 60}
# Per asynchronous plan at quick: at most 4 x 15 = 60 for the lifecycle (four chains,
# each a quarter of the 10 sequences of 5 steps), and 8 for each parameter or request fuzz
# test whose examples the broker carries out (valid parameters for provision, update and
# bind, odd ids); at most 13 x 8 + 2 x 60 = 224 against a broker that accepts everything.
# At thorough 13 x 60 + 4 x 60. The creation budget below stops most tests earlier.
# Instances and bindings one parameter or request fuzz test, or one lifecycle machine, may
# create, sync or async alike: each may cost its vendor money (the target's instance
# counts). quick: 2 per fuzz test (its grouped boundary examples come first), 3 per
# lifecycle machine (a started sequence runs to its end, never past twice the limit). With
# these, every fuzz-only mutant is still caught at quick with seeds 0 to 5 (lifecycle-only
# fuzz-resend-after-failed-update-500: seeds 0 to 9 but 6, which 3 machines missed twice
# as often; tests/test_fuzzing_seeds.py runs seeds 0, 1, 2).
CREATIONS = {"off": 0, "quick": 2, "thorough": 60}
LIFECYCLE_CREATIONS = {"off": 0, "quick": 3, "thorough": 60}
# Examples (or sequences) replayed to shrink a failure before the smallest so far is reported.
SHRINK_LIMIT = {"off": 0, "quick": 40, "thorough": 200}
# Instances a fuzz test may have alive at once; examples delete what they create as they go.
MAX_LIVE_INSTANCES = 2
# First pause between polls of a fuzz example's asynchronous operation (grows as usual, and
# the broker's Retry-After wins): fuzzing runs many short operations.
POLL_INTERVAL = 0.05


@dataclass(frozen=True)
class FuzzBudget:
    """The fuzzing mode, an optional example count that overrides it, and the run's seed."""

    mode: str = DEFAULT_MODE
    examples: int | None = None
    seed: int | str = 0

    @property
    def enabled(self) -> bool:
        return self.mode != "off" and self.max_examples > 0

    @property
    def max_examples(self) -> int:
        return self.examples if self.examples is not None else EXAMPLES[self.mode]

    @property
    def sequences(self) -> int:
        if self.examples is not None:
            return max(1, self.examples)
        return SEQUENCES[self.mode]

    def machine_sequences(self, machine: int) -> int:
        """Sequences lifecycle machine ``machine`` (1..MACHINES) runs: its share of all."""
        share, rest = divmod(self.sequences, MACHINES)
        return max(1, share + (1 if machine <= rest else 0))

    @property
    def operations(self) -> int:
        """Asynchronous operations one parameter or request fuzz test may start."""
        return self._in_mode(OPERATIONS)

    @property
    def creations(self) -> int:
        """Instances and bindings one parameter or request fuzz test may create."""
        return self._in_mode(CREATIONS)

    @property
    def lifecycle_operations(self) -> int:
        """Asynchronous operations one lifecycle machine may start."""
        return self._in_mode(LIFECYCLE_OPERATIONS)

    @property
    def lifecycle_creations(self) -> int:
        """Instances and bindings one lifecycle machine may create."""
        return self._in_mode(LIFECYCLE_CREATIONS)

    def _in_mode(self, table: dict[str, int]) -> int:
        """This mode's value; with fuzzing off, the default mode's (for explicit examples)."""
        return table[self.mode] or table[DEFAULT_MODE]

    @property
    def steps(self) -> int:
        return self._in_mode(STEPS)

    @property
    def shrink_limit(self) -> int:
        return self._in_mode(SHRINK_LIMIT)

    @property
    def thorough(self) -> bool:
        return self.mode == "thorough"

    def reproduce_hint(self, nodeid: str | None = None) -> str:
        """The options that repeat this fuzz run."""
        parts = [f"--hypothesis-seed={self.seed}", f"--osb-fuzz={self.mode}"]
        if self.examples is not None:
            parts.append(f"--osb-fuzz-examples={self.examples}")
        if nodeid:
            parts.append(repr(nodeid))
        return "pytest --broker-url=... " + " ".join(parts)


def asynchronous_operations(exchanges: Sequence[Exchange]) -> int:
    """How many operations these exchanges started that the broker answered with 202."""
    return sum(1 for e in exchanges
               if e.status == 202 and e.method in ("PUT", "PATCH", "DELETE"))


def creations(exchanges: Sequence[Exchange]) -> int:
    """How many instances or bindings these exchanges created (a PUT answered 201 or 202;
    200 finds one that exists)."""
    return sum(1 for e in exchanges if e.method == "PUT" and e.status in (201, 202))


@dataclass
class OperationBudget:
    """The asynchronous operations a fuzz test may start and the resources it may create,
    and how many it has started and created.

    Counted from the transcript (every request goes through the client, which records
    it), not at each call site, so no operation a step sends can be missed.
    """

    limit: int
    created_limit: int | None = None  # None: creating is not budgeted
    spent: int = 0
    created: int = 0

    def charge(self, exchanges: Sequence[Exchange]) -> None:
        """Count the operations these exchanges (of one finished example) started."""
        self.spent += asynchronous_operations(exchanges)
        self.created += creations(exchanges)

    def exhausted(self, running: Sequence[Exchange] = ()) -> bool:
        """Whether the budget is spent, counting also a running example's ``running``."""
        return self.spent + asynchronous_operations(running) >= self.limit \
            or self._created_with(running) >= (self.created_limit or float("inf"))

    def beyond_twice(self, running: Sequence[Exchange]) -> bool:
        """Whether a running example has taken the test past twice either budget."""
        return self.spent + asynchronous_operations(running) >= 2 * self.limit \
            or self._created_with(running) >= 2 * (self.created_limit or float("inf"))

    def _created_with(self, running: Sequence[Exchange]) -> int:
        return self.created + creations(running)


def make_budget(mode: str | None, examples: Any, seed: Any) -> FuzzBudget:
    """A budget from option values; a run without ``--hypothesis-seed`` draws its seed."""
    chosen = mode or DEFAULT_MODE
    if chosen not in FUZZ_MODES:
        raise ValueError(f"--osb-fuzz must be one of {', '.join(FUZZ_MODES)}, not {chosen!r}")
    count = None if examples in (None, "") else int(examples)
    if count is not None and count < 0:
        raise ValueError("--osb-fuzz-examples must not be negative")
    return FuzzBudget(mode=chosen, examples=count, seed=_seed(seed))


def _seed(value: Any) -> int | str:
    if value is None or value == "":
        return secrets.randbelow(2**32)
    try:
        return int(value)
    except (TypeError, ValueError):
        return str(value)  # Hypothesis accepts any hashable seed


def hypothesis_settings(budget: FuzzBudget, *, max_examples: int | None = None,
                        stateful_step_count: int | None = None) -> Any:
    """Hypothesis settings for one fuzz property: no database, no deadline, no health checks.

    No example database: a run is reproduced from its seed, not from failures an earlier
    run stored. No explain phase: it replays examples (requests) for little gain. Health
    checks are for test authors; a conformance run reports what the broker did instead.
    """
    from hypothesis import HealthCheck, Phase, Verbosity, settings

    return settings(
        max_examples=max(1, max_examples if max_examples is not None else budget.max_examples),
        stateful_step_count=stateful_step_count or budget.steps,
        deadline=None,
        database=None,
        derandomize=False,
        print_blob=False,
        report_multiple_bugs=True,
        verbosity=Verbosity.quiet,
        phases=(Phase.explicit, Phase.generate, Phase.shrink),
        suppress_health_check=list(HealthCheck),
    )
