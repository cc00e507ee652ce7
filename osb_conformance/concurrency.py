"""Running independent tests concurrently (``--osb-concurrency N``) on pytest-xdist workers.

Why xdist: a conformance test spends nearly all its time waiting on the broker, so N worker
processes overlap N tests' broker operations even on two cores. Each worker runs one test
at a time with its own client, ledger and transcript, so transcripts never interleave and
a test's cleanup is the test's own; pytest itself is not thread-safe, so an in-process
thread scheduler would need its own test protocol (benchmarks/README.md has the figures).

The default, 8 tests at a time, keeps at most 8 requests in flight against the broker: far
below what a platform sends a broker in production, and enough to bring a run against a
broker whose operations take seconds from the sum of all tests' operations down to about
the longest chain of them. The embedded reference broker answers at once: there is nothing
to overlap, so a run against it stays in one process unless asked.
"""

from __future__ import annotations

import os

import pytest

DEFAULT_CONCURRENCY = 8
EMBEDDED_CONCURRENCY = 1
ENV = "OSB_CONCURRENCY"
# How many tests run at a time in this run (set before xdist starts; workers get it too).
CONCURRENCY_KEY = pytest.StashKey[int]()


def add_concurrency_option(group: pytest.OptionGroup) -> None:
    group.addoption(
        "--osb-concurrency", type=int, default=None, metavar="N",
        help=f"run up to N tests at a time, each on its own pytest-xdist worker (default "
             f"{DEFAULT_CONCURRENCY}; {EMBEDDED_CONCURRENCY} with --broker-url=reference; "
             f"1 runs in this process). --osb-max-instances lowers it. [env {ENV}]")


def requested_concurrency(config: pytest.Config, broker_url: str) -> int:
    """The concurrency asked for, or the default for this broker."""
    value = config.getoption("--osb-concurrency")
    if value is None and os.environ.get(ENV):
        try:
            value = int(os.environ[ENV])
        except ValueError:
            raise pytest.UsageError(f"{ENV} must be a whole number, not "
                                    f"{os.environ[ENV]!r}") from None
    if value is None:
        return EMBEDDED_CONCURRENCY if broker_url == "reference" else DEFAULT_CONCURRENCY
    if value < 1:
        raise pytest.UsageError("--osb-concurrency must be at least 1")
    return value


def start_workers(config: pytest.Config, broker_url: str) -> int:
    """Before xdist configures itself: ask it for N workers unless the user chose xdist
    options already (theirs win). Returns the number of tests that run at a time."""
    workers = _workers(config, broker_url)
    config.stash[CONCURRENCY_KEY] = workers
    return workers


def run_concurrency(config: pytest.Config) -> int:
    """The number of tests this run runs at a time (its bound on requests in flight)."""
    worker_input = getattr(config, "workerinput", None)
    if worker_input is not None and "osb_concurrency" in worker_input:
        return int(worker_input["osb_concurrency"])
    return config.stash.get(CONCURRENCY_KEY, 1)


def _workers(config: pytest.Config, broker_url: str) -> int:
    option = config.option
    if hasattr(config, "workerinput") or option.collectonly:
        return 1
    if getattr(option, "numprocesses", None) or getattr(option, "tx", None) \
            or getattr(option, "dist", "no") != "no":
        return _user_workers(config)
    workers = requested_concurrency(config, broker_url)
    limit = config.getoption("--osb-max-instances")
    if limit is not None and limit >= 1:
        workers = min(workers, limit)  # every worker needs room for one instance
    if workers <= 1:
        return 1
    if not config.pluginmanager.hasplugin("xdist"):
        config.issue_config_time_warning(UserWarning(
            f"osb-conformance: --osb-concurrency {workers} needs pytest-xdist "
            f"(pip install pytest-xdist); running one test at a time"), stacklevel=2)
        return 1
    option.numprocesses = workers
    # worksteal: an idle worker takes half of the queue of a busy one, so a few long tests
    # do not leave the others idle at the end (measured: benchmarks/README.md).
    option.dist = "worksteal"
    option.tx = ["popen"] * workers
    return workers


def _user_workers(config: pytest.Config) -> int:
    numprocesses = getattr(config.option, "numprocesses", None)
    return numprocesses if isinstance(numprocesses, int) and numprocesses > 0 else 1


def schedule_long_tests_first(items: list[pytest.Item], config: pytest.Config) -> None:
    """Longest chains first (fuzzing, then per-plan lifecycles, then broker-wide checks), in
    a stable, deterministic order so that every xdist worker collects the same list. Among
    equals, checks that provision as their subject go first and checks that adopt an
    instance last: the instances the first leave as provisioned serve the checks that only
    need one (shared_instances.py), and then the ones that change or delete one."""
    items.sort(key=lambda item: (-_expected_weight(item),
                                 item.get_closest_marker("provisions") is None,
                                 item.get_closest_marker("adopts") is not None))
    workers = _worksteal_workers(config)
    if workers > 1:
        items[:] = _dealt(items, workers)


def _worksteal_workers(config: pytest.Config) -> int:
    worker_input = getattr(config, "workerinput", None)
    if worker_input is None or worker_input.get("osb_dist") != "worksteal":
        return 1
    return int(worker_input.get("workercount", 1))


def _dealt(items: list[pytest.Item], workers: int) -> list[pytest.Item]:
    """The order that makes worksteal run ``items`` in order across its workers.

    worksteal first hands each worker a contiguous slice of the list (the i-th of n
    workers gets a 1/(n-i) share of what is left); in list order, the adopting checks of
    every plan would all land in one worker's slice and start at once. Dealt like cards
    into slices of those sizes, each worker runs its share in the intended order.
    """
    sizes, left = [], len(items)
    for index in range(workers):
        sizes.append(left // (workers - index))
        left -= sizes[-1]
    slices: list[list[pytest.Item]] = [[] for _ in sizes]
    turn = 0
    for item in items:
        while len(slices[turn % workers]) >= sizes[turn % workers]:
            turn += 1
        slices[turn % workers].append(item)
        turn += 1
    return [item for share in slices for item in share]


def _expected_weight(item: pytest.Item) -> int:
    module = getattr(item, "module", None)
    name = getattr(module, "__name__", "")
    has_plan = "plan" in getattr(item, "fixturenames", ())
    if "fuzz" in name and has_plan:
        return 3
    return 2 if has_plan else 1
