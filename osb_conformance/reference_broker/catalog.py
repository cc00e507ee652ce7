"""The reference broker's catalog: one bindable service with a sync and an async plan."""

from __future__ import annotations

import uuid
from typing import Any

SERVICE_ID = "3f0b7a38-5d55-4d7c-9f4b-2a61f3c2b001"
SYNC_PLAN_ID = "3f0b7a38-5d55-4d7c-9f4b-2a61f3c2b101"
ASYNC_PLAN_ID = "3f0b7a38-5d55-4d7c-9f4b-2a61f3c2b102"
DRAFT4 = "http://json-schema.org/draft-04/schema#"

INSTANCE_PARAMETERS: dict[str, Any] = {
    "$schema": DRAFT4,
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "size": {"type": "integer", "minimum": 1, "maximum": 10},
        "label": {"type": "string", "maxLength": 32},
        "tier": {"enum": ["basic", "premium"]},
    },
}

BINDING_PARAMETERS: dict[str, Any] = {
    "$schema": DRAFT4,
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "role": {"enum": ["read", "write"]},
        "ttl": {"type": "integer", "minimum": 60, "maximum": 86400},
    },
}


def _schemas() -> dict[str, Any]:
    return {
        "service_instance": {
            "create": {"parameters": INSTANCE_PARAMETERS},
            "update": {"parameters": INSTANCE_PARAMETERS},
        },
        "service_binding": {"create": {"parameters": BINDING_PARAMETERS}},
    }


def _sync_plan(plan_id: str, name: str) -> dict[str, Any]:
    return {
        "id": plan_id,
        "name": name,
        "description": "Provisioned and bound synchronously.",
        "free": True,
        "binding_rotatable": True,
        "maintenance_info": {"version": "1.0.0", "description": "Initial release."},
        "schemas": _schemas(),
    }


def _async_plan(plan_id: str, name: str) -> dict[str, Any]:
    return {
        "id": plan_id,
        "name": name,
        "description": "Provisioned, updated and bound asynchronously.",
        "free": False,
        "maximum_polling_duration": 60,
        "schemas": _schemas(),
    }


BASIC_SERVICE_ID = "3f0b7a38-5d55-4d7c-9f4b-2a61f3c2b002"
BASIC_PLAN_ID = "3f0b7a38-5d55-4d7c-9f4b-2a61f3c2b201"


def basic_service() -> dict[str, Any]:
    """A service that offers no optional feature: not bindable, nothing retrievable."""
    return {
        "id": BASIC_SERVICE_ID,
        "name": "reference-queue",
        "description": "A service without bindings, fetches or plan changes.",
        "bindable": False,
        "plans": [{"id": BASIC_PLAN_ID, "name": "standard",
                   "description": "Provisioned synchronously; not bindable."}],
    }


def build_catalog(extra_plans: int = 0, with_basic_service: bool = False) -> dict[str, Any]:
    """The catalog; ``extra_plans`` adds generated sync plans (for scale benchmarks),
    ``with_basic_service`` a second service that offers none of the optional features."""
    plans = [_sync_plan(SYNC_PLAN_ID, "sync"), _async_plan(ASYNC_PLAN_ID, "async")]
    for n in range(extra_plans):
        plan_id = str(uuid.uuid5(uuid.UUID(SERVICE_ID), f"plan-{n}"))
        plans.append(_sync_plan(plan_id, f"sync-{n + 1}"))
    return {
        "services": [
            {
                "id": SERVICE_ID,
                "name": "reference-db",
                "description": "The osb-conformance reference service.",
                "bindable": True,
                "instances_retrievable": True,
                "bindings_retrievable": True,
                "plan_updateable": True,
                "allow_context_updates": True,
                "tags": ["reference", "database"],
                "metadata": {"displayName": "Reference DB"},
                "plans": plans,
            }
        ] + ([basic_service()] if with_basic_service else [])
    }
