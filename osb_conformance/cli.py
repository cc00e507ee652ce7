"""The ``osb-conformance`` command: ``diff OLD.json NEW.json`` and
``known-deviations REPORT.json``.

The diff compares two JSON reports requirement by requirement and lists what regressed,
what was fixed, what is new and what is no longer checked. It exits 1 when something
regressed, so CI can gate on it. ``known-deviations`` prints a known-deviations file
covering a report's current FAIL/WARN findings, so a team starts where it stands.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .known_deviations import GENERATED_DAYS, file_for_report
from .reporting.results import requirement_outcomes

# How bad an outcome is for a diff: passing, warning, failing. A requirement that lost its
# evidence (NOT EXERCISED) is CHANGED, not REGRESSED, like one no longer checked (GONE).
# KNOWN ranks with FAIL: a waiver is not a fix, so FAIL -> KNOWN is no improvement.
_RANK = {"PASS": 0, "INFO": 0, "N/A": 0, "NOT EXERCISED": 0, "WARN": 1, "FAIL": 2,
         "ERROR": 2, "KNOWN": 2}
EXIT_REGRESSED = 1
EXIT_UNREADABLE = 2


@dataclass(frozen=True)
class Change:
    kind: str  # REGRESSED, FIXED, NEW, GONE, CHANGED
    requirement: str
    level: str
    old: str | None
    new: str | None
    tests: tuple[str, ...] = ()

    def line(self) -> str:
        movement = f"{self.old or '-'} -> {self.new or '-'}"
        where = f"  [{', '.join(self.tests[:3])}{' ...' if len(self.tests) > 3 else ''}]" \
            if self.tests and self.kind in ("REGRESSED", "NEW") else ""
        return f"{self.kind:<9} {self.requirement:<10} {self.level:<10} {movement}{where}"


def requirements_of(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Per requirement outcome, level and tests (computed from results for older reports)."""
    if "requirements" in report:
        return report["requirements"]
    levels = {}
    for result in report.get("results", []):
        for finding in result.get("findings", []):
            levels[finding["requirement"]] = finding["level"]
    return {rid: {**entry, "level": levels.get(rid, "?")}
            for rid, entry in requirement_outcomes(report.get("results", [])).items()}


def diff_reports(old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    """The changes from ``old`` to ``new``, regressions first."""
    before, after = requirements_of(old), requirements_of(new)
    changes = []
    for rid in sorted(set(before) | set(after)):
        was, now = before.get(rid), after.get(rid)
        level = (now or was or {}).get("level", "?")
        tests = tuple(t for t in (now or {}).get("tests", []))
        if was is None:
            changes.append(Change("NEW", rid, level, None, now["outcome"], tests))  # type: ignore[index]
        elif now is None:
            changes.append(Change("GONE", rid, level, was["outcome"], None))
        elif was["outcome"] != now["outcome"]:
            kind = _movement(was["outcome"], now["outcome"])
            changes.append(Change(kind, rid, level, was["outcome"], now["outcome"], tests))
    order = ["REGRESSED", "FIXED", "NEW", "GONE", "CHANGED"]
    return sorted(changes, key=lambda c: (order.index(c.kind), c.requirement))


def _movement(old: str, new: str) -> str:
    worse = _RANK.get(new, 2) - _RANK.get(old, 2)
    return "REGRESSED" if worse > 0 else "FIXED" if worse < 0 else "CHANGED"


def render(changes: list[Change], old: dict[str, Any], new: dict[str, Any],
           names: tuple[str, str]) -> str:
    lines = [f"old: {names[0]}: {_headline(old)}", f"new: {names[1]}: {_headline(new)}", ""]
    lines += [c.line() for c in changes] or ["no requirement changed its outcome"]
    counts = {k: sum(c.kind == k for c in changes)
              for k in ("REGRESSED", "FIXED", "NEW", "GONE", "CHANGED")}
    lines += ["", f"{counts['REGRESSED']} regressed, {counts['FIXED']} fixed, "
                  f"{counts['NEW']} new, {counts['GONE']} no longer checked, "
                  f"{counts['CHANGED']} changed otherwise"]
    return "\n".join(lines)


def _headline(report: dict[str, Any]) -> str:
    run = report.get("run", {})
    return (f"{report.get('verdict', '?')} (OSB API {run.get('spec_version', '?')}, "
            f"{run.get('date', '?')}, catalog {str(run.get('catalog_digest'))[:19]})")


def _load(path: str) -> dict[str, Any]:
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    if not isinstance(data, dict) or "results" not in data:
        raise ValueError("not an osb-conformance JSON report")
    return data


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="osb-conformance",
                                     description="Tools around osb-conformance reports.")
    commands = parser.add_subparsers(dest="command", required=True)
    diff = commands.add_parser("diff", help="compare two JSON reports, per requirement; "
                                            "exit 1 when something regressed")
    diff.add_argument("old", help="the earlier JSON report (--osb-report-json)")
    diff.add_argument("new", help="the later JSON report")
    known = commands.add_parser(
        "known-deviations", help="print a known-deviations file (YAML) covering a JSON "
                                 "report's FAIL/WARN findings")
    known.add_argument("report", help="a JSON report (--osb-report-json)")
    known.add_argument("--days", type=int, default=GENERATED_DAYS,
                       help=f"entries expire this many days from today ({GENERATED_DAYS})")
    known.add_argument("--owner", default=None, help="owner of every entry (else a TODO)")
    arguments = parser.parse_args(argv)
    if arguments.command == "known-deviations":
        return _known_deviations(arguments)
    try:
        old, new = _load(arguments.old), _load(arguments.new)
    except (OSError, ValueError) as exc:
        print(f"osb-conformance diff: {exc}", file=sys.stderr)
        return EXIT_UNREADABLE
    changes = diff_reports(old, new)
    print(render(changes, old, new, (arguments.old, arguments.new)))
    return EXIT_REGRESSED if any(c.kind == "REGRESSED" for c in changes) else 0


def _known_deviations(arguments: argparse.Namespace) -> int:
    try:
        report = _load(arguments.report)
    except (OSError, ValueError) as exc:
        print(f"osb-conformance known-deviations: {exc}", file=sys.stderr)
        return EXIT_UNREADABLE
    today = dt.datetime.now(dt.UTC).date()
    sys.stdout.write(file_for_report(report, today, days=arguments.days, owner=arguments.owner))
    return 0


if __name__ == "__main__":
    sys.exit(main())
