"""The optional OSB features a broker's catalog declares, named for the reports."""

from __future__ import annotations

from ..catalog import Catalog, Plan

# (feature name, test on a plan) in the order the reports list them.
_PLAN_FEATURES = [
    ("bindable", lambda p: p.bindable),
    ("plan updates", lambda p: p.plan_updateable),
    ("instances retrievable", lambda p: p.service.instances_retrievable),
    ("bindings retrievable", lambda p: p.service.bindings_retrievable),
    ("context updates", lambda p: p.service.allow_context_updates),
    ("binding rotation", lambda p: p.binding_rotatable),
    ("maintenance_info", lambda p: p.maintenance_info is not None),
    ("maximum_polling_duration", lambda p: p.maximum_polling_duration is not None),
    ("instance parameter schemas", lambda p: bool(p.schema("service_instance", "create"))),
    ("binding parameter schemas", lambda p: bool(p.schema("service_binding", "create"))),
    ("dashboard client", lambda p: isinstance(p.service.raw.get("dashboard_client"), dict)),
    ("route services", lambda p: "route_forwarding" in p.service.requires),
    ("syslog drains", lambda p: "syslog_drain" in p.service.requires),
    ("volume mounts", lambda p: "volume_mount" in p.service.requires),
]


def detected_features(catalog: Catalog | None) -> dict[str, list[str]]:
    """Feature name -> the ``service/plan`` labels that declare it (only features present)."""
    if catalog is None:
        return {}
    features: dict[str, list[str]] = {}
    for name, declared in _PLAN_FEATURES:
        plans = [plan.label for plan in catalog.plans if _safe(declared, plan)]
        if plans:
            features[name] = plans
    return features


def _safe(declared, plan: Plan) -> bool:  # type: ignore[no-untyped-def]
    # A malformed catalog must not break the report; the catalog checks judge it.
    try:
        return bool(declared(plan))
    except (AttributeError, TypeError, ValueError):
        return False
