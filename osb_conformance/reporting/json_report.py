"""The JSON conformance report (see ``specs/report.schema.json``)."""

from __future__ import annotations

import datetime as dt
import json
import platform
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

from .. import __version__
from ..redaction import redact, redact_text
from ..requirements import load_catalogue

REPORT_FORMAT = 1


def build_report(hooks: Any, session: Any) -> dict[str, Any]:
    catalogue = load_catalogue()
    results = []
    for result in hooks.results.results:
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
            "transcript": result["transcript"],
            "duration": round(result["duration"], 4),
        })
    return {
        "format": REPORT_FORMAT,
        "run": run_info(hooks, session),
        "summary": hooks.results.counts(),
        "verdict": hooks.results.verdict(),
        "results": results,
        "leftovers": redact(hooks.leftovers),
    }


def run_info(hooks: Any, session: Any) -> dict[str, Any]:
    settings = hooks.run.settings
    return {
        "suite_version": __version__,
        "spec_version": settings.api_version,
        "broker_url": redact_text(settings.broker_url),
        "catalog_digest": hooks.run.catalog_digest,
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "platform_profile": settings.platform,
        "strict": settings.strict,
        "libraries": {name: _version(name) for name in
                      ("pytest", "httpx", "hypothesis", "jsonschema", "pytest-html")},
        "command_line": redact_text(" ".join(sys.argv)),
    }


def _version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def write_json_report(path: str, hooks: Any, session: Any) -> None:
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(build_report(hooks, session), indent=2, ensure_ascii=False),
                      encoding="utf-8")
