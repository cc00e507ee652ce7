"""The reference broker's behaviour: a compliant OSB v2.17 broker, free of HTTP details."""

from __future__ import annotations

import base64
import hmac
import json
import re
import secrets
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from jsonschema import Draft4Validator

from .audit import PlatformAudit, context_only
from .catalog import build_catalog
from .http_types import Request, Response, error
from .state import SUCCEEDED, Binding, BrokerState, Instance, Operation
from .stats import OWN_ROUTES, BrokerStats
from .timing import retry_after_header, seconds_for
from .variants import VARIANTS

_ROUTES: list[tuple[str, re.Pattern[str], str]] = [
    ("GET", re.compile(r"^/v2/catalog$"), "catalog"),
    ("GET", re.compile(r"^/v2/service_instances/([^/]+)/last_operation$"),
     "instance_last_operation"),
    ("GET", re.compile(r"^/v2/service_instances/([^/]+)/service_bindings/([^/]+)/last_operation$"),
     "binding_last_operation"),
    ("PUT", re.compile(r"^/v2/service_instances/([^/]+)$"), "provision"),
    ("PATCH", re.compile(r"^/v2/service_instances/([^/]+)$"), "update"),
    ("GET", re.compile(r"^/v2/service_instances/([^/]+)$"), "fetch_instance"),
    ("DELETE", re.compile(r"^/v2/service_instances/([^/]+)$"), "deprovision"),
    ("PUT", re.compile(r"^/v2/service_instances/([^/]+)/service_bindings/([^/]+)$"), "bind"),
    ("GET", re.compile(r"^/v2/service_instances/([^/]+)/service_bindings/([^/]+)$"),
     "fetch_binding"),
    ("DELETE", re.compile(r"^/v2/service_instances/([^/]+)/service_bindings/([^/]+)$"),
     "unbind"),
    ("GET", re.compile(r"^/_reference/state$"), "state"),
    ("GET", re.compile(r"^/_reference/stats$"), "stats"),
]
SUPPORTED_MINOR_VERSIONS = range(11, 18)
_NOT_JSON = object()


