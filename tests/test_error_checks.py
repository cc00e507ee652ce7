"""The error-body rules and route inference of osb_conformance.error_checks."""

from __future__ import annotations

import json

import pytest

from osb_conformance.error_checks import error_body_problems, is_json_media_type, route_of

JSON = "application/json"
BASE = "http://127.0.0.1:8080/v2/service_instances/i-1"


@pytest.mark.parametrize(("method", "url", "route"), [
    ("GET", "http://127.0.0.1:8080/v2/catalog", "catalog"),
    ("PUT", BASE, "provision"),
    ("PATCH", BASE + "?accepts_incomplete=true", "update"),
    ("GET", BASE, "fetch_instance"),
    ("DELETE", BASE + "?service_id=s&plan_id=p", "deprovision"),
    ("GET", BASE + "/last_operation?operation=x", "instance_last_operation"),
    ("PUT", BASE + "/service_bindings/b-1", "bind"),
    ("GET", BASE + "/service_bindings/b-1", "fetch_binding"),
    ("DELETE", BASE + "/service_bindings/b-1", "unbind"),
    ("GET", BASE + "/service_bindings/b-1/last_operation", "binding_last_operation"),
    ("POST", "http://127.0.0.1:8080/other", "unknown"),
])
def test_route_of(method: str, url: str, route: str) -> None:
    assert route_of(method, url) == route


def _failing(route: str, body: object, content_type: str | None = JSON) -> set[str]:
    text = body if isinstance(body, str) else json.dumps(body)
    return {rid for rid, problem in error_body_problems(route, text, content_type).items()
            if problem is not None}


def test_a_well_formed_error_has_no_problem() -> None:
    assert _failing("update", {"error": "ConcurrencyError", "description": "busy",
                               "instance_usable": True, "update_repeatable": False}) == set()
    assert _failing("deprovision", {"description": "gone wrong",
                                    "instance_usable": False}) == set()
    assert _failing("provision", "") == set()  # no body: nothing to judge


@pytest.mark.parametrize(("route", "body", "failing"), [
    ("provision", {"error": 42}, {"ERR-002A"}),
    ("provision", {"error": ""}, {"ERR-002A"}),
    ("provision", {"error": "bad request"}, {"ERR-002B"}),
    ("provision", {"error": "asyncRequired"}, {"ERR-006"}),
    ("bind", {"error": "CONCURRENCYERROR"}, {"ERR-006"}),
    ("bind", {"description": ""}, {"ERR-003"}),
    ("bind", {"description": None}, {"ERR-003"}),
    ("provision", {"instance_usable": True}, {"ERR-004A"}),
    ("update", {"instance_usable": "yes"}, {"ERR-004B"}),
    ("catalog", {"instance_usable": "yes"}, {"ERR-004A", "ERR-004B"}),
    ("deprovision", {"update_repeatable": True}, {"ERR-005A"}),
    ("update", {"update_repeatable": 1}, {"ERR-005B"}),
    ("unbind", ["not", "an", "object"], {"ERR-009"}),
])
def test_each_rule_flags_its_violation(route: str, body: object, failing: set[str]) -> None:
    assert _failing(route, body) == failing


def test_error_body_must_be_labelled_json() -> None:
    assert _failing("bind", {"description": "x"}, "text/plain") == {"ERR-009"}
    assert _failing("bind", "not json", JSON) == {"ERR-009"}
    assert _failing("bind", {"description": "x"}, "application/json; charset=utf-8") == set()


def test_json_media_type() -> None:
    assert is_json_media_type("Application/JSON;charset=UTF-8")
    assert not is_json_media_type("application/problem+json")
    assert not is_json_media_type(None)
