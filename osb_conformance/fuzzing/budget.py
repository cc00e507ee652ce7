"""How much fuzzing a run does (``--osb-fuzz``, ``--osb-fuzz-examples``) and its seed.

Importing this module does not import Hypothesis: the settings dataclass needs the
budget, and a run with ``--osb-fuzz=off`` should not pay for the import.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

FUZZ_MODES = ("off", "quick", "thorough")
DEFAULT_MODE = "quick"
# Generated examples per property. Explicit boundary and violation examples come on top.
EXAMPLES = {"off": 0, "quick": 4, "thorough": 60}
# Lifecycle sequences per plan, and the longest sequence.
SEQUENCES = {"off": 0, "quick": 10, "thorough": 50}
STEPS = {"off": 0, "quick": 5, "thorough": 25}
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

    @property
    def steps(self) -> int:
        return STEPS[self.mode] or STEPS[DEFAULT_MODE]

    @property
    def shrink_limit(self) -> int:
        return SHRINK_LIMIT[self.mode] or SHRINK_LIMIT[DEFAULT_MODE]

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