class ReferenceBroker:
    """Handles OSB requests. Thread-safe: one lock around each request."""

    def __init__(
        self,
        username: str | None = "admin",
        password: str | None = "secret",
        *,
        async_polls: int = 1,
        async_seconds: Mapping[str, float] | float | None = None,
        retry_after: float | None = None,
        latency_ms: float = 0.0,
        clock: Callable[[], float] = time.monotonic,
        extra_plans: int = 0,
        mutant: Any = None,
        base_url: str = "http://127.0.0.1",
        audit: bool = False,
        with_basic_service: bool = False,
        token: str | None = None,
        chaos: Any = None,
        vendor_fields: bool = False,
        credential_marker: str = "",
        variant: str | None = None,
    ) -> None:
        self.username = username
        self.password = password
        self.token = token  # when set, only "Authorization: Bearer <token>" is accepted
        self.chaos = chaos  # misbehaviour beyond the spec (chaos.py), not a mutant
        self.async_polls = async_polls
        # Seconds an async operation takes (per kind, timing.py); None: it takes polls.
        self.async_seconds = async_seconds
        self.retry_after = retry_after
        self.latency_ms = latency_ms  # the server delays every answer this long, unlocked
        self.clock = clock  # monotonic; tests inject a fake one
        self.stats = BrokerStats()
        self.catalog = build_catalog(extra_plans, with_basic_service)
        # A compliant variant (variants.py): another choice the spec allows, not a defect.
        chosen = VARIANTS[variant] if variant else None
        if chosen and chosen.change_catalog:
            chosen.change_catalog(self.catalog)
        self.variant_before = chosen.make_before() if chosen and chosen.make_before else None
        self.variant_after = chosen.after if chosen else None
        self.mutant = mutant
        self.base_url = base_url
        self.state = BrokerState()
        self.lock = threading.RLock()
        self.requests_served = 0
        # Records the platform obligations a client breaks (see audit.py).
        self.audit = PlatformAudit(self.catalog) if audit else None
        self.vendor_fields = vendor_fields  # add unknown fields to every JSON object answered
        # Put into every binding's password, so tests can prove no report shows credentials.
        self.credential_marker = credential_marker

    # -- entry point ------------------------------------------------------------------------
    def handle(self, request: Request) -> Response:
        with self.lock:
            self.requests_served += 1
            route_request(request)
            if self.async_seconds is not None:
                self.settle_due_operations()
            response = self.chaos.before(self, request) if self.chaos else None
            if response is None and self.variant_before:
                response = self.variant_before(self, request)
            if response is None and self.mutant:
                response = self.mutant.before(self, request)
            if response is None:
                response = self._dispatch(request)
            if self.variant_after:
                response = self.variant_after(self, request, response)
            if self.mutant:
                response = self.mutant.after(self, request, response)
            if self.chaos:
                response = self.chaos.after(self, request, response)
            if self.audit is not None:
                self.audit.observe(request, response)
            if self.vendor_fields:
                response.body = with_vendor_fields(response.body)
            identity = request.header("X-Broker-API-Request-Identity")
            if identity and "X-Broker-API-Request-Identity" not in response.headers:
                response.headers["X-Broker-API-Request-Identity"] = identity
            self.count(request)
            return response

    def count(self, request: Request) -> None:
        if request.route in OWN_ROUTES:
            return
        self.stats.served(request.route)
        self.stats.live_instances(len(self.state.instances))

    def _dispatch(self, request: Request) -> Response:
        if not request.route:
            return error(404, f"no route for {request.method} {request.path}")
        if not self.authenticated(request):
            return Response(401, {"description": "authentication failed"},
                            {"WWW-Authenticate": 'Basic realm="reference-broker"'})
        return self.dispatch_authenticated(request)

    def dispatch_authenticated(self, request: Request) -> Response:
        """Serve a request whose credentials have been accepted."""
        if request.route == "state":
            return Response(200, self.state.live())
        if request.route == "stats":
            return Response(200, self.stats.snapshot())
        rejection = self.check_version(request)
        if rejection:
            return rejection
        handler: Callable[[Request], Response] = getattr(self, "_" + request.route)
        return handler(request)

    def authenticated(self, request: Request) -> bool:
        if self.token is not None:
            return hmac.compare_digest(request.header("authorization") or "",
                                       f"Bearer {self.token}")
        if self.username is None:
            return True
        expected = "Basic " + base64.b64encode(
            f"{self.username}:{self.password}".encode()).decode()
        return hmac.compare_digest(request.header("authorization") or "", expected)

    def check_version(self, request: Request) -> Response | None:
        version = request.header("X-Broker-API-Version")
        if version is None:
            return error(400, "the X-Broker-API-Version header is required", "MissingVersion")
        match = re.fullmatch(r"(\d+)\.(\d+)", version.strip())
        if not match or int(match[1]) != 2 or int(match[2]) not in SUPPORTED_MINOR_VERSIONS:
            return error(412, f"API version {version!r} is not supported; use 2.17")
        return None

    # -- catalog ------------------------------------------------------------------------------
    def _catalog(self, request: Request) -> Response:
        return Response(200, self.catalog)

    def find_plan(self, service_id: Any, plan_id: Any) -> tuple[dict, dict] | None:
        for service in self.catalog["services"]:
            if service["id"] != service_id:
                continue
            for plan in service["plans"]:
                if plan["id"] == plan_id:
                    return service, plan
        return None

    def is_async(self, plan_id: str) -> bool:
        found = next((p for s in self.catalog["services"] for p in s["plans"]
                      if p["id"] == plan_id), None)
        return bool(found and "maximum_polling_duration" in found)

    def new_operation(self, kind: str, signature: Any = None, **changes: Any) -> Operation:
        self.stats.operation_started(kind, asynchronous=True)
        seconds = seconds_for(self.async_seconds, kind)
        if seconds is None:
            return Operation(kind=kind, signature=signature, changes=changes,
                             polls_left=self.async_polls)
        return Operation(kind=kind, signature=signature, changes=changes, polls_left=0,
                         finishes_at=self.clock() + seconds)

    def settle_due_operations(self) -> None:
        """Finish the time-based operations whose time has come, polled or not: a real
        broker's work does not wait for the platform to ask."""
        now = self.clock()
        for instance in list(self.state.instances.values()):
            for binding in list(instance.bindings.values()):
                operation = binding.operation
                if operation is not None and operation.due(now):
                    operation.state = SUCCEEDED
                    self.finish_binding_operation(instance, binding, operation)
            operation = instance.operation
            if operation is not None and operation.due(now):
                operation.state = SUCCEEDED
                self.finish_instance_operation(instance, operation)

    def accepted(self, operation: Operation, **extra: Any) -> Response:
        return Response(202, {"operation": operation.id, **extra})

    # -- provisioning ---------------------------------------------------------------------------
    def _provision(self, request: Request) -> Response:
        body = json_object(request)
        if body is None:
            return error(400, "the body must be a JSON object")
        problem = missing_fields(body, "service_id", "plan_id", "organization_guid",
                                 "space_guid") or wrong_types(body, parameters=dict,
                                                             context=dict, maintenance_info=dict)
        if problem:
            return error(400, problem)
        found = self.find_plan(body["service_id"], body["plan_id"])
        if found is None:
            return error(400, "unknown service_id or plan_id")
        service, plan = found
        parameters = body.get("parameters") or {}
        conflict = maintenance_conflict(plan, body.get("maintenance_info"))
        if conflict:
            return conflict
        invalid = schema_problem(plan, ("service_instance", "create"), parameters)
        if invalid:
            return error(400, invalid)
        signature = provision_signature(body)
        existing = self.state.instances.get(request.instance_id)
        if existing is not None:
            return self._provision_again(request, existing, signature)
        asynchronous = self.is_async(plan["id"])
        if asynchronous and not request.accepts_incomplete:
            return error(422, "this plan is provisioned asynchronously only", "AsyncRequired")
        instance = Instance(
            id=request.instance_id, service_id=service["id"], plan_id=plan["id"],
            signature=signature, parameters=parameters, context=body.get("context") or {},
            dashboard_url=f"{self.base_url}/dashboard/{request.instance_id}",
            maintenance_info=plan.get("maintenance_info"),
        )
        self.state.instances[instance.id] = instance
        self.stats.resource_created("instances", plan["id"])
        if asynchronous:
            instance.operation = self.new_operation("provision", signature)
            return self.accepted(instance.operation, dashboard_url=instance.dashboard_url)
        instance.ready = True
        self.stats.operation_started("provision", asynchronous=False)
        return Response(201, {"dashboard_url": instance.dashboard_url,
                              "metadata": {"labels": {"plan": plan["name"]}}})

    def _provision_again(self, request: Request, instance: Instance, signature: Any) -> Response:
        if instance.signature != signature:
            return error(409, "an instance with this id exists with other attributes")
        operation = instance.operation
        if not instance.ready and operation is not None and operation.in_progress:
            if not request.accepts_incomplete:
                return error(422, "provisioning is in progress", "AsyncRequired")
            return self.accepted(operation, dashboard_url=instance.dashboard_url)
        if not instance.ready:
            return error(409, "the instance is not in a state to be provisioned again")
        return Response(200, {"dashboard_url": instance.dashboard_url})

    # -- fetching an instance -------------------------------------------------------------------
    def _fetch_instance(self, request: Request) -> Response:
        instance = self.state.instances.get(request.instance_id)
        if instance is None or not instance.ready:
            return error(404, "no such instance")
        operation = instance.operation
        if operation is not None and operation.in_progress and operation.kind == "update":
            return error(422, "an update is in progress", "ConcurrencyError")
        body = {"service_id": instance.service_id, "plan_id": instance.plan_id,
                "dashboard_url": instance.dashboard_url, "parameters": instance.parameters}
        if instance.maintenance_info:
            body["maintenance_info"] = instance.maintenance_info
        return Response(200, body)

    # -- updating ---------------------------------------------------------------------------------
    def _update(self, request: Request) -> Response:
        body = json_object(request)
        if body is None:
            return error(400, "the body must be a JSON object")
        problem = missing_fields(body, "service_id") or wrong_types(
            body, plan_id=str, parameters=dict, context=dict, maintenance_info=dict,
            previous_values=dict)
        if problem:
            return error(400, problem)
        instance = self.state.instances.get(request.instance_id)
        if instance is None:
            return error(404, "no such instance")
        if body["service_id"] != instance.service_id:
            return error(400, "service_id does not match the instance")
        target_plan_id = body.get("plan_id", instance.plan_id)
        found = self.find_plan(instance.service_id, target_plan_id)
        if found is None:
            return error(400, "unknown plan_id for this service")
        service, plan = found
        if target_plan_id != instance.plan_id and not service.get("plan_updateable"):
            return error(422, "plan changes are not supported", "PlanChangeNotSupported")
        if context_only(body, instance.plan_id) and not service.get("allow_context_updates"):
            return error(422, "this offering does not accept context-only updates")
        conflict = maintenance_conflict(plan, body.get("maintenance_info"))
        if conflict:
            return conflict
        parameters = body.get("parameters")
        if parameters is not None:
            invalid = schema_problem(plan, ("service_instance", "update"), parameters)
            if invalid:
                return error(400, invalid)
        signature = ("update", canonical(body))
        operation = instance.operation
        if not instance.ready or instance.busy:
            if (operation is not None and operation.in_progress and operation.kind == "update"
                    and operation.signature == signature and request.accepts_incomplete):
                return self.accepted(operation)
            return error(422, "another operation is in progress", "ConcurrencyError")
        changes = {"plan_id": target_plan_id}
        if parameters is not None:
            changes["parameters"] = parameters
        if body.get("context"):
            changes["context"] = body["context"]
        if "maintenance_info" in body:
            changes["maintenance_info"] = body["maintenance_info"]
        if self.is_async(instance.plan_id):
            if not request.accepts_incomplete:
                return error(422, "this plan is updated asynchronously only", "AsyncRequired")
            instance.operation = self.new_operation("update", signature, **changes)
            return self.accepted(instance.operation)
        apply_changes(instance, changes)
        self.stats.operation_started("update", asynchronous=False)
        return Response(200, {})

    # -- deprovisioning ---------------------------------------------------------------------------
    def _deprovision(self, request: Request) -> Response:
        if "service_id" not in request.query or "plan_id" not in request.query:
            return error(400, "service_id and plan_id query parameters are required")
        instance = self.state.instances.get(request.instance_id)
        if instance is None:
            return Response(410, {})
        operation = instance.operation
        if instance.busy:
            if operation is not None and operation.in_progress \
                    and operation.kind == "deprovision" and request.accepts_incomplete:
                return self.accepted(operation)
            return error(422, "another operation is in progress", "ConcurrencyError")
        if self.is_async(instance.plan_id):
            if not request.accepts_incomplete:
                return error(422, "this plan is deprovisioned asynchronously only",
                             "AsyncRequired")
            instance.operation = self.new_operation("deprovision")
            return self.accepted(instance.operation)
        self.remove_instance(instance)
        self.stats.operation_started("deprovision", asynchronous=False)
        return Response(200, {})

    def remove_instance(self, instance: Instance) -> None:
        if self.state.instances.pop(instance.id, None) is not None:
            self.stats.resource_deleted("instances")
        self.state.deleted_instances.add(instance.id)

    # -- last operation (instances) ---------------------------------------------------------------
    def _instance_last_operation(self, request: Request) -> Response:
        instance = self.state.instances.get(request.instance_id)
        if instance is None:
            if request.instance_id in self.state.deleted_instances:
                return Response(410, {})
            return error(404, "no such instance")
        operation = instance.operation
        asked = request.query.get("operation")
        if operation is None:
            return Response(200, {"state": SUCCEEDED})
        if asked is not None and asked != operation.id:
            return error(400, "unknown operation")
        if operation.in_progress:
            self.advance(operation, lambda: self.finish_instance_operation(instance, operation))
        return self.operation_state(operation)

    def advance(self, operation: Operation, finish: Callable[[], None]) -> None:
        if operation.polled(self.clock()):
            operation.state = SUCCEEDED
            finish()

    def operation_state(self, operation: Operation) -> Response:
        body = {"state": operation.state, "description": f"{operation.kind} {operation.state}"}
        headers = {}
        if operation.in_progress and self.retry_after is not None:
            headers["Retry-After"] = retry_after_header(self.retry_after)
        return Response(200, body, headers)

    def finish_instance_operation(self, instance: Instance, operation: Operation) -> None:
        if operation.kind == "provision":
            instance.ready = True
        elif operation.kind == "update":
            apply_changes(instance, operation.changes)
        elif operation.kind == "deprovision":
            self.remove_instance(instance)

    # -- binding ----------------------------------------------------------------------------------
    def _bind(self, request: Request) -> Response:
        body = json_object(request)
        if body is None:
            return error(400, "the body must be a JSON object")
        rotating = "predecessor_binding_id" in body
        required = () if rotating else ("service_id", "plan_id")
        problem = missing_fields(body, *required) or wrong_types(
            body, parameters=dict, context=dict, bind_resource=dict, app_guid=str,
            predecessor_binding_id=str, service_id=str, plan_id=str)
        if problem:
            return error(400, problem)
        instance = self.state.instances.get(request.instance_id)
        if instance is None or (not instance.ready and instance.operation is None):
            return error(404, "no such instance")
        if body.get("service_id", instance.service_id) != instance.service_id or \
                body.get("plan_id", instance.plan_id) != instance.plan_id:
            return error(400, "service_id or plan_id does not match the instance")
        service, plan = self.find_plan(instance.service_id, instance.plan_id) or ({}, {})
        if not plan.get("bindable", service.get("bindable", False)):
            return error(400, "this plan is not bindable")
        parameters = body.get("parameters") or {}
        invalid = schema_problem(plan, ("service_binding", "create"), parameters)
        if invalid:
            return error(400, invalid)
        if rotating:
            problem = self.rotation_problem(instance, plan, body["predecessor_binding_id"])
            if problem:
                return error(400, problem)
        signature = canonical({k: v for k, v in body.items() if k != "context"})
        existing = instance.bindings.get(request.binding_id)
        if existing is not None:
            return self._bind_again(request, existing, signature)
        if not instance.ready or instance.busy:
            return error(422, "another operation is in progress", "ConcurrencyError")
        binding = Binding(
            id=request.binding_id, service_id=instance.service_id, plan_id=instance.plan_id,
            signature=signature, credentials=new_credentials(self.credential_marker),
            parameters=parameters,
        )
        instance.bindings[binding.id] = binding
        if self.is_async(instance.plan_id):
            if not request.accepts_incomplete:
                del instance.bindings[binding.id]
                return error(422, "this plan binds asynchronously only", "AsyncRequired")
            self.stats.resource_created("bindings", instance.plan_id)
            binding.operation = self.new_operation("bind", signature)
            return self.accepted(binding.operation)
        binding.ready = True
        self.stats.resource_created("bindings", instance.plan_id)
        self.stats.operation_started("bind", asynchronous=False)
        return Response(201, binding_body(binding))

    def rotation_problem(self, instance: Instance, plan: dict, predecessor: str) -> str | None:
        if not plan.get("binding_rotatable"):
            return "bindings of this plan cannot be rotated"
        previous = instance.bindings.get(predecessor)
        if previous is None or not previous.ready:
            return "the predecessor binding does not exist on this instance"
        return None

    def _bind_again(self, request: Request, binding: Binding, signature: Any) -> Response:
        if binding.signature != signature:
            return error(409, "a binding with this id exists with other parameters")
        operation = binding.operation
        if not binding.ready and operation is not None and operation.in_progress:
            if not request.accepts_incomplete:
                return error(422, "binding is in progress", "AsyncRequired")
            return self.accepted(operation)
        return Response(200, binding_body(binding))

    def _fetch_binding(self, request: Request) -> Response:
        instance = self.state.instances.get(request.instance_id)
        binding = instance.bindings.get(request.binding_id) if instance else None
        if binding is None or not binding.ready:
            return error(404, "no such binding")
        body = binding_body(binding)
        body["parameters"] = binding.parameters
        return Response(200, body)

    def _unbind(self, request: Request) -> Response:
        if "service_id" not in request.query or "plan_id" not in request.query:
            return error(400, "service_id and plan_id query parameters are required")
        instance = self.state.instances.get(request.instance_id)
        binding = instance.bindings.get(request.binding_id) if instance else None
        if instance is None or binding is None:
            return Response(410, {})
        operation = binding.operation
        if operation is not None and operation.in_progress:
            if operation.kind == "unbind" and request.accepts_incomplete:
                return self.accepted(operation)
            return error(422, "another operation is in progress", "ConcurrencyError")
        if self.is_async(instance.plan_id):
            if not request.accepts_incomplete:
                return error(422, "this plan unbinds asynchronously only", "AsyncRequired")
            binding.operation = self.new_operation("unbind")
            return self.accepted(binding.operation)
        self.remove_binding(instance, binding)
        self.stats.operation_started("unbind", asynchronous=False)
        return Response(200, {})

    def remove_binding(self, instance: Instance, binding: Binding) -> None:
        if instance.bindings.pop(binding.id, None) is not None:
            self.stats.resource_deleted("bindings")
        self.state.deleted_bindings.add((instance.id, binding.id))

    def _binding_last_operation(self, request: Request) -> Response:
        instance = self.state.instances.get(request.instance_id)
        binding = instance.bindings.get(request.binding_id) if instance else None
        if binding is None:
            if (request.instance_id, request.binding_id) in self.state.deleted_bindings:
                return Response(410, {})
            return error(404, "no such binding")
        operation = binding.operation
        if operation is None:
            return Response(200, {"state": SUCCEEDED})
        asked = request.query.get("operation")
        if asked is not None and asked != operation.id:
            return error(400, "unknown operation")
        if operation.in_progress:
            self.advance(operation, lambda: self.finish_binding_operation(
                instance, binding, operation))
        return self.operation_state(operation)

    def finish_binding_operation(
        self, instance: Instance, binding: Binding, operation: Operation
    ) -> None:
        if operation.kind == "bind":
            binding.ready = True
        elif operation.kind == "unbind":
            self.remove_binding(instance, binding)


