"""Platform to broker authentication (spec #platform-to-service-broker-authentication)."""

from __future__ import annotations

import pytest

from osb_conformance.checks import CheckRecorder
from osb_conformance.expectations import needs_credentials
from osb_conformance.platform import Platform

requirement = pytest.mark.requirement


@requirement("AUTH-001")
def test_catalog_without_credentials_is_401(platform: Platform, check: CheckRecorder) -> None:
    needs_credentials(platform)
    response = platform.client.catalog(auth=False)
    check("AUTH-001", response.status == 401, expected="401 Unauthorized",
          observed=response.describe())


@requirement("AUTH-002")
def test_catalog_with_wrong_password_is_401(platform: Platform, check: CheckRecorder) -> None:
    needs_credentials(platform)
    user = platform.settings.username or "osb-conformance"
    response = platform.client.catalog(auth=(user, "osbc-wrong-password"))
    check("AUTH-002", response.status == 401, expected="401 Unauthorized",
          observed=response.describe())
