"""A small in-memory Open Service Broker built on the third-party ``openbrokerapi`` framework.

This broker is written the way a typical author would use ``openbrokerapi``: subclass
``ServiceBroker``, return the framework's spec objects, raise the framework's errors, and let
``openbrokerapi.api.get_blueprint`` turn all of that into HTTP.  It is deliberately *not* tuned
to pass the conformance suite; wherever the framework itself deviates from the OSB spec, the
deviation is left visible.

Service offering ``obapi-db`` has two plans:

* ``sync``  -- provision, update, deprovision, bind and unbind all complete synchronously.
* ``async`` -- provision, update and deprovision are asynchronous (they require
  ``accepts_incomplete=true``); ``last_operation`` reports ``in progress`` on the first poll
  and ``succeeded`` afterwards.  Binding and unbinding are synchronous for both plans.

Usage::

    from tests.brokers.openbrokerapi_broker import serve_in_thread
    base_url, stop = serve_in_thread()          # http://127.0.0.1:<free port>
    ...
    stop()

or in the foreground::

    python -m tests.brokers.openbrokerapi_broker --port 8080 [--username U --password P]
"""

from __future__ import annotations

import argparse
import logging
import secrets
import threading
import uuid
from dataclasses import dataclass, field
from typing import Any

import jsonschema
from flask import Flask
from openbrokerapi import errors
from openbrokerapi.api import BrokerCredentials, get_blueprint
from openbrokerapi.catalog import Schemas, ServiceMetadata, ServicePlan
from openbrokerapi.service_broker import (
    BindDetails,
    Binding,
    BindState,
    DeprovisionDetails,
    DeprovisionServiceSpec,
    GetBindingSpec,
    GetInstanceDetailsSpec,
    LastOperation,
    OperationState,
    ProvisionDetails,
    ProvisionedServiceSpec,
    ProvisionState,
    Service,
    ServiceBroker,
    UnbindDetails,
    UnbindSpec,
    UpdateDetails,
    UpdateServiceSpec,
)
from werkzeug.serving import make_server

__all__ = [
    "ASYNC_PLAN_ID",
    "SERVICE_ID",
    "SYNC_PLAN_ID",
    "ObapiDbBroker",
    "create_app",
    "main",
    "serve_in_thread",
]

LOOPBACK = "127.0.0.1"

SERVICE_ID = "5f2c3f0e-8a1b-4c1e-9d65-0b1d7f4a9c01"
SYNC_PLAN_ID = "a3b0c1d2-6e7f-4a8b-9c0d-1e2f3a4b5c01"
ASYNC_PLAN_ID = "a3b0c1d2-6e7f-4a8b-9c0d-1e2f3a4b5c02"

JSON_SCHEMA_DRAFT4 = "http://json-schema.org/draft-04/schema#"

INSTANCE_PARAMETERS_SCHEMA: dict[str, Any] = {
    "$schema": JSON_SCHEMA_DRAFT4,
    "type": "object",
    "properties": {
        "size": {
            "description": "Database size in GB.",
            "type": "integer",
            "minimum": 1,
            "maximum": 10,
        },
        "name": {
            "description": "Human readable database name.",
            "type": "string",
            "maxLength": 20,
        },
    },
    "additionalProperties": False,
}

BINDING_PARAMETERS_SCHEMA: dict[str, Any] = {
    "$schema": JSON_SCHEMA_DRAFT4,
    "type": "object",
    "properties": {
        "role": {
            "description": "Access level of the generated database user.",
            "type": "string",
            "enum": ["reader", "writer"],
        },
        "name": {
            "description": "Label for the generated credentials.",
            "type": "string",
            "maxLength": 20,
        },
    },
    "additionalProperties": False,
}

logger = logging.getLogger("obapi-db")


def _plan_schemas() -> Schemas:
    return Schemas(
        service_instance={
            "create": {"parameters": INSTANCE_PARAMETERS_SCHEMA},
            "update": {"parameters": INSTANCE_PARAMETERS_SCHEMA},
        },
        service_binding={
            "create": {"parameters": BINDING_PARAMETERS_SCHEMA},
        },
    )


def _validate_parameters(parameters: Any, schema: dict[str, Any]) -> None:
    """Validate user supplied parameters against a plan schema; 400 on violation."""
    if parameters is None:
        return
    try:
        jsonschema.validate(parameters, schema)
    except jsonschema.ValidationError as e:
        raise errors.ErrBadRequest(f"Invalid parameters: {e.message}") from e


