"""The shape rules for instance and binding response fields."""

from __future__ import annotations

import pytest

from osb_conformance import response_shapes as shapes

GOOD_MOUNT = {"driver": "nfs", "container_dir": "/data", "mode": "rw", "device_type": "shared",
              "device": {"volume_id": "v1", "mount_config": {"uid": "1000"}}}


@pytest.mark.parametrize("body, bad", [
    ({}, False), ({"dashboard_url": None}, False), ({"dashboard_url": "http://x"}, False),
    ({"dashboard_url": 3}, True),
])
def test_dashboard_url(body: dict, bad: bool) -> None:
    assert (shapes.dashboard_url_problem(body) is not None) is bad


@pytest.mark.parametrize("body, bad", [
    ({}, False), ({"operation": None}, False), ({"operation": "x" * 10_000}, False),
    ({"operation": "x" * 10_001}, True), ({"operation": 5}, True),
])
def test_operation(body: dict, bad: bool) -> None:
    assert (shapes.operation_problem(body) is not None) is bad


def test_binding_operation_may_not_be_null() -> None:
    assert shapes.operation_problem({"operation": None}, null_allowed=False) is not None
    assert shapes.operation_problem({}, null_allowed=False) is None


@pytest.mark.parametrize("body, bad", [
    ({}, False), ({"metadata": {"labels": {"a": "b"}, "attributes": {}}}, False),
    ({"metadata": []}, True), ({"metadata": {"labels": ["a"]}}, True),
    ({"metadata": {"attributes": "x"}}, True),
])
def test_metadata(body: dict, bad: bool) -> None:
    assert (shapes.metadata_problem(body) is not None) is bad


@pytest.mark.parametrize("body, required, declared, bad", [
    ({}, False, False, False), ({}, True, True, True),
    ({"syslog_drain_url": "syslog://h"}, False, False, True),
    ({"syslog_drain_url": "syslog://h"}, True, True, False),
    ({"syslog_drain_url": 1}, True, True, True),
])
def test_required_string(body: dict, required: bool, declared: bool, bad: bool) -> None:
    problem = shapes.required_string_problem(body, "syslog_drain_url", required, declared)
    assert (problem is not None) is bad


@pytest.mark.parametrize("mounts, declared, bad", [
    (None, False, False), (None, True, True), ([GOOD_MOUNT], True, False),
    ([GOOD_MOUNT], False, True), ("x", True, True),
    ([{**GOOD_MOUNT, "mode": "x"}], True, True),
    ([{**GOOD_MOUNT, "device_type": "block"}], True, True),
    ([{**GOOD_MOUNT, "device": {}}], True, True),
    ([{**GOOD_MOUNT, "device": {"volume_id": "v", "mount_config": "x"}}], True, True),
    ([{k: v for k, v in GOOD_MOUNT.items() if k != "driver"}], True, True),
])
def test_volume_mounts(mounts: object, declared: bool, bad: bool) -> None:
    body = {} if mounts is None else {"volume_mounts": mounts}
    assert (shapes.volume_mounts_problem(body, declared) is not None) is bad


@pytest.mark.parametrize("endpoints, bad", [
    ([{"host": "db", "ports": ["5432"]}], False),
    ([{"host": "db", "ports": ["9000-9010"], "protocol": "udp"}], False),
    ([{"host": "db", "ports": ["5432"], "protocol": "all"}], False),
    ([{"host": "db", "ports": []}], True), ([{"host": "db", "ports": [5432]}], True),
    ([{"host": "db", "ports": ["10-9"]}], True), ([{"host": "db", "ports": ["70000"]}], True),
    ([{"ports": ["1"]}], True), ([{"host": "db", "ports": ["1"], "protocol": "sctp"}], True),
    ({"host": "db"}, True),
])
def test_endpoints(endpoints: object, bad: bool) -> None:
    assert (shapes.endpoints_problem({"endpoints": endpoints}) is not None) is bad


@pytest.mark.parametrize("metadata, bad", [
    ({"expires_at": "2019-12-31T23:59:59.0Z"}, False),
    ({"expires_at": "2019-12-31T23:59:59.123Z", "renew_before": "2019-12-30T00:00:00.0Z"},
     False),
    ({"expires_at": "2019-12-31T23:59:59Z"}, True),  # the pattern requires a fraction
    ({"expires_at": "2019-12-31 23:59:59.0Z"}, True), ({"renew_before": "tomorrow"}, True),
    ({"expires_at": "2019-12-31T23:59:59.0Z", "renew_before": "2020-01-01T00:00:00.0Z"},
     True),
    ({"expires_at": "2019-13-31T23:59:59.0Z"}, True),
])
def test_binding_metadata(metadata: dict, bad: bool) -> None:
    assert (shapes.binding_metadata_problem({"metadata": metadata}) is not None) is bad


def test_binding_information_fields() -> None:
    assert shapes.binding_information({"credentials": {}, "operation": "x"}) == ["credentials"]
    assert shapes.binding_information({"operation": "x"}) == []
