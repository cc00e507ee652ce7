"""Request bodies the way Cloud Foundry or Kubernetes would send them: context objects,
provision and bind bodies, and the parameters an operator configured per plan."""

from __future__ import annotations

import uuid
from typing import Any

from .catalog import Plan
from .selection import configured_for
from .settings import Settings


def new_id() -> str:
    """A fresh, globally unique id (the suite never reuses one)."""
    return str(uuid.uuid4())


class RequestBodies:
    """Bodies for the run's settings (platform profile, configured parameters)."""

    settings: Settings

    def context(self, **extra: Any) -> dict[str, Any]:
        """A context object in the chosen platform's profile."""
        if self.settings.platform == "kubernetes":
            context = {"platform": "kubernetes", "namespace": "osb-conformance",
                       "namespace_uid": "a6f6b2c2-0000-4000-8000-000000000001",
                       "clusterid": "8263feea-0000-4000-8000-000000000002",
                       "instance_name": "osbc-instance"}
        else:
            context = {"platform": "cloudfoundry",
                       "organization_guid": "1113aa00-0000-4000-8000-000000000001",
                       "organization_name": "osb-conformance",
                       "space_guid": "aaaa1234-0000-4000-8000-000000000002",
                       "space_name": "conformance", "instance_name": "osbc-instance"}
        return {**context, **self.settings.run_config.context, **extra}

    def parameters_for(self, plan: Plan) -> dict[str, Any] | None:
        """Provision parameters the operator configured for this plan (id, label or name)."""
        return configured_for(self.settings.run_config.parameters, plan)

    def update_parameters_for(self, plan: Plan) -> dict[str, Any] | None:
        """Update parameters configured for this plan, else its provision parameters."""
        configured = configured_for(self.settings.run_config.update_parameters, plan)
        return configured if configured is not None else self.parameters_for(plan)

    def bind_parameters_for(self, plan: Plan) -> dict[str, Any] | None:
        """Bind parameters the operator configured for this plan."""
        return configured_for(self.settings.run_config.bind_parameters, plan)

    def provision_body(self, plan: Plan, **overrides: Any) -> dict[str, Any]:
        body: dict[str, Any] = {
            "service_id": plan.service.id,
            "plan_id": plan.id,
            "organization_guid": "1113aa00-0000-4000-8000-000000000001",
            "space_guid": "aaaa1234-0000-4000-8000-000000000002",
            "context": self.context(),
        }
        return _finished(body, self.parameters_for(plan), overrides)

    def bind_body(self, plan: Plan, **overrides: Any) -> dict[str, Any]:
        bind_resource: dict[str, Any] = {"app_guid": new_id()}
        if "route_forwarding" in plan.service.requires:
            # A route service binds to an application's address (spec #route-services).
            bind_resource["route"] = "https://osbc-app.example.test"
        bind_resource.update(self.settings.run_config.bind_resource)
        body: dict[str, Any] = {
            "service_id": plan.service.id,
            "plan_id": plan.id,
            "bind_resource": bind_resource,
            "context": self.context(),
        }
        return _finished(body, self.bind_parameters_for(plan), overrides)

    def is_standard_bind_body(self, plan: Plan, body: Any) -> bool:
        """``body`` is what bind_body(plan) gives, but for the application's id."""
        return isinstance(body, dict) and _without_app(body) == _without_app(
            self.bind_body(plan))


def _without_app(body: dict[str, Any]) -> dict[str, Any]:
    bind_resource = body.get("bind_resource")
    if not isinstance(bind_resource, dict):
        return body
    return {**body, "bind_resource": {k: v for k, v in bind_resource.items() if k != "app_guid"}}


def _finished(body: dict[str, Any], parameters: dict[str, Any] | None,
              overrides: dict[str, Any]) -> dict[str, Any]:
    """The configured parameters (if any), then what the caller overrides."""
    if parameters is not None:
        body["parameters"] = parameters
    body.update(overrides)
    return body
