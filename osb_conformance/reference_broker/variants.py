"""Compliant variants of the reference broker: other choices the spec allows.

Not mutants. A mutant breaks one requirement and the suite must fail it; a variant makes a
choice the spec leaves to the broker, one the suite once failed by mistake (issue 11), and
the suite must find it CONFORMANT. ``tests/test_compliant_variants.py`` runs the suite
against each.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .http_types import Request, Response
from .state import IN_PROGRESS

if TYPE_CHECKING:
    from .broker import ReferenceBroker

Before = Callable[["ReferenceBroker", Request], "Response | None"]
After = Callable[["ReferenceBroker", Request, Response], Response]
BINDING_ROUTES = ("bind", "fetch_binding", "unbind", "binding_last_operation")
POLL_ROUTES = ("instance_last_operation", "binding_last_operation")


@dataclass(frozen=True)
class Variant:
    """A compliant way to differ: a catalog change and, made fresh per broker (it may keep
    state), a hook that answers before the broker does."""

    name: str
    description: str
    change_catalog: Callable[[dict[str, Any]], None] | None = None
    make_before: Callable[[], Before] | None = None
    after: After | None = None  # rewrites the broker's answer (stateless)


def _without_context_updates(catalog: dict[str, Any]) -> None:
    for service in catalog["services"]:
        service.pop("allow_context_updates", None)


def _nothing_bindable(catalog: dict[str, Any]) -> None:
    for service in catalog["services"]:
        service["bindable"] = False
        service.pop("bindings_retrievable", None)
        for plan in service["plans"]:
            plan.pop("bindable", None)
            plan.pop("binding_rotatable", None)
            plan.get("schemas", {}).pop("service_binding", None)


def _no_binding_endpoints() -> Before:
    """Binding routes do not exist: 404 from the web framework, before any authentication
    (spec #binding: a broker without bindable services need not implement them)."""
    def before(broker: Any, request: Request) -> Response | None:
        if request.route in BINDING_ROUTES:
            return Response(404, b"404 page not found", {"Content-Type": "text/plain"})
        return None
    return before


def _one_503_per_operation() -> Before:
    """The first poll of each operation in progress answers 503 once (a restart, a proxy):
    platforms SHOULD keep polling (spec #polling-last-operation-for-service-instances)."""
    answered: set[str] = set()

    def before(broker: Any, request: Request) -> Response | None:
        if request.route not in POLL_ROUTES or not broker.authenticated(request):
            return None
        instance = broker.state.instances.get(request.instance_id)
        target = instance.bindings.get(request.binding_id) if instance and \
            request.binding_id else instance
        operation = getattr(target, "operation", None)
        if operation is None or operation.state != IN_PROGRESS or operation.id in answered:
            return None
        answered.add(operation.id)
        return Response(503, {"description": "temporarily unavailable, poll again"})
    return before


def _asynchronous_rotation(broker: Any, request: Request, response: Response) -> Response:
    """A rotation that created a binding at once (201) is carried out asynchronously
    instead, when the platform accepts that: the bind of the predecessor was synchronous,
    and the spec asks the rotation only for a bind's responses (spec #response-7)."""
    if request.route != "bind" or response.status != 201 or not request.accepts_incomplete:
        return response
    try:
        body = json.loads(request.body or b"{}")
    except ValueError:
        return response
    if not isinstance(body, dict) or "predecessor_binding_id" not in body:
        return response
    binding = broker.state.instances[request.instance_id].bindings[request.binding_id]
    binding.ready = False
    binding.operation = broker.new_operation("bind", binding.signature)
    return broker.accepted(binding.operation)


def _without_credentials(broker: Any, request: Request, response: Response) -> Response:
    """Bindings carry no credentials and no endpoints: a broker that generates none (spec
    #body-9: credentials MUST be returned only if the broker generates them)."""
    if request.route in ("bind", "fetch_binding") and response.status in (200, 201) \
            and isinstance(response.body, dict):
        body = {k: v for k, v in response.body.items() if k not in ("credentials", "endpoints")}
        return Response(response.status, body, response.headers)
    return response


VARIANTS: dict[str, Variant] = {variant.name: variant for variant in (
    Variant("no-context-updates",
            "no offering declares allow_context_updates; context-only updates are refused "
            "with 422", change_catalog=_without_context_updates),
    Variant("nothing-bindable",
            "no plan is bindable and the binding endpoints do not exist (404 before "
            "authentication)", change_catalog=_nothing_bindable,
            make_before=_no_binding_endpoints),
    Variant("async-rotation",
            "rotations of synchronously created bindings are carried out asynchronously "
            "(202, then polled)", after=_asynchronous_rotation),
    Variant("credential-free-bindings",
            "the broker generates no credentials: bind and fetch answers carry neither "
            "credentials nor endpoints", after=_without_credentials),
    Variant("transient-503-polling",
            "the first last_operation poll of each operation in progress answers 503",
            make_before=_one_503_per_operation),
)}
