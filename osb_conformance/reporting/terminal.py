"""The terminal summary: SHOULD warnings, leftovers, and one machine-checkable verdict line."""

from __future__ import annotations

from typing import Any

from ..redaction import redact_text
from .cost import cost_lines, cost_summary
from .known import write_terminal_section

VERDICT_PREFIX = "OSB-CONFORMANCE VERDICT:"


def verdict_line(run: Any) -> str:
    counts = run.results.counts()
    known = f" known={counts['KNOWN']}" if run.known is not None else ""
    return (
        f"{VERDICT_PREFIX} {run.verdict().headline()} "
        f"pass={counts['PASS']} fail={counts['FAIL']} warn={counts['WARN']} "
        f"na={counts['N/A']} info={counts['INFO']} error={counts['ERROR']}{known}"
    )


def write_summary(terminal: Any, run: Any) -> None:
    warnings = run.results.warnings()
    if warnings:
        terminal.section("OSB SHOULD-level warnings", sep="-", yellow=True)
        for finding in warnings:
            terminal.line(redact_text(
                f"WARN {finding['requirement']} ({finding['level']}) {finding['nodeid']}: "
                f"{finding['expectation']} expected {finding['expected']}, "
                f"observed {finding['observed']}"))
    write_terminal_section(terminal, run)
    leftovers = run.leftovers
    kept = run.settings.keep_resources
    title = "OSB cleanup SKIPPED (--osb-keep-resources)" if kept else "OSB cleanup"
    terminal.section(title, sep="-", red=bool(leftovers), green=not leftovers)
    cost = cost_summary(run)
    if leftovers:
        terminal.line(f"{len(leftovers)} resource(s) KEPT on the broker on purpose: delete them "
                      f"yourself:" if kept else
                      f"{len(leftovers)} resource(s) could NOT be deleted:", red=True)
        for resource in leftovers:
            terminal.line(redact_text(
                f"  {resource['kind']} instance_id={resource['instance_id']} "
                f"binding_id={resource['binding_id']} plan {resource.get('plan_label')} "
                f"service_id={resource['service_id']} plan_id={resource['plan_id']}: "
                f"{resource['problem']}"))
    else:
        terminal.line(f"everything the suite created was deleted "
                      f"({cost['created_total']} instances and bindings)")
    terminal.section("OSB cost", sep="-")
    for line in cost_lines(cost):
        terminal.line(line)
    write_coverage(terminal, run)
    fuzz = run.settings.fuzz
    if fuzz.enabled:
        terminal.line(f"fuzzing: {fuzz.mode}, seed {fuzz.seed} "
                      f"(repeat with --hypothesis-seed={fuzz.seed})")
    # The verdict line itself comes last of all, after pytest's counts (write_verdict).


def write_verdict(terminal: Any, run: Any) -> None:
    """The run's last terminal line: one machine-checkable verdict."""
    terminal.write_line(verdict_line(run), bold=True)


def write_coverage(terminal: Any, run: Any) -> None:
    """Below full coverage: which applicable requirements no finding speaks about, and why."""
    verdict = run.verdict()
    missing = verdict.coverage.not_exercised
    if not missing:
        return
    terminal.section("OSB requirements not exercised", sep="-", yellow=True)
    terminal.line(f"{verdict.coverage.phrase()}; not exercised:")
    by_reason: dict[str, list[str]] = {}
    for rid, reason in missing.items():
        by_reason.setdefault(reason, []).append(rid)
    for reason, ids in sorted(by_reason.items(), key=lambda item: -len(item[1])):
        terminal.line(redact_text(f"  {', '.join(ids)}: {reason}"))
    musts = verdict.coverage.missing_musts()
    if run.settings.certify and musts:
        terminal.line(f"--osb-certify: NOT certified: applicable MUST requirements were not "
                      f"exercised: {', '.join(musts)}", red=True)
