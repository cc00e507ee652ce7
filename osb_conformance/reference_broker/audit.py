"""The reference broker watching its platform: which platform obligations a client broke.

The suite plays the platform, so the spec's obligations on platforms are obligations on
the suite. The reference broker can record every request that breaks one; the project's
tests run the whole suite against an auditing broker and require a clean audit.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from .http_types import Request, Response

_BASE64 = re.compile(r"^[A-Za-z0-9+/]+={0,2}$")


@dataclass
class PlatformAudit:
    """Notes (requirement ID, detail) for each broken platform obligation."""

    catalog: dict[str, Any]
    findings: list[tuple[str, str]] = field(default_factory=list)
    _deleted_instances: set[str] = field(default_factory=set)
    _operations: dict[str, str] = field(default_factory=dict)  # resource path → operation
    _pending_deletes: set[str] = field(default_factory=set)  # resource paths being deleted
    _live_bindings: dict[str, set[str]] = field(default_factory=dict)
    _instance_plans: dict[str, str] = field(default_factory=dict)

    def observe(self, request: Request, response: Response) -> None:
        self._identity_headers(request)
        handler = getattr(self, "_" + request.route, None)
        if handler is not None:
            handler(request, response)

    def note(self, requirement: str, request: Request, detail: str) -> None:
        self.findings.append((requirement, f"{request.method} {request.path}: {detail}"))

    # -- every request ------------------------------------------------------------------------
    def _identity_headers(self, request: Request) -> None:
        identity = request.header("X-Broker-API-Request-Identity")
        if not identity:
            self.note("HDR-006A", request, "no X-Broker-API-Request-Identity")
        elif not _is_uuid(identity):
            self.note("HDR-006B", request, f"request identity {identity!r} is not a GUID")
        originating = request.header("X-Broker-API-Originating-Identity")
        if originating is not None:
            problem = _originating_identity_problem(originating, _context_platform(request))
            if problem:
                self.note("HDR-007A", request, problem)

    # -- per route ----------------------------------------------------------------------------
    def _provision(self, request: Request, response: Response) -> None:
        if not request.instance_id:
            self.note("PROV-022A", request, "empty instance id")
        if request.instance_id in self._deleted_instances:
            self.note("PROV-022B", request, "instance id reused after its deprovision")
        if response.status in (200, 201, 202):
            self._instance_plans[request.instance_id] = _body(request).get("plan_id", "")
        self._remember_operation(request, response)

    def _update(self, request: Request, response: Response) -> None:
        body = _body(request)
        current = self._instance_plans.get(request.instance_id)
        new_plan = body.get("plan_id")
        if current and new_plan and new_plan != current and not self._plan_flag(
                current, "plan_updateable"):
            self.note("UPD-012", request, "plan change requested for a non-updateable plan")
        service = self._service_of_plan(current) if current else self._service(
            body.get("service_id"))
        if context_only(body, current) and not service.get("allow_context_updates"):
            self.note("UPD-014B", request, "context-only update without allow_context_updates")
        if response.status == 200 and new_plan:
            self._instance_plans[request.instance_id] = new_plan
        self._remember_operation(request, response)

    def _fetch_instance(self, request: Request, response: Response) -> None:
        plan_id = self._instance_plans.get(request.instance_id)
        if plan_id and not self._service_of_plan(plan_id).get("instances_retrievable"):
            self.note("GETI-009", request, "GET instance on a service without "
                                           "instances_retrievable")

    def _deprovision(self, request: Request, response: Response) -> None:
        if self._live_bindings.get(request.instance_id):
            self.note("DEP-008", request, "deprovision while bindings are still live")
        if response.status in (200, 410):
            self._deleted_instances.add(request.instance_id)
        self._remember_operation(request, response)

    def _instance_last_operation(self, request: Request, response: Response) -> None:
        self._last_operation(request, response, f"/v2/service_instances/{request.instance_id}")

    def _binding_last_operation(self, request: Request, response: Response) -> None:
        self._last_operation(request, response, f"/v2/service_instances/{request.instance_id}"
                                                f"/service_bindings/{request.binding_id}")

    def _bind(self, request: Request, response: Response) -> None:
        body = _body(request)
        plan_id = body.get("plan_id") or self._instance_plans.get(request.instance_id, "")
        plan = self._plan(plan_id)
        if plan and not plan.get("bindable", self._service_of_plan(plan_id).get("bindable")):
            self.note("BND-019", request, "bind request for a non-bindable plan")
        if "predecessor_binding_id" in body and plan and not plan.get("binding_rotatable"):
            self.note("ROT-003", request, "rotation for a plan without binding_rotatable")
        if response.status in (200, 201, 202):
            self._live_bindings.setdefault(request.instance_id, set()).add(request.binding_id)
        self._remember_operation(request, response)

    def _unbind(self, request: Request, response: Response) -> None:
        if response.status in (200, 410):
            self._live_bindings.get(request.instance_id, set()).discard(request.binding_id)
        self._remember_operation(request, response)

    # -- helpers ------------------------------------------------------------------------------
    def _last_operation(self, request: Request, response: Response, resource: str) -> None:
        if "service_id" not in request.query or "plan_id" not in request.query:
            self.note("LOI-002B", request, "last_operation without service_id and plan_id")
        expected = self._operations.get(resource)
        if expected is not None and request.query.get("operation") != expected:
            self.note("LOI-002A", request,
                      f"operation {request.query.get('operation')!r}, broker gave {expected!r}")
        state = response.body.get("state") if isinstance(response.body, dict) else None
        deleted = response.status == 410 or (
            resource in self._pending_deletes and state == "succeeded")
        if not deleted:
            return
        if "/service_bindings/" in resource:
            binding = resource.rsplit("/", 1)[-1]
            self._live_bindings.get(request.instance_id, set()).discard(binding)
        else:
            self._deleted_instances.add(request.instance_id)

    def _remember_operation(self, request: Request, response: Response) -> None:
        if response.status == 202 and request.method == "DELETE":
            self._pending_deletes.add(request.path)
        if response.status == 202 and isinstance(response.body, dict):
            operation = response.body.get("operation")
            if isinstance(operation, str):
                self._operations[request.path] = operation

    def _plan(self, plan_id: str) -> dict[str, Any]:
        for service in self.catalog["services"]:
            for plan in service["plans"]:
                if plan["id"] == plan_id:
                    return plan
        return {}

    def _service_of_plan(self, plan_id: str) -> dict[str, Any]:
        for service in self.catalog["services"]:
            if any(plan["id"] == plan_id for plan in service["plans"]):
                return service
        return {}

    def _plan_flag(self, plan_id: str, name: str) -> bool:
        value = self._plan(plan_id).get(name)
        return bool(self._service_of_plan(plan_id).get(name)) if value is None else bool(value)

    def _service(self, service_id: Any) -> dict[str, Any]:
        return next((s for s in self.catalog["services"] if s["id"] == service_id), {})


def context_only(body: dict[str, Any], current_plan_id: str | None) -> bool:
    """An update whose only change is its context (spec #updating-a-service-instance), with
    whatever else it carries that changes nothing: previous_values, the current plan_id."""
    if "context" not in body or "parameters" in body or "maintenance_info" in body:
        return False
    if "plan_id" not in body:
        return True
    previous = body.get("previous_values")
    known = current_plan_id or (previous.get("plan_id") if isinstance(previous, dict) else None)
    return body["plan_id"] == known


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def _body(request: Request) -> dict[str, Any]:
    try:
        data = json.loads(request.body or b"{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _context_platform(request: Request) -> str | None:
    context = _body(request).get("context")
    return context.get("platform") if isinstance(context, dict) else None


def _originating_identity_problem(header: str, context_platform: str | None) -> str | None:
    platform, _, value = header.partition(" ")
    if not platform or not value or not _BASE64.match(value):
        return f"originating identity {header!r:.60} is not '<platform> <base64>'"
    try:
        decoded = json.loads(base64.b64decode(value))
    except (ValueError, binascii.Error):
        return "originating identity value is not Base64-encoded JSON"
    if not isinstance(decoded, dict):
        return "originating identity value is not a JSON object"
    if context_platform is not None and context_platform != platform:
        return f"originating identity platform {platform!r} != context.platform " \
               f"{context_platform!r}"
    return None
