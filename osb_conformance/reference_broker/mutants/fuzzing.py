"""Mutants only fuzzing catches: defects that depend on parameter values, on malformed
bodies nobody wrote a fixed scenario for, or on the order of lifecycle steps."""

from __future__ import annotations

import json
from typing import Any

from ..http_types import Request, Response, error
from . import register

# The fixed seed the mutant self-test runs with (tests/test_fuzzing_seeds.py tries others).
SEEDED = ("--hypothesis-seed=0",)
PARAMETER_ROUTES = ("provision", "update", "bind")
SCHEMA_PATHS = {"provision": ("service_instance", "create"),
                "update": ("service_instance", "update"),
                "bind": ("service_binding", "create")}


def _body(request: Request) -> dict[str, Any] | None:
    try:
        body = json.loads(request.body or b"")
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def _parameters(request: Request) -> dict[str, Any] | None:
    if request.route not in PARAMETER_ROUTES:
        return None
    body = _body(request)
    parameters = body.get("parameters") if body else None
    return parameters if isinstance(parameters, dict) else None


def _plan_of(broker: Any, request: Request) -> dict[str, Any] | None:
    """The catalog plan a parameters request is about (from its body or its instance)."""
    instance = broker.state.instances.get(request.instance_id)
    plan_id = instance.plan_id if instance is not None else (_body(request) or {}).get("plan_id")
    return next((p for s in broker.catalog["services"] for p in s["plans"]
                 if p["id"] == plan_id), None)


def _schema_properties(broker: Any, request: Request) -> dict[str, Any]:
    plan = _plan_of(broker, request) or {}
    first, second = SCHEMA_PATHS[request.route]
    schema = ((plan.get("schemas") or {}).get(first) or {}).get(second, {}).get("parameters")
    return (schema or {}).get("properties") or {}


def _has_non_ascii(value: Any) -> bool:
    if isinstance(value, str):
        return not value.isascii()
    if isinstance(value, dict):
        return any(_has_non_ascii(k) or _has_non_ascii(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_non_ascii(v) for v in value)
    return False


def _non_ascii_500(broker: Any, request: Request) -> Response | None:
    parameters = _parameters(request)
    if parameters is not None and _has_non_ascii(parameters):
        return error(500, "'ascii' codec can't encode character")
    return None


register("fuzz-non-ascii-500", ("FUZZ-001", "ERR-010"),
         "a provision, update or bind whose parameters hold a non-ASCII string answers 500",
         before=_non_ascii_500, strict_only=True, options=SEEDED)


def _maximum_rejected(broker: Any, request: Request) -> Response | None:
    parameters = _parameters(request)
    if parameters is None:
        return None
    for name, prop in _schema_properties(broker, request).items():
        if "maximum" in prop and parameters.get(name) == prop["maximum"]:
            return error(400, f"invalid parameters: {name} is too large")
    return None


register("fuzz-maximum-rejected", "FUZZ-001",
         "a parameter value equal to its schema's maximum is refused with 400",
         before=_maximum_rejected, strict_only=True, options=SEEDED)


def _out_of_range_accepted(broker: Any, request: Request) -> Response | None:
    """Clamps values above the schema's maximum instead of refusing them."""
    body = _body(request)
    parameters = _parameters(request)
    if body is None or parameters is None:
        return None
    clamped = dict(parameters)
    for name, prop in _schema_properties(broker, request).items():
        value = clamped.get(name)
        if isinstance(value, (int, float)) and not isinstance(value, bool) \
                and "maximum" in prop and value > prop["maximum"]:
            clamped[name] = prop["maximum"]
    if clamped != parameters:
        request.body = json.dumps({**body, "parameters": clamped}).encode()
    return None


register("fuzz-out-of-range-accepted", ("FUZZ-002", "PROV-020", "BND-021"),
         "parameters above the schema's maximum are clamped and accepted, not refused",
         before=_out_of_range_accepted, strict_only=True,
         options=SEEDED)


def _enum_miss_500(broker: Any, request: Request) -> Response | None:
    parameters = _parameters(request)
    if parameters is None:
        return None
    for name, prop in _schema_properties(broker, request).items():
        if "enum" in prop and name in parameters and parameters[name] not in prop["enum"]:
            return error(500, f"KeyError: {parameters[name]!r}")
    return None


register("fuzz-enum-miss-500", ("ERR-001", "FUZZ-002"),
         "a parameter value outside its schema's enum answers 500 instead of 400",
         before=_enum_miss_500, options=SEEDED)


def _wrong_type_id_500(broker: Any, request: Request) -> Response | None:
    body = _body(request) if request.route == "provision" else None
    if body is None:
        return None
    for name in ("service_id", "plan_id"):
        value = body.get(name)
        if value is not None and not isinstance(value, str):
            return error(500, f"TypeError: unhashable type: {type(value).__name__}")
    return None


register("fuzz-wrong-type-id-500", ("FUZZ-003", "PROV-010"),
         "a provision whose service_id or plan_id is not a string answers 500",
         before=_wrong_type_id_500, options=SEEDED)


def _resend_after_failed_update_500(broker: Any, request: Request,
                                    response: Response) -> Response:
    """Forgets to reset an error flag: after a refused update, a provision resend fails."""
    failed: set[str] = broker.__dict__.setdefault("fuzz_failed_updates", set())
    if request.route == "update" and 400 <= response.status < 500:
        failed.add(request.instance_id)
    elif request.route == "provision" and request.instance_id in failed \
            and response.status in (200, 202):
        return error(500, "NoneType object has no attribute 'plan_id'")
    return response


register("fuzz-resend-after-failed-update-500", "FUZZ-004",
         "an identical provision resend after a refused update answers 500",
         after=_resend_after_failed_update_500, options=SEEDED)
