"""Load safety: how many instances may be live at once, and what a run would provision.

``--osb-max-instances N`` bounds the instances the suite holds at any moment. Under
pytest-xdist each worker gets an equal share (``N // workers``), so the sum never
exceeds N; fewer than one per worker is a usage error.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from .catalog import Plan
from .ledger import Ledger
from .settings import Settings

CAPACITY_SKIP = "N/A: --osb-max-instances"  # how a test skipped for capacity starts


def instance_share(config: pytest.Config) -> int | None:
    """This process's share of ``--osb-max-instances`` (None: unbounded)."""
    limit = config.getoption("--osb-max-instances")
    if limit is None:
        return None
    if limit < 1:
        raise pytest.UsageError("--osb-max-instances must be at least 1")
    worker_input = getattr(config, "workerinput", None)
    if worker_input is not None:
        return limit // int(worker_input.get("workercount", 1))
    workers = config.getoption("numprocesses", None)
    if isinstance(workers, int) and workers > limit:
        raise pytest.UsageError(
            f"--osb-max-instances {limit} is fewer than the {workers} xdist workers: each "
            f"worker needs room for one instance; use -n {limit} or fewer")
    return limit


def ensure_instance_capacity(ledger: Ledger, settings: Settings, instance_id: str) -> None:
    """Before a provision that may create ``instance_id``: N/A when the bound is reached.

    Counts every instance the ledger does not know to be deleted, including orphans of
    failed creates and leftovers cleanup could not delete: the broker may hold them all.
    """
    limit = settings.max_instances
    if limit is None:
        return
    live = {r.instance_id for r in ledger.live() if r.kind == "instance"}
    if instance_id in live or len(live) < limit:
        return
    pytest.skip(f"{CAPACITY_SKIP} allows {limit} live instance(s) here and "
                f"{len(live)} are live; this test needs another")


def planned_provisioning(items: list[pytest.Item], settings: Settings) -> list[str]:
    """Lines for ``--collect-only``: which plans the run would create instances of."""
    per_plan: Counter[str] = Counter()
    plans: dict[str, Plan] = {}
    other = 0
    for item in items:
        plan = _plan_of(item)
        if plan is None:
            other += 1
            continue
        per_plan[plan.label] += 1
        plans[plan.label] = plan
    lines = [f"osb-conformance would test {len(plans)} plan(s) "
             f"({sum(per_plan.values())} plan tests, {other} broker-wide tests):"]
    for label, count in sorted(per_plan.items()):
        plan = plans[label]
        kind = "async" if plan.maximum_polling_duration else "sync or async"
        lines.append(f"  {label}  service_id={plan.service.id} plan_id={plan.id}  "
                     f"{count} tests, each may provision instances ({kind}"
                     f"{', bindable: may bind' if plan.bindable else ''})")
    bound = settings.max_instances
    lines.append("  live instances at any moment: "
                 + (f"at most {bound} (--osb-max-instances)" if bound else "unbounded "
                    "(one test's own instances; they are deleted when it ends)"))
    if settings.keep_resources:
        lines.append("  --osb-keep-resources: NOTHING created will be deleted")
    return lines


def _plan_of(item: pytest.Item) -> Plan | None:
    callspec: Any = getattr(item, "callspec", None)
    plan = callspec.params.get("plan") if callspec is not None else None
    return plan if isinstance(plan, Plan) else None
