"""Command-line options of the plugin, and the Settings they make."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from .concurrency import add_concurrency_option
from .fuzzing.budget import FUZZ_MODES, make_budget
from .load_safety import instance_share
from .settings import (
    DEFAULT_POLL_TIMEOUT,
    PLATFORMS,
    SUPPORTED_API_VERSIONS,
    RunConfig,
    Settings,
    default_test_timeout,
    option_or_env,
)

GROUP = "osb-conformance"


def add_options(parser: pytest.Parser) -> None:
    group = parser.getgroup(GROUP, "Open Service Broker API conformance")
    group.addoption("--broker-url", default=None,
                    help="Broker base URL, or 'reference' for the bundled reference broker "
                         "[env OSB_BROKER_URL]. Without it the plugin stays dormant.")
    group.addoption("--broker-username", default=None,
                    help="Basic-auth user [env OSB_BROKER_USERNAME]")
    group.addoption("--broker-password", default=None,
                    help="Basic-auth password [env OSB_BROKER_PASSWORD]")
    group.addoption("--broker-token", default=None,
                    help="Bearer token instead of basic auth [env OSB_BROKER_TOKEN]")
    group.addoption("--broker-api-version", default=None, choices=SUPPORTED_API_VERSIONS,
                    help="X-Broker-API-Version to test against (default 2.17) "
                         "[env OSB_BROKER_API_VERSION]")
    group.addoption("--broker-ca-bundle", default=None,
                    help="CA bundle to verify the broker's TLS certificate")
    group.addoption("--broker-client-cert", default=None, help="client certificate (PEM)")
    group.addoption("--broker-client-key", default=None, help="client certificate key (PEM)")
    group.addoption("--broker-insecure", action="store_true", default=False,
                    help="do not verify the broker's TLS certificate (warns)")
    group.addoption("--osb-timeout", type=float, default=None,
                    help="seconds per request (default 10) [env OSB_TIMEOUT]")
    group.addoption("--osb-poll-timeout", type=float, default=None,
                    help="upper bound in seconds on one asynchronous operation (default 1800; "
                         "a plan's smaller maximum_polling_duration wins) [env OSB_POLL_TIMEOUT]")
    group.addoption("--osb-poll-interval", type=float, default=None,
                    help="first pause between polls when the broker sends no Retry-After "
                         "(default 0.2 s, growing to 2 s; 0.05 s for --broker-url=reference)")
    group.addoption("--osb-strict", action="store_true", default=False,
                    help="SHOULD-level findings fail the run")
    group.addoption("--osb-platform", default=None, choices=PLATFORMS,
                    help="platform profile for context and originating identity "
                         "(default cloudfoundry)")
    group.addoption("--osb-report-json", default=None, metavar="PATH",
                    help="write the JSON conformance report here")
    group.addoption("--osb-config", default=None, metavar="FILE",
                    help="YAML/JSON: plans and services to include or skip, parameters per "
                         "plan, bind_resource and context overrides")
    group.addoption("--osb-requirements", default=None, metavar="IDS",
                    help="run only the checks of these requirement IDs (comma-separated)")
    group.addoption("--osb-test-timeout", type=float, default=None, metavar="SECONDS",
                    help="time bound per test: after it no further request is sent and the "
                         "test fails; cleanup still runs (default: 4 polling bounds + 120 s, "
                         "at least 300) [env OSB_TEST_TIMEOUT]")
    group.addoption("--osb-keep-resources", action="store_true", default=False,
                    help="do NOT delete what the suite created (for debugging a broker); "
                         "the ids are listed at the end and in the JSON report")
    group.addoption("--osb-max-instances", type=int, default=None, metavar="N",
                    help="at most N live instances at any moment (across xdist workers); a "
                         "test that would need more is N/A")
    group.addoption("--osb-services", default=None, metavar="NAMES",
                    help="test only these services (names or ids, comma-separated); "
                         "replaces the --osb-config include list")
    group.addoption("--osb-plans", default=None, metavar="NAMES",
                    help="test only these plans (service/plan labels, names or ids, "
                         "comma-separated); replaces the --osb-config include list")
    group.addoption("--osb-certify", action="store_true", default=False,
                    help="certification run: every check, no selection; writes "
                         "reports/<product>/<version>/ (HTML, JSON, JUnit, console log, "
                         "PRODUCT.yaml, SHA256SUMS)")
    group.addoption("--osb-product", default=None, metavar="FILE",
                    help="the vendor's PRODUCT.yaml for --osb-certify: vendor, name, version, "
                         "website, contact")
    group.addoption("--osb-fuzz", default=None, choices=FUZZ_MODES,
                    help="property-based fuzzing budget: off, quick (default) or thorough; "
                         "--hypothesis-seed=N repeats a run [env OSB_FUZZ]")
    add_concurrency_option(group)
    group.addoption("--osb-known-deviations", default=None, metavar="FILE",
                    help="YAML/JSON of accepted deviations (requirement, optional service/"
                         "plan, reason, owner or tracking link, expiry): the FAIL/WARN findings "
                         "they cover become KNOWN and do not fail the run; also the "
                         "known_deviations key of --osb-config")
    group.addoption("--osb-strict-known", action="store_true", default=False,
                    help="known-deviation entries that match no finding (STALE) fail the run")
    group.addoption("--osb-report-md", default=None, metavar="PATH",
                    help="write a short Markdown report here (for a CI job summary or a "
                         "pull-request comment)")
    group.addoption("--osb-fuzz-examples", type=int, default=None, metavar="N",
                    help="generated examples per fuzz property (overrides --osb-fuzz's count)")


def build_settings(config: pytest.Config, broker_url: str, **override: Any) -> Settings:
    """Settings from options, environment variables and defaults."""
    def get(option: str, env: str, default: Any) -> Any:
        return option_or_env(config, option, env, default)

    run_config = _selection(config, RunConfig.load(config.getoption("--osb-config")))
    poll_timeout = float(get("--osb-poll-timeout", "OSB_POLL_TIMEOUT", DEFAULT_POLL_TIMEOUT))
    cert = config.getoption("--broker-client-cert")
    key = config.getoption("--broker-client-key")
    values: dict[str, Any] = dict(
        broker_url=broker_url,
        username=get("--broker-username", "OSB_BROKER_USERNAME", None),
        password=get("--broker-password", "OSB_BROKER_PASSWORD", None),
        token=get("--broker-token", "OSB_BROKER_TOKEN", None),
        api_version=get("--broker-api-version", "OSB_BROKER_API_VERSION", "2.17"),
        timeout=float(get("--osb-timeout", "OSB_TIMEOUT", 10.0)),
        poll_timeout=poll_timeout,
        poll_interval=float(get("--osb-poll-interval", "OSB_POLL_INTERVAL", 0.2)),
        strict=bool(config.getoption("--osb-strict")),
        certify=bool(config.getoption("--osb-certify")),
        platform=get("--osb-platform", "OSB_PLATFORM", "cloudfoundry"),
        report_json=config.getoption("--osb-report-json"),
        verify=False if config.getoption("--broker-insecure")
        else config.getoption("--broker-ca-bundle") or True,
        client_cert=(cert, key) if cert and key else cert,
        run_config=run_config,
        test_timeout=float(get("--osb-test-timeout", "OSB_TEST_TIMEOUT",
                               default_test_timeout(poll_timeout))),
        keep_resources=bool(config.getoption("--osb-keep-resources")),
        max_instances=instance_share(config),
        fuzz=make_budget(get("--osb-fuzz", "OSB_FUZZ", None),
                         config.getoption("--osb-fuzz-examples"), _fuzz_seed(config)),
        known_deviations=config.getoption("--osb-known-deviations")
        or run_config.known_deviations,
        strict_known=bool(config.getoption("--osb-strict-known")),
        report_md=config.getoption("--osb-report-md"),
    )
    values.update(override)
    return Settings(**values)


def _selection(config: pytest.Config, run_config: RunConfig) -> RunConfig:
    """``--osb-services`` / ``--osb-plans`` replace the config file's include lists."""
    changes = {}
    for option, field_name in (("--osb-services", "include_services"),
                               ("--osb-plans", "include_plans")):
        value = config.getoption(option)
        if value:
            changes[field_name] = tuple(v.strip() for v in value.split(",") if v.strip())
    return dataclasses.replace(run_config, **changes) if changes else run_config


def _fuzz_seed(config: pytest.Config) -> object:
    """``--hypothesis-seed``, or the seed the xdist controller drew for the whole run."""
    seed = config.getoption("hypothesis_seed", None)
    if seed is None:
        seed = getattr(config, "workerinput", {}).get("osb_fuzz_seed")
    return seed
