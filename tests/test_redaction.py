"""The one module that knows secrets: what it removes, and what it leaves alone."""

from __future__ import annotations

import base64
import json

import pytest

from osb_conformance.redaction import (
    REDACTED,
    Redactor,
    is_secret_key,
    redact_command_line,
    url_without_credentials,
)


@pytest.fixture
def redactor() -> Redactor:
    return Redactor()


def test_authorization_header_keeps_only_the_scheme(redactor: Redactor) -> None:
    headers = {"Authorization": "Basic YWRtaW46c2VjcmV0", "X-Broker-API-Version": "2.17"}
    assert redactor.redact(headers) == {"Authorization": f"Basic {REDACTED}",
                                        "X-Broker-API-Version": "2.17"}
    assert redactor.redact({"authorization": "Bearer abc.def.ghi"}) == {
        "authorization": f"Bearer {REDACTED}"}


def test_originating_identity_value_is_removed(redactor: Redactor) -> None:
    value = "cloudfoundry " + base64.b64encode(b'{"user_id": "u-42"}').decode()
    assert redactor.redact({"X-Broker-API-Originating-Identity": value}) == {
        "X-Broker-API-Originating-Identity": REDACTED}
    text = redactor.redact_text(f"> X-Broker-API-Originating-Identity: {value}\n> Accept: x")
    assert value.split()[1] not in text and "> Accept: x" in text


def test_binding_credentials_are_removed_whole(redactor: Redactor) -> None:
    body = {"credentials": {"uri": "db://u:p@h/db", "username": "u1", "password": "p4ss-word"},
            "endpoints": [{"host": "127.0.0.1", "ports": ["5432"]}]}
    assert redactor.redact(body) == {"credentials": REDACTED,
                                     "endpoints": [{"host": "127.0.0.1", "ports": ["5432"]}]}


def test_dashboard_client_secret_is_removed(redactor: Redactor) -> None:
    service = {"dashboard_client": {"id": "client-1", "secret": "s3cr3t-value",
                                    "redirect_uri": "https://dash.example"}}
    assert redactor.redact(service) == {"dashboard_client": {
        "id": "client-1", "secret": REDACTED, "redirect_uri": "https://dash.example"}}


@pytest.mark.parametrize("key", ["secret", "client_secret", "password", "db_passwd", "token",
                                 "refresh_token", "api_key", "privateKey", "credential",
                                 "Credentials"])
def test_secret_looking_keys_anywhere(redactor: Redactor, key: str) -> None:
    data = {"outer": [{"inner": {key: "value-123"}}]}
    assert redactor.redact(data) == {"outer": [{"inner": {key: REDACTED}}]}
    assert is_secret_key(key)


@pytest.mark.parametrize("key", ["service_id", "plan_id", "name", "description", "state"])
def test_ordinary_keys_are_kept(redactor: Redactor, key: str) -> None:
    assert redactor.redact({key: "value-123"}) == {key: "value-123"}
    assert not is_secret_key(key)


def test_secrets_learnt_from_a_response_leave_free_text_too(redactor: Redactor) -> None:
    redactor.learn_from({"credentials": {"password": "learnt-pw-0042"}})
    message = "observed: the broker echoed learnt-pw-0042 in its error description"
    assert "learnt-pw-0042" not in redactor.redact_text(message)
    assert redactor.redact({"description": message})["description"].count(REDACTED) == 1


def test_known_literals_are_removed_but_short_ones_ignored(redactor: Redactor) -> None:
    redactor.add_literals(["run-password-77", "ab"])
    assert redactor.redact_text("pw run-password-77 in a message") == f"pw {REDACTED} in a message"
    assert redactor.redact_text("about ab") == "about ab"  # too short to be worth blanking


def test_free_text_forms(redactor: Redactor) -> None:
    text = redactor.redact_text(
        "Authorization: Basic YWRtaW46c2VjcmV0 then bearer abcdefghijkl, "
        "http://admin:hunter22@broker.example/v2 and password=hunter33")
    for secret in ("YWRtaW46c2VjcmV0", "abcdefghijkl", "hunter22", "hunter33"):
        assert secret not in text


def test_json_embedded_in_a_message(redactor: Redactor) -> None:
    message = "observed: 201 " + json.dumps({"credentials": {"password": "x1"}, "token": "t0k3n"})
    redacted = redactor.redact_text(message)
    assert "x1" not in redacted and "t0k3n" not in redacted and "201" in redacted


def test_command_line_in_both_option_forms() -> None:
    argv = ["pytest", "--broker-url=http://u:pw-in-url@h:1/", "--broker-password", "pw-sep-arg",
            "--broker-token=tok-eq-arg", "-k", "catalog and not slow"]
    shown = redact_command_line(argv)
    for secret in ("pw-in-url", "pw-sep-arg", "tok-eq-arg"):
        assert secret not in shown
    assert "--broker-password [REDACTED]" in shown and "'catalog and not slow'" in shown


def test_url_without_credentials() -> None:
    assert url_without_credentials("https://admin:pw@broker.example:8443/base?token=t&x=1") == (
        f"https://broker.example:8443/base?token={REDACTED}&x=1")
    assert url_without_credentials("http://127.0.0.1:8080") == "http://127.0.0.1:8080"


def test_a_variable_standing_for_a_secret_is_kept(redactor: Redactor) -> None:
    curl = 'curl -H "Authorization: Bearer $OSB_BROKER_TOKEN" -u "$OSB_BROKER_USERNAME:$P"'
    assert redactor.redact_text(curl) == curl
    assert "abcdefgh" not in redactor.redact_text('-H "Authorization: Bearer abcdefgh"')


def test_short_credential_values_only_as_whole_tokens(redactor: Redactor) -> None:
    """A binding credential {"port": "4000"} once blanked every "4000" of every report,
    the suite's own GUIDs included (issue 11, section 7)."""
    redactor.learn_from({"credentials": {"port": "4000", "user": "app1"}})
    guid = "1113aa00-0000-4000-8000-000000000001"
    assert redactor.redact_text(f"instance {guid}") == f"instance {guid}"
    assert redactor.redact_text("took 14000 ms, app10") == "took 14000 ms, app10"
    assert redactor.redact_text('{"port": "4000", "uri": "db://app1:x@h:4000/d"}') == (
        f'{{"port": "{REDACTED}", "uri": "db://{REDACTED}:x@h:{REDACTED}/d"}}')
    assert redactor.redact({"echo": "4000"}) == {"echo": REDACTED}


def test_long_credential_values_anywhere(redactor: Redactor) -> None:
    redactor.learn_from({"credentials": {"password": "p4ssw0rd-long"}})
    assert REDACTED in redactor.redact_text("prefix-p4ssw0rd-long-suffix")