# -- helpers -----------------------------------------------------------------------------------
def route_request(request: Request) -> None:
    """Set ``route`` and the ids of a request from its method and path."""
    for method, pattern, route in _ROUTES:
        match = pattern.match(request.path)
        if match and method == request.method:
            request.route = route
            groups = match.groups()
            request.instance_id = groups[0] if groups else ""
            request.binding_id = groups[1] if len(groups) > 1 else ""
            return


def json_object(request: Request) -> dict[str, Any] | None:
    try:
        data = json.loads(request.body or b"")
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def missing_fields(body: dict[str, Any], *names: str) -> str | None:
    for name in names:
        value = body.get(name)
        if not isinstance(value, str) or not value:
            return f"{name} is required and must be a non-empty string"
    return None


def wrong_types(body: dict[str, Any], **types: type) -> str | None:
    for name, expected in types.items():
        if name in body and body[name] is not None and not isinstance(body[name], expected):
            return f"{name} must be of type {expected.__name__}"
    return None


def maintenance_conflict(plan: dict[str, Any], requested: Any) -> Response | None:
    if not isinstance(requested, dict):
        return None
    offered = (plan.get("maintenance_info") or {}).get("version")
    if requested.get("version") != offered:
        return error(422, "maintenance_info.version does not match the catalog",
                     "MaintenanceInfoConflict")
    return None


