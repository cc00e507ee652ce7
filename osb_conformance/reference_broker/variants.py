"""Compliant variants of the reference broker: other choices the spec allows.

Not mutants. A mutant breaks one requirement and the suite must fail it; a variant makes a
choice the spec leaves to the broker, one the suite once failed by mistake (issue 11), and
the suite must find it CONFORMANT. ``tests/test_compliant_variants.py`` runs the suite
against each.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .http_types import Request, Response
from .state import IN_PROGRESS

if TYPE_CHECKING:
    from .broker import ReferenceBroker

Before = Callable[["ReferenceBroker", Request], "Response | None"]
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


VARIANTS: dict[str, Variant] = {variant.name: variant for variant in (
    Variant("no-context-updates",
            "no offering declares allow_context_updates; context-only updates are refused "
            "with 422", change_catalog=_without_context_updates),
    Variant("nothing-bindable",
            "no plan is bindable and the binding endpoints do not exist (404 before "
            "authentication)", change_catalog=_nothing_bindable,
            make_before=_no_binding_endpoints),
    Variant("transient-503-polling",
            "the first last_operation poll of each operation in progress answers 503",
            make_before=_one_503_per_operation),
)}
