"""The run's settings: command-line options with environment-variable fallbacks."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .config_file import read_config_file
from .fuzzing.budget import FuzzBudget

SUPPORTED_API_VERSIONS = ("2.13", "2.14", "2.15", "2.16", "2.17")
# One asynchronous operation may take this long (a plan's maximum_polling_duration, when
# smaller, wins): databases and clusters take minutes to provision, some twenty and more.
DEFAULT_POLL_TIMEOUT = 1800.0
# The longest chain of operations one test waits for in a row (create, change, bind, unbind,
# delete share a test at most four deep), plus time for its quick requests.
OPERATIONS_PER_TEST = 4
TEST_TIME_FOR_REQUESTS = 120.0
PLATFORMS = ("cloudfoundry", "kubernetes")


@dataclass(frozen=True)
class RunConfig:
    """What an operator tells the suite about their broker (``--osb-config`` file)."""

    include_services: tuple[str, ...] = ()
    skip_services: tuple[str, ...] = ()
    include_plans: tuple[str, ...] = ()
    skip_plans: tuple[str, ...] = ()
    parameters: dict[str, dict[str, Any]] = field(default_factory=dict)  # provision, per plan
    update_parameters: dict[str, dict[str, Any]] = field(default_factory=dict)
    bind_parameters: dict[str, dict[str, Any]] = field(default_factory=dict)
    bind_resource: dict[str, Any] = field(default_factory=dict)
    context: dict[str, Any] = field(default_factory=dict)
    known_deviations: str | None = None  # path, relative to the config file's folder

    @classmethod
    def load(cls, path: str | None) -> RunConfig:
        """Read a YAML or JSON file (refused unless it fits ``specs/config.schema.json``);
        an absent path gives the defaults."""
        if not path:
            return cls()
        data = read_config_file(path)
        services = data.get("services", {}) or {}
        plans = data.get("plans", {}) or {}
        return cls(
            include_services=tuple(services.get("include", ()) or ()),
            skip_services=tuple(services.get("skip", ()) or ()),
            include_plans=tuple(plans.get("include", ()) or ()),
            skip_plans=tuple(plans.get("skip", ()) or ()),
            parameters=dict(data.get("parameters", {}) or {}),
            update_parameters=dict(data.get("update_parameters", {}) or {}),
            bind_parameters=dict(data.get("bind_parameters", {}) or {}),
            bind_resource=dict(data.get("bind_resource", {}) or {}),
            context=dict(data.get("context", {}) or {}),
            known_deviations=_beside(path, data.get("known_deviations")),
        )


@dataclass(frozen=True)
class Settings:
    """Everything the client, fixtures and checks need to know about the run."""

    broker_url: str
    username: str | None = None
    password: str | None = None
    token: str | None = None
    api_version: str = "2.17"
    timeout: float = 10.0
    poll_timeout: float = DEFAULT_POLL_TIMEOUT
    poll_interval: float = 0.2  # first pause; grows x1.5 to 2 s (the embedded broker: 0.05)
    strict: bool = False
    certify: bool = False  # --osb-certify: applicable MUSTs must all be exercised
    platform: str = "cloudfoundry"
    report_json: str | None = None
    verify: bool | str = True  # False (--broker-insecure) or a CA bundle path
    client_cert: tuple[str, str] | str | None = None
    run_config: RunConfig = field(default_factory=RunConfig)
    fuzz: FuzzBudget = field(default_factory=FuzzBudget)  # --osb-fuzz, seed
    test_timeout: float = 300.0  # per test (setup + call); cleanup has its own bounds
    keep_resources: bool = False  # --osb-keep-resources: no cleanup, listed loudly
    max_instances: int | None = None  # live instances at any moment, this process's share
    known_deviations: str | None = None  # the known-deviations file (known_deviations.py)
    strict_known: bool = False  # --osb-strict-known: stale known-deviation entries fail
    report_md: str | None = None  # --osb-report-md: the Markdown summary

    @property
    def has_credentials(self) -> bool:
        return bool(self.token or (self.username is not None and self.password is not None))

    @property
    def secrets(self) -> list[str]:
        """Strings that must never appear in output."""
        return [s for s in (self.password, self.token) if s]


def default_test_timeout(poll_timeout: float) -> float:
    """The per-test bound that fits the polling bound: a test may wait for a few
    operations in a row, each up to the polling bound."""
    return max(300.0, OPERATIONS_PER_TEST * poll_timeout + TEST_TIME_FOR_REQUESTS)
def _beside(config_path: str, path: str | None) -> str | None:
    """A path named in the config file, read relative to that file's folder."""
    if not path:
        return None
    return str(Path(config_path).parent / Path(path).expanduser())


def option_or_env(config: Any, option: str, env: str, default: Any = None) -> Any:
    """A command-line option's value, else the environment variable's, else the default."""
    value = config.getoption(option)
    if value is None:
        value = os.environ.get(env, default)
    return value
