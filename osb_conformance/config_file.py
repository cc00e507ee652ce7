"""Reading the ``--osb-config`` file: YAML or JSON, validated against
``specs/config.schema.json`` so that a misspelt key is refused instead of ignored."""

from __future__ import annotations

import functools
import json
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError


class ConfigError(pytest.UsageError):
    """The ``--osb-config`` file cannot be read or does not fit its schema (exit code 4)."""


@functools.cache
def config_schema() -> dict[str, Any]:
    text = resources.files("osb_conformance.specs").joinpath("config.schema.json").read_text(
        encoding="utf-8")
    return json.loads(text)


def read_config_file(path: str) -> dict[str, Any]:
    """The file's data, valid for the schema; else :class:`ConfigError` naming the problems."""
    try:
        text = Path(path).read_text(encoding="utf-8")
        data = json.loads(text) if path.endswith(".json") else yaml.safe_load(text)
    except (OSError, ValueError, yaml.YAMLError) as exc:
        raise ConfigError(f"--osb-config: cannot read {path}: {exc}") from None
    data = {} if data is None else data
    validator = Draft202012Validator(config_schema())
    problems = [_describe(error) for error in
                sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))]
    if problems:
        raise ConfigError(f"--osb-config {path}: " + "; ".join(problems))
    return data


def _describe(error: ValidationError) -> str:
    where = ".".join(str(p) for p in error.absolute_path) or "top level"
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        allowed = sorted(error.schema.get("properties", {}))
        unknown = sorted(set(error.instance) - set(allowed))
        return (f"unknown key(s) {', '.join(map(repr, unknown))} at {where}; "
                f"allowed: {', '.join(allowed)}")
    return f"{where}: {error.message}"
