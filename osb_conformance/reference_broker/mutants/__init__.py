"""Mutants: the reference broker with one deliberate defect each.

A mutant violates exactly the requirement(s) it names, and nothing else, so the
self-tests can show that the suite's check for that requirement can fail. Each
area's mutants live in their own module and register themselves here.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..http_types import Request, Response

if TYPE_CHECKING:
    from ..broker import ReferenceBroker

Before = Callable[["ReferenceBroker", Request], "Response | None"]
After = Callable[["ReferenceBroker", Request, Response], Response]


@dataclass(frozen=True)
class Mutant:
    """A named defect: may answer before the broker does, or rewrite its answer."""

    name: str
    violates: tuple[str, ...]
    description: str
    before_hook: Before | None = None
    after_hook: After | None = None
    strict_only: bool = False  # detected as a SHOULD warning, i.e. fails only under --osb-strict
    options: tuple[str, ...] = ()  # extra suite options the detecting run needs

    def before(self, broker: ReferenceBroker, request: Request) -> Response | None:
        return self.before_hook(broker, request) if self.before_hook else None

    def after(self, broker: ReferenceBroker, request: Request, response: Response) -> Response:
        return self.after_hook(broker, request, response) if self.after_hook else response


MUTANTS: dict[str, Mutant] = {}


def register(name: str, violates: str | tuple[str, ...], description: str, *,
             before: Before | None = None, after: After | None = None,
             strict_only: bool = False, options: tuple[str, ...] = ()) -> Mutant:
    """Add a mutant to the registry (names are unique)."""
    if name in MUTANTS:
        raise ValueError(f"duplicate mutant {name}")
    ids = (violates,) if isinstance(violates, str) else violates
    mutant = Mutant(name, ids, description, before, after, strict_only, options)
    MUTANTS[name] = mutant
    return mutant


def combine(names: str) -> Mutant:
    """Several mutants at once (``a,b,c``): each answers or rewrites in the order given.

    For runs that need a broker with more than one deviation (known-deviations files).
    """
    parts = [MUTANTS[name.strip()] for name in names.split(",") if name.strip()]
    if len(parts) == 1:
        return parts[0]

    def before(broker: ReferenceBroker, request: Request) -> Response | None:
        for part in parts:
            response = part.before(broker, request)
            if response is not None:
                return response
        return None

    def after(broker: ReferenceBroker, request: Request, response: Response) -> Response:
        for part in parts:
            response = part.after(broker, request, response)
        return response

    return Mutant("+".join(p.name for p in parts),
                  tuple(rid for p in parts for rid in p.violates),
                  "; ".join(p.description for p in parts), before, after,
                  strict_only=all(p.strict_only for p in parts),
                  options=tuple(dict.fromkeys(o for p in parts for o in p.options)))


def on(route: str, status: int | None = None) -> Callable[[Request, Response], bool]:
    """A predicate: the request went to ``route`` (and the broker answered ``status``)."""
    def matches(request: Request, response: Response) -> bool:
        return request.route == route and (status is None or response.status == status)
    return matches


def refused(route: str, code: str) -> Callable[[Request, Response], bool]:
    """A predicate: the broker refused a ``route`` request with 422 and error ``code``."""
    def matches(request: Request, response: Response) -> bool:
        body = response.body if isinstance(response.body, dict) else {}
        return request.route == route and response.status == 422 and body.get("error") == code
    return matches


def rewrite(when: Callable[[Request, Response], bool],
            change: Callable[[Response], Response]) -> After:
    """An after-hook that changes the broker's answer when ``when`` holds."""
    def after(broker: Any, request: Request, response: Response) -> Response:
        return change(response) if when(request, response) else response
    return after


def status(code: int, body: Any = None) -> Callable[[Response], Response]:
    """A change: same answer with another status (and optionally another body)."""
    def change(response: Response) -> Response:
        return Response(code, response.body if body is None else body, response.headers)
    return change


def catalog_change(change: Callable[[list[dict[str, Any]]], Any]) -> After:
    """An after-hook that changes (a copy of) the services of every catalog answer."""
    def after(broker: Any, request: Request, response: Response) -> Response:
        if request.route != "catalog" or response.status != 200:
            return response
        body = copy.deepcopy(response.body)
        change(body["services"])
        return Response(200, body, response.headers)
    return after


def deletable_while_provisioning(broker: Any, request: Request) -> Response | None:
    """A before-hook: a DELETE during a provision that never ends removes the instance,
    so that a mutant whose operations never finish still lets the suite clean up."""
    instance = broker.state.instances.get(request.instance_id)
    if request.route == "deprovision" and instance is not None and instance.operation \
            and instance.operation.kind == "provision" and instance.operation.in_progress:
        broker.remove_instance(instance)
        return Response(200, {})
    return None


def _load_all() -> None:
    # Import every area module so its mutants register themselves.
    import importlib
    import pkgutil

    for module in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{module.name}")


_load_all()