@dataclass
class _Operation:
    id: str
    kind: str  # "provision" | "update" | "deprovision"
    polls: int = 0

    @property
    def done(self) -> bool:
        return self.polls > 1


@dataclass
class _Instance:
    service_id: str
    plan_id: str
    parameters: dict[str, Any]
    context: dict[str, Any] | None = None
    operation: _Operation | None = None

    @property
    def busy(self) -> bool:
        return self.operation is not None and not self.operation.done


@dataclass
class _Binding:
    service_id: str
    plan_id: str
    parameters: dict[str, Any]
    app_guid: str | None
    credentials: dict[str, str] = field(default_factory=dict)


class ObapiDbBroker(ServiceBroker):
    """In-memory ``obapi-db`` service broker."""

    ASYNC_PLANS = frozenset({ASYNC_PLAN_ID})

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._instances: dict[str, _Instance] = {}
        self._bindings: dict[tuple[str, str], _Binding] = {}

    def live(self) -> dict[str, list[str]]:
        """What exists right now (a conformance run must leave nothing behind)."""
        with self._lock:
            return {"instances": sorted(self._instances),
                    "bindings": sorted("/".join(key) for key in self._bindings)}

    # -- catalog -------------------------------------------------------------------------------

    def catalog(self) -> Service:
        return Service(
            id=SERVICE_ID,
            name="obapi-db",
            description="In-memory database served by an openbrokerapi based test broker.",
            bindable=True,
            instances_retrievable=True,
            bindings_retrievable=True,
            plan_updateable=True,
            tags=["database", "test"],
            metadata=ServiceMetadata(
                displayName="obapi DB",
                longDescription="A fake database offering used to exercise osb-conformance.",
                providerDisplayName="osb-conformance",
            ),
            plans=[
                ServicePlan(
                    id=SYNC_PLAN_ID,
                    name="sync",
                    description="Every operation completes synchronously.",
                    free=True,
                    schemas=_plan_schemas(),
                ),
                ServicePlan(
                    id=ASYNC_PLAN_ID,
                    name="async",
                    description="Provision, update and deprovision are asynchronous.",
                    free=True,
                    schemas=_plan_schemas(),
                ),
            ],
        )

    # -- helpers -------------------------------------------------------------------------------

    @staticmethod
    def _check_service(service_id: str) -> None:
        if service_id != SERVICE_ID:
            raise errors.ErrBadRequest(f"Unknown service_id {service_id!r}")

    def _is_async_plan(self, plan_id: str) -> bool:
        return plan_id in self.ASYNC_PLANS

    def _get_instance(self, instance_id: str) -> _Instance:
        instance = self._instances.get(instance_id)
        if instance is None:
            raise errors.ErrInstanceDoesNotExist()
        return instance

    @staticmethod
    def _new_operation(kind: str) -> _Operation:
        return _Operation(id=f"{kind}-{uuid.uuid4().hex[:12]}", kind=kind)

    # -- service instances ---------------------------------------------------------------------

    def provision(
        self, instance_id: str, details: ProvisionDetails, async_allowed: bool, **kwargs
    ) -> ProvisionedServiceSpec:
        self._check_service(details.service_id)
        _validate_parameters(details.parameters, INSTANCE_PARAMETERS_SCHEMA)
        parameters = details.parameters or {}
        is_async = self._is_async_plan(details.plan_id)

        with self._lock:
            existing = self._instances.get(instance_id)
            if existing is not None:
                same = (
                    existing.service_id == details.service_id
                    and existing.plan_id == details.plan_id
                    and existing.parameters == parameters
                )
                if not same:
                    raise errors.ErrInstanceAlreadyExists()
                op = existing.operation
                if op is not None and op.kind == "provision" and not op.done:
                    # still being created: a re-sent PUT gets the original operation again
                    return ProvisionedServiceSpec(state=ProvisionState.IS_ASYNC, operation=op.id)
                return ProvisionedServiceSpec(state=ProvisionState.IDENTICAL_ALREADY_EXISTS)

            if is_async and not async_allowed:
                raise errors.ErrAsyncRequired()

            instance = _Instance(
                service_id=details.service_id,
                plan_id=details.plan_id,
                parameters=dict(parameters),
                context=details.context,
            )
            self._instances[instance_id] = instance

            if is_async:
                instance.operation = self._new_operation("provision")
                logger.info(
                    "provisioning %s asynchronously (%s)", instance_id, instance.operation.id
                )
                return ProvisionedServiceSpec(
                    state=ProvisionState.IS_ASYNC, operation=instance.operation.id
                )

            logger.info("provisioned %s", instance_id)
            return ProvisionedServiceSpec(state=ProvisionState.SUCCESSFUL_CREATED)

    def get_instance(self, instance_id: str, **kwargs) -> GetInstanceDetailsSpec:
        with self._lock:
            instance = self._get_instance(instance_id)
            op = instance.operation
            if op is not None and not op.done:
                if op.kind == "provision":
                    raise errors.ErrInstanceDoesNotExist()
                if op.kind == "update":
                    raise errors.ErrConcurrentInstanceAccess()
            return GetInstanceDetailsSpec(
                service_id=instance.service_id,
                plan_id=instance.plan_id,
                parameters=dict(instance.parameters),
            )

    def update(
        self, instance_id: str, details: UpdateDetails, async_allowed: bool, **kwargs
    ) -> UpdateServiceSpec:
        self._check_service(details.service_id)
        _validate_parameters(details.parameters, INSTANCE_PARAMETERS_SCHEMA)

        with self._lock:
            instance = self._get_instance(instance_id)
            if instance.busy:
                raise errors.ErrConcurrentInstanceAccess()
            if details.service_id != instance.service_id:
                raise errors.ErrBadRequest("service_id does not match the service instance")

            target_plan = details.plan_id or instance.plan_id
            is_async = self._is_async_plan(target_plan)
            if is_async and not async_allowed:
                raise errors.ErrAsyncRequired()

            instance.plan_id = target_plan
            if details.parameters is not None:
                instance.parameters.update(details.parameters)
            if details.context is not None:
                instance.context = details.context

            if is_async:
                instance.operation = self._new_operation("update")
                logger.info("updating %s asynchronously (%s)", instance_id, instance.operation.id)
                return UpdateServiceSpec(is_async=True, operation=instance.operation.id)

            logger.info("updated %s", instance_id)
            return UpdateServiceSpec(is_async=False)

    def deprovision(
        self, instance_id: str, details: DeprovisionDetails, async_allowed: bool, **kwargs
    ) -> DeprovisionServiceSpec:
        with self._lock:
            instance = self._get_instance(instance_id)
            is_async = self._is_async_plan(instance.plan_id)

            op = instance.operation
            if op is not None and op.kind == "deprovision" and not op.done:
                return DeprovisionServiceSpec(is_async=True, operation=op.id)

            if is_async and not async_allowed:
                raise errors.ErrAsyncRequired()

            if is_async:
                instance.operation = self._new_operation("deprovision")
                logger.info(
                    "deprovisioning %s asynchronously (%s)", instance_id, instance.operation.id
                )
                return DeprovisionServiceSpec(is_async=True, operation=instance.operation.id)

            self._delete_instance(instance_id)
            logger.info("deprovisioned %s", instance_id)
            return DeprovisionServiceSpec(is_async=False)

    def _delete_instance(self, instance_id: str) -> None:
        self._instances.pop(instance_id, None)
        for key in [k for k in self._bindings if k[0] == instance_id]:
            del self._bindings[key]

    def last_operation(
        self,
        instance_id: str,
        operation_data: str | None,
        service_id: str | None = None,
        plan_id: str | None = None,
        **kwargs,
    ) -> LastOperation:
        with self._lock:
            instance = self._get_instance(instance_id)
            op = instance.operation
            if op is None:
                # synchronous instance: nothing is pending
                return LastOperation(OperationState.SUCCEEDED, "No pending operation.")
            if operation_data is not None and operation_data != op.id:
                raise errors.ErrBadRequest(f"Unknown operation {operation_data!r}")

            op.polls += 1
            if not op.done:
                return LastOperation(OperationState.IN_PROGRESS, f"{op.kind.capitalize()} running.")

            if op.kind == "deprovision":
                self._delete_instance(instance_id)
            return LastOperation(OperationState.SUCCEEDED, f"{op.kind.capitalize()} succeeded.")

    # -- service bindings ----------------------------------------------------------------------

    def bind(
        self,
        instance_id: str,
        binding_id: str,
        details: BindDetails,
        async_allowed: bool,
        **kwargs,
    ) -> Binding:
        self._check_service(details.service_id)
        _validate_parameters(details.parameters, BINDING_PARAMETERS_SCHEMA)
        parameters = details.parameters or {}
        app_guid = details.app_guid or (
            details.bind_resource.app_guid if details.bind_resource else None
        )

        with self._lock:
            instance = self._get_instance(instance_id)
            if instance.busy:
                raise errors.ErrConcurrentInstanceAccess()

            existing = self._bindings.get((instance_id, binding_id))
            if existing is not None:
                same = (
                    existing.service_id == details.service_id
                    and existing.plan_id == details.plan_id
                    and existing.parameters == parameters
                    and existing.app_guid == app_guid
                )
                if not same:
                    raise errors.ErrBindingAlreadyExists()
                return Binding(
                    state=BindState.IDENTICAL_ALREADY_EXISTS,
                    credentials=dict(existing.credentials),
                )

            binding = _Binding(
                service_id=details.service_id,
                plan_id=details.plan_id,
                parameters=dict(parameters),
                app_guid=app_guid,
                credentials={
                    "username": f"u_{secrets.token_hex(6)}",
                    "password": secrets.token_urlsafe(18),
                },
            )
            self._bindings[(instance_id, binding_id)] = binding
            logger.info("bound %s/%s", instance_id, binding_id)
            return Binding(state=BindState.SUCCESSFUL_BOUND, credentials=dict(binding.credentials))

    def get_binding(self, instance_id: str, binding_id: str, **kwargs) -> GetBindingSpec:
        with self._lock:
            binding = self._bindings.get((instance_id, binding_id))
            if binding is None:
                raise errors.ErrBindingDoesNotExist()
            return GetBindingSpec(
                credentials=dict(binding.credentials),
                parameters=dict(binding.parameters),
            )

    def unbind(
        self,
        instance_id: str,
        binding_id: str,
        details: UnbindDetails,
        async_allowed: bool,
        **kwargs,
    ) -> UnbindSpec:
        with self._lock:
            if self._bindings.pop((instance_id, binding_id), None) is None:
                raise errors.ErrBindingDoesNotExist()
            logger.info("unbound %s/%s", instance_id, binding_id)
            return UnbindSpec(is_async=False)

    def last_binding_operation(
        self,
        instance_id: str,
        binding_id: str,
        operation_data: str | None,
        service_id: str | None = None,
        plan_id: str | None = None,
        **kwargs,
    ) -> LastOperation:
        # Bindings are always created synchronously, so there is never anything pending.
        with self._lock:
            if (instance_id, binding_id) not in self._bindings:
                raise errors.ErrBindingDoesNotExist()
            return LastOperation(OperationState.SUCCEEDED, "Binding is ready.")


