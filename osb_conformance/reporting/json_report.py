"""The JSON conformance report (see ``specs/report.schema.json``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..redaction import redact, redact_text
from ..requirements import load_catalogue
from .cost import cost_summary
from .known import json_section
from .results import requirement_outcomes
from .run_info import run_info

REPORT_FORMAT = 1


def build_report(run: Any, session: Any = None) -> dict[str, Any]:
    """The whole report as JSON-ready data; every string has been through redaction."""
    catalogue = load_catalogue()
    results = []
    for result in sorted(run.results.results, key=lambda r: r["nodeid"]):
        ids = result["requirements"]
        results.append({
            "nodeid": result["nodeid"],
            "requirements": ids,
            "levels": sorted({catalogue[i].level for i in ids}),
            "outcome": str(result["outcome"]),
            "service": result["service"],
            "plan": result["plan"],
            "message": redact_text(result["message"]) if result["message"] else None,
            "findings": redact(result["findings"]),
            "transcript": redact(result["transcript"]),
            "duration": round(result["duration"], 4),
            "created": result["created"],
        })
    verdict = run.verdict()
    return {
        "format": REPORT_FORMAT,
        "run": run_info(run),
        "summary": run.results.counts(),
        "verdict": verdict.text,
        "coverage": {"applicable": len(verdict.coverage.applicable),
                     "exercised": len(verdict.coverage.exercised),
                     "not_exercised": redact(verdict.coverage.not_exercised),
                     "exit_code": verdict.exit_code},
        "requirements": requirements_section(run.results.results,
                                             run.settings.api_version),
        "results": results,
        "leftovers": redact(run.leftovers),
        "cost": cost_summary(run),
        "known_deviations": redact(json_section(run)),
    }


def requirements_section(results: list[dict[str, Any]], api_version: str) -> dict[str, Any]:
    """Per requirement the run's tests name: its level, area, spec link, outcome (from its
    own findings; NOT EXERCISED or N/A with a ``reason`` without any) and tests."""
    catalogue = load_catalogue()
    return {
        rid: {"level": catalogue[rid].level, "area": catalogue[rid].area,
              "url": catalogue[rid].url(api_version), **redact(entry)}
        for rid, entry in requirement_outcomes(results).items() if rid in catalogue
    }


def write_json_report(path: str, run: Any, session: Any = None) -> None:
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(build_report(run, session), indent=2, ensure_ascii=False),
                      encoding="utf-8")
