"""The terminal summary: SHOULD warnings, leftovers, and one machine-checkable verdict line."""

from __future__ import annotations

from typing import Any

from ..redaction import redact_text
from .known import verdict_note, write_terminal_section

VERDICT_PREFIX = "OSB-CONFORMANCE VERDICT:"


def verdict_line(run: Any) -> str:
    counts = run.results.counts()
    version = run.settings.api_version
    known = f" known={counts['KNOWN']}" if run.known is not None else ""
    return (
        f"{VERDICT_PREFIX} {run.results.verdict()}{verdict_note(run)} (OSB API {version}) "
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
    created = run.ledger.created_count()
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
        terminal.line(f"everything the suite created was deleted ({created} resources here)")
    fuzz = run.settings.fuzz
    if fuzz.enabled:
        terminal.line(f"fuzzing: {fuzz.mode}, seed {fuzz.seed} "
                      f"(repeat with --hypothesis-seed={fuzz.seed})")
    # The verdict line itself comes last of all, after pytest's counts (write_verdict).


def write_verdict(terminal: Any, run: Any) -> None:
    """The run's last terminal line: one machine-checkable verdict."""
    terminal.write_line(verdict_line(run), bold=True)