# -- HTTP server -------------------------------------------------------------------------------


def create_app(
    broker: ServiceBroker | None = None, username: str = "admin", password: str = "secret"
) -> Flask:
    """Build the Flask app: the framework's blueprint behind basic auth."""
    app = Flask("obapi-db")
    app.register_blueprint(
        get_blueprint(
            broker if broker is not None else ObapiDbBroker(),
            BrokerCredentials(username, password),
            logger,
        )
    )
    return app


def _make_server(host: str, port: int, app: Flask):
    if host != LOOPBACK:
        raise ValueError(f"this test broker only binds to {LOOPBACK}, not {host!r}")
    return make_server(host, port, app, threaded=True)


def serve_in_thread(
    host: str = LOOPBACK, port: int = 0, username: str = "admin", password: str = "secret",
    broker: ServiceBroker | None = None,
):
    """Start a real HTTP server for ``broker`` (default: a fresh one) in a daemon thread.

    Returns ``(base_url, stop)``; ``stop()`` shuts the server down and waits for the thread.
    ``port=0`` picks a free port.
    """
    server = _make_server(host, port, create_app(broker, username=username, password=password))
    base_url = f"http://{LOOPBACK}:{server.server_port}"
    thread = threading.Thread(
        target=server.serve_forever, name=f"obapi-db-broker:{server.server_port}", daemon=True
    )
    thread.start()
    stopped = threading.Event()

    def stop() -> None:
        if stopped.is_set():
            return
        stopped.set()
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()

    return base_url, stop


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m tests.brokers.openbrokerapi_broker",
        description="Run the openbrokerapi based obapi-db test broker on 127.0.0.1.",
    )
    parser.add_argument("--port", type=int, required=True, help="TCP port (0 picks a free one)")
    parser.add_argument("--username", default="admin")
    parser.add_argument("--password", default="secret")
    args = parser.parse_args(argv)

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    server = _make_server(
        LOOPBACK, args.port, create_app(username=args.username, password=args.password)
    )
    print(f"http://{LOOPBACK}:{server.server_port}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
