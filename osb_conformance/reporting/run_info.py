"""What a report says about the run itself: versions, broker, catalog, command line."""

from __future__ import annotations

import datetime as dt
import platform
import sys
from importlib import metadata
from typing import Any

from .. import __version__
from ..redaction import redact_command_line, url_without_credentials
from .features import detected_features

LIBRARIES = ("pytest", "httpx", "hypothesis", "hypothesis-jsonschema", "jsonschema",
             "pytest-html", "pytest-xdist")


def run_info(run: Any) -> dict[str, Any]:
    """The run information both the JSON and the HTML report show."""
    settings = run.settings
    return {
        "suite_version": __version__,
        "spec_version": settings.api_version,
        "broker_url": url_without_credentials(settings.broker_url),
        "catalog_digest": run.catalog_digest,
        "features": detected_features(run.catalog),
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "platform_profile": settings.platform,
        "strict": settings.strict,
        "libraries": {name: _version(name) for name in LIBRARIES},
        "command_line": redact_command_line(_command_line(run.config)),
    }


def _command_line(config: Any) -> list[str]:
    # What the user typed (pytest's own args), not an xdist worker's argv.
    arguments = list(getattr(config.invocation_params, "args", ()) or sys.argv[1:])
    return ["pytest", *arguments]


def _version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None
