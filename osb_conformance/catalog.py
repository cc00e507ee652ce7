"""The broker's catalog as a model: services, plans and the features they declare.

Parsing is tolerant on purpose: the catalog checks judge the shape; the model only
needs enough to derive scenarios, so a missing or mistyped field falls back to the
spec's default instead of crashing the run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Plan:
    """A service plan, with flags already resolved against its service (spec defaults)."""

    raw: dict[str, Any] = field(repr=False, compare=False)
    service: Service = field(repr=False, compare=False)
    id: str
    name: str

    @property
    def label(self) -> str:
        """``service/plan``: how tests and reports name the plan."""
        return f"{self.service.name}/{self.name}"

    @property
    def bindable(self) -> bool:
        return _bool(self.raw.get("bindable"), self.service.bindable)

    @property
    def plan_updateable(self) -> bool:
        return _bool(self.raw.get("plan_updateable"), self.service.plan_updateable)

    @property
    def binding_rotatable(self) -> bool:
        return _bool(self.raw.get("binding_rotatable"), False)

    @property
    def maximum_polling_duration(self) -> int | None:
        value = self.raw.get("maximum_polling_duration")
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    @property
    def maintenance_info(self) -> dict[str, Any] | None:
        value = self.raw.get("maintenance_info")
        return value if isinstance(value, dict) else None

    def schema(self, *path: str) -> dict[str, Any] | None:
        """A parameters schema, e.g. ``schema("service_instance", "create")``."""
        node: Any = self.raw.get("schemas")
        for key in (*path, "parameters"):
            if not isinstance(node, dict):
                return None
            node = node.get(key)
        return node if isinstance(node, dict) else None

    def other_plans(self) -> list[Plan]:
        """The other plans of the same service."""
        return [p for p in self.service.plans if p.id != self.id]


@dataclass(frozen=True)
class Service:
    """A service offering."""

    raw: dict[str, Any] = field(repr=False, compare=False)
    id: str
    name: str
    plans: tuple[Plan, ...] = field(default=(), compare=False)

    @property
    def bindable(self) -> bool:
        return _bool(self.raw.get("bindable"), False)

    @property
    def plan_updateable(self) -> bool:
        return _bool(self.raw.get("plan_updateable"), False)

    @property
    def instances_retrievable(self) -> bool:
        return _bool(self.raw.get("instances_retrievable"), False)

    @property
    def bindings_retrievable(self) -> bool:
        return _bool(self.raw.get("bindings_retrievable"), False)

    @property
    def allow_context_updates(self) -> bool:
        return _bool(self.raw.get("allow_context_updates"), False)

    @property
    def requires(self) -> tuple[str, ...]:
        value = self.raw.get("requires")
        return tuple(v for v in value if isinstance(v, str)) if isinstance(value, list) else ()


@dataclass(frozen=True)
class Catalog:
    """The whole catalog, as fetched once per run."""

    raw: Any = field(repr=False)
    services: tuple[Service, ...] = ()

    @classmethod
    def from_json(cls, data: Any) -> Catalog:
        services = []
        raw_services = data.get("services") if isinstance(data, dict) else None
        for raw_service in raw_services if isinstance(raw_services, list) else []:
            if isinstance(raw_service, dict):
                services.append(_service(raw_service))
        return cls(raw=data, services=tuple(services))

    @property
    def plans(self) -> list[Plan]:
        return [plan for service in self.services for plan in service.plans]

    def plan(self, plan_id: str) -> Plan | None:
        return next((p for p in self.plans if p.id == plan_id), None)


def _service(raw: dict[str, Any]) -> Service:
    service = Service(raw=raw, id=_str(raw.get("id")), name=_str(raw.get("name")))
    plans = tuple(
        Plan(raw=p, service=service, id=_str(p.get("id")), name=_str(p.get("name")))
        for p in (raw.get("plans") if isinstance(raw.get("plans"), list) else [])
        if isinstance(p, dict)
    )
    object.__setattr__(service, "plans", plans)  # plans point back at their service
    return service


def _bool(value: Any, default: bool) -> bool:
    return value if isinstance(value, bool) else default


def _str(value: Any) -> str:
    return value if isinstance(value, str) else str(value) if value is not None else ""
