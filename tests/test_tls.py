"""TLS and bearer-token options against the reference broker served over HTTPS, with
certificates made for the test by ``trustme``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
import trustme

from osb_conformance.reference_broker.server import TLSFiles
from tests.suite_runner import SuiteRun, run_suite_inprocess

CHECKS = "--osb-requirements=CAT-001"
TOKEN = "osbc-bearer-6f1d2c9a7b"


@dataclass
class Certificates:
    ca: Path  # the CA that signed the broker's certificate
    other_ca: Path  # a CA that did not
    server: TLSFiles
    client_cert: Path
    client_key: Path
    client_ca: Path


@pytest.fixture
def certificates(tmp_path: Path) -> Certificates:
    ca, other, clients = trustme.CA(), trustme.CA(), trustme.CA()
    server = ca.issue_cert("127.0.0.1")
    client = clients.issue_cert("osb-conformance.client.test")
    files = {
        "ca.pem": ca.cert_pem, "other-ca.pem": other.cert_pem,
        "client-ca.pem": clients.cert_pem, "server-key.pem": server.private_key_pem,
        "client-key.pem": client.private_key_pem,
    }
    for name, blob in files.items():
        blob.write_to_path(str(tmp_path / name))
    for name, issued in (("server.pem", server), ("client.pem", client)):
        for blob in issued.cert_chain_pems:
            blob.write_to_path(str(tmp_path / name), append=True)
    return Certificates(
        ca=tmp_path / "ca.pem", other_ca=tmp_path / "other-ca.pem",
        server=TLSFiles(str(tmp_path / "server.pem"), str(tmp_path / "server-key.pem")),
        client_cert=tmp_path / "client.pem", client_key=tmp_path / "client-key.pem",
        client_ca=tmp_path / "client-ca.pem",
    )


def run(pytester: pytest.Pytester, url: str, *args: str, **auth: str | None) -> SuiteRun:
    return run_suite_inprocess(pytester, url, CHECKS, *args, **auth)  # type: ignore[arg-type]


def assert_conformant(result: SuiteRun) -> None:
    assert result.exit_code == 0, result.output
    assert result.summary["PASS"] > 0 and result.summary["FAIL"] == 0, result.output


def assert_one_tls_error(result: SuiteRun, reason: str) -> None:
    assert result.exit_code == 2, result.output
    assert "cannot read the broker's catalog" in result.output, result.output
    assert reason in result.output, result.output
    assert "Traceback" not in result.output


def test_broker_certificate_verified_with_the_ca_bundle(
    certificates: Certificates, start_broker, pytester: pytest.Pytester
) -> None:
    broker = start_broker(tls=certificates.server)
    assert broker.url.startswith("https://127.0.0.1:")
    assert_conformant(run(pytester, broker.url, f"--broker-ca-bundle={certificates.ca}"))


def test_broker_certificate_from_an_unknown_ca_stops_the_run_with_one_clear_error(
    certificates: Certificates, start_broker, pytester: pytest.Pytester
) -> None:
    broker = start_broker(tls=certificates.server)
    result = run(pytester, broker.url, f"--broker-ca-bundle={certificates.other_ca}")
    assert_one_tls_error(result, "CERTIFICATE_VERIFY_FAILED")
    assert_one_tls_error(run(pytester, broker.url), "CERTIFICATE_VERIFY_FAILED")


def test_insecure_skips_verification_and_warns(
    certificates: Certificates, start_broker, pytester: pytest.Pytester
) -> None:
    broker = start_broker(tls=certificates.server)
    result = run(pytester, broker.url, "--broker-insecure")
    assert_conformant(result)
    assert "--broker-insecure: the broker's TLS certificate is NOT verified" in result.output


def test_client_certificate_required_and_provided(
    certificates: Certificates, start_broker, pytester: pytest.Pytester
) -> None:
    files = certificates.server
    broker = start_broker(tls=TLSFiles(files.certfile, files.keyfile,
                                       str(certificates.client_ca)))
    trust = f"--broker-ca-bundle={certificates.ca}"
    assert_conformant(run(pytester, broker.url, trust,
                          f"--broker-client-cert={certificates.client_cert}",
                          f"--broker-client-key={certificates.client_key}"))
    refused = run(pytester, broker.url, trust)
    assert refused.exit_code == 2 and "cannot read the broker's catalog" in refused.output


def test_unreadable_tls_file_is_a_usage_error(
    reference_broker, pytester: pytest.Pytester, tmp_path: Path
) -> None:
    result = run(pytester, reference_broker.url,
                 f"--broker-ca-bundle={tmp_path / 'missing.pem'}")
    assert result.exit_code == pytest.ExitCode.USAGE_ERROR, result.output
    assert "cannot use the TLS files given" in result.output


def test_bearer_token_accepted_and_never_shown(start_broker, pytester: pytest.Pytester) -> None:
    broker = start_broker(token=TOKEN)
    result = run(pytester, broker.url, f"--broker-token={TOKEN}",
                 "--osb-requirements=CAT-001,AUTH-002", username=None, password=None)
    assert_conformant(result)
    assert TOKEN not in result.output
    assert TOKEN not in (pytester.path / "report.json").read_text()
    wrong = run(pytester, broker.url, "--broker-token=osbc-wrong-token", username=None,
                password=None)
    assert wrong.exit_code == 2 and "401" in wrong.output


@pytest.mark.parametrize(("url", "graded"), [
    ("https://broker.example", None), ("http://127.0.0.1:8080", None),
    ("http://localhost:8080", None), ("http://[::1]:8080", None),
    ("http://broker.example", "http"), ("http://10.0.0.7:8080", "http")])
def test_plain_http_is_graded_unless_loopback(url: str, graded: str | None) -> None:
    """AUTH-004B's TLS half is graded, not only recorded (issue 11)."""
    from osb_conformance.scenarios.test_authentication import plain_http_problem

    problem = plain_http_problem(url)
    assert (problem is None) == (graded is None)
    if graded:
        assert graded in problem and "not over TLS" in problem
