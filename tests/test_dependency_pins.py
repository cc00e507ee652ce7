"""When the ``hypothesis<6.170.10`` pin in pyproject.toml can go.

hypothesis-jsonschema 0.23.1 draws objects with Hypothesis internals: its object
strategy (``from_object_schema`` in ``_from_schema.py``) loops on
``cu.many(...).more()``. Hypothesis 6.170.10 dropped ``many.more``, so every schema
with ``"type": "object"`` fails with ``AttributeError: 'many' object has no attribute
'more'`` (reproduced in a throwaway virtualenv with hypothesis 6.170.10 and
hypothesis-jsonschema 0.23.1). These tests exercise that code path with the
installed versions and fail as soon as the pin is no longer needed, or no longer
enough.
"""

from __future__ import annotations

import inspect
import re
import tomllib
from importlib import metadata
from pathlib import Path

import hypothesis.internal.conjecture.utils as conjecture_utils
import hypothesis_jsonschema._from_schema as from_schema_module
from hypothesis import HealthCheck, given, settings
from hypothesis_jsonschema import from_schema

PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"
FIRST_BREAKING_HYPOTHESIS = (6, 170, 10)
# Objects are where hypothesis-jsonschema reaches into the internals.
OBJECT_SCHEMA = {"type": "object", "required": ["a"],
                 "properties": {"a": {"type": "integer"}, "b": {"type": "string"}}}


def _pins() -> dict[str, str]:
    dependencies = tomllib.loads(PYPROJECT.read_text())["project"]["dependencies"]
    pins = {}
    for line in dependencies:
        name, spec = re.match(r"([A-Za-z0-9_.-]+)\s*(.*)", line).groups()  # type: ignore[union-attr]
        pins[name.lower()] = spec.replace(" ", "")
    return pins


def _version(name: str) -> tuple[int, ...]:
    return tuple(int(p) for p in re.findall(r"\d+", metadata.version(name))[:3])


def _calls_many_more() -> bool:
    return ".more()" in inspect.getsource(from_schema_module)


def test_object_schemas_generate_with_the_installed_hypothesis() -> None:
    @settings(max_examples=20, database=None, deadline=None,
              suppress_health_check=list(HealthCheck))
    @given(from_schema(OBJECT_SCHEMA))
    def generates(value: dict) -> None:
        assert isinstance(value, dict) and isinstance(value["a"], int)

    generates()


def test_installed_hypothesis_offers_what_hypothesis_jsonschema_calls() -> None:
    if _calls_many_more():
        assert hasattr(conjecture_utils.many, "more"), (
            "hypothesis-jsonschema calls many.more(), which this Hypothesis lacks: "
            "keep hypothesis below 6.170.10")


def test_the_upper_pin_is_there_exactly_while_it_is_needed() -> None:
    pins = _pins()
    capped = "<6.170.10" in pins["hypothesis"]
    if _calls_many_more():
        assert capped, "hypothesis-jsonschema still calls many.more(): pin hypothesis<6.170.10"
        assert pins["hypothesis-jsonschema"] == "==0.23.1", (
            "the hypothesis cap was checked against hypothesis-jsonschema 0.23.1 only; "
            "check the new version's source for Hypothesis internals before changing it")
        assert _version("hypothesis") < FIRST_BREAKING_HYPOTHESIS
    else:
        assert not capped, (
            "the installed hypothesis-jsonschema no longer calls many.more(): the "
            "hypothesis<6.170.10 cap in pyproject.toml can go")


def test_installed_versions_satisfy_the_pins() -> None:
    assert metadata.version("hypothesis-jsonschema") == "0.23.1"
    assert (6, 100) <= _version("hypothesis") < FIRST_BREAKING_HYPOTHESIS