def schema_problem(plan: dict[str, Any], path: tuple[str, str], value: Any) -> str | None:
    schema = ((plan.get("schemas") or {}).get(path[0]) or {}).get(path[1], {}).get("parameters")
    if not schema:
        return None
    problem = next(iter(Draft4Validator(schema).iter_errors(value)), None)
    return f"invalid parameters: {problem.message}" if problem else None


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


def provision_signature(body: dict[str, Any]) -> str:
    keys = ("service_id", "plan_id", "parameters", "organization_guid", "space_guid",
            "maintenance_info")
    return canonical({k: body.get(k) for k in keys})


def apply_changes(instance: Instance, changes: dict[str, Any]) -> None:
    for name, value in changes.items():
        setattr(instance, name, value)


_OPAQUE_FIELDS = ("schemas", "parameters", "credentials")


def with_vendor_fields(value: Any) -> Any:
    """A copy with an extension field in every JSON object (spec #vendor-extension-fields)."""
    if isinstance(value, dict):
        # Schemas, parameters and credentials are not OSB objects but their owners' data.
        return {**{k: v if k in _OPAQUE_FIELDS else with_vendor_fields(v)
                   for k, v in value.items()},
                "x_reference_vendor": {"note": "receivers must ignore this"}}
    if isinstance(value, list):
        return [with_vendor_fields(v) for v in value]
    return value


def new_credentials(marker: str = "") -> dict[str, Any]:
    username = "u" + secrets.token_hex(4)
    password = marker + secrets.token_urlsafe(18)
    return {"username": username, "password": password,
            "uri": f"refdb://{username}:{password}@127.0.0.1:5432/db"}


def binding_body(binding: Binding) -> dict[str, Any]:
    return {"credentials": binding.credentials,
            "endpoints": [{"host": "127.0.0.1", "ports": ["5432"], "protocol": "tcp"}]}
