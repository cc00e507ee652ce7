"""Chaos variants of the reference broker: an unreliable broker, not a wrong one.

A mutant breaks exactly one requirement so that one check can be shown to fail. Chaos
instead makes the broker misbehave the way real ones do in the field (hangs, dropped
connections, garbage, random 5xx, slowness, operations that never end), so the self-tests
(``tests/test_chaos.py``) can show that the suite stays within its time bounds, reports
clear failures and leaves nothing behind. What the broker logic cannot express (hanging,
closing mid-body, answering late) it asks of the HTTP server by ``X-Reference-*`` headers
(see ``server.py``).

    python -m osb_conformance.reference_broker --chaos hang-provision
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .http_types import Request, Response
from .state import IN_PROGRESS

if TYPE_CHECKING:
    from .broker import ReferenceBroker

DEFAULT_SEED = 20170  # error-500 draws from a fixed seed: the same run fails the same way
ERROR_RATE = 0.25
HUGE_BODY_BYTES = 8 * 1_048_576
SLOW_SECONDS = 0.05
SLOW_BIND_SECONDS = 1.5
# Routes chaos never touches: the self-tests read the broker's state through it.
_UNTOUCHED = {"state", ""}

Before = Callable[["ReferenceBroker", Request], "Response | None"]
After = Callable[["ReferenceBroker", Request, Response], Response]


@dataclass
class Chaos:
    """One way of misbehaving: may answer instead of the broker, or rewrite its answer."""

    name: str
    description: str
    before_hook: Before | None = None
    after_hook: After | None = None
    # Suite options the self-test uses to keep the run short (and that its bound depends on).
    options: tuple[str, ...] = ()

    def before(self, broker: ReferenceBroker, request: Request) -> Response | None:
        if request.route in _UNTOUCHED or self.before_hook is None:
            return None
        return self.before_hook(broker, request)

    def after(self, broker: ReferenceBroker, request: Request, response: Response) -> Response:
        if request.route in _UNTOUCHED or self.after_hook is None:
            return response
        return self.after_hook(broker, request, response)


# -- building blocks ----------------------------------------------------------------------------
def _server_action(response: Response, **headers: str) -> Response:
    """The same answer, with instructions for the HTTP server."""
    return Response(response.status, response.body, {**response.headers, **headers})


def _body_bytes(response: Response) -> bytes:
    return response.body if isinstance(response.body, bytes) else json.dumps(
        response.body).encode()


def _hang_on(*routes: str) -> After:
    """The broker acts, then the answer never comes (an orphan in the making)."""
    def after(broker: Any, request: Request, response: Response) -> Response:
        if request.route in routes:
            return _server_action(response, **{"X-Reference-Action": "hang"})
        return response
    return after


def _hang_everything(broker: Any, request: Request) -> Response:
    return Response(200, {}, {"X-Reference-Action": "hang"})


def _hang_after_catalog(broker: Any, request: Request) -> Response | None:
    return None if request.route == "catalog" else _hang_everything(broker, request)


def _drop(broker: Any, request: Request, response: Response) -> Response:
    if request.route == "provision":  # acted, then closed without a byte of answer
        return _server_action(response, **{"X-Reference-Action": "drop"})
    if request.route == "bind":  # acted, then closed half-way through the body
        return _server_action(response, **{"X-Reference-Action": "cut"})
    return response


def _drop_on(route: str) -> After:
    """Requests of one route only are closed without a byte of answer; everything else is
    answered, so a self-test can show which checks still run around the dropped one."""
    def after(broker: Any, request: Request, response: Response) -> Response:
        if request.route == route:
            return _server_action(response, **{"X-Reference-Action": "drop"})
        return response
    return after


_HTML = (b"<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head>"
         b"<body><h1>Bad Gateway</h1><p>upstream broker unavailable</p></body></html>")


def _garbage(broker: Any, request: Request, response: Response) -> Response:
    """Successful answers in unusable shapes; deletes and polling stay intact so the
    suite can still clean up."""
    if response.status >= 300:
        return response
    route = request.route
    if route == "provision":
        return Response(response.status, _HTML, {"Content-Type": "text/html"})
    if route == "bind":
        payload = _body_bytes(response)
        return Response(response.status, payload[: len(payload) // 2],
                        {"Content-Type": "application/json"})
    if route in ("fetch_instance", "fetch_binding"):
        return Response(200, ["not", "an", "object"])
    if route == "update":
        return Response(response.status, _body_bytes(response), {"Content-Type": "text/plain"})
    return response


def _huge(broker: Any, request: Request, response: Response) -> Response:
    if request.route != "provision" or not isinstance(response.body, dict):
        return response
    padded = {**response.body, "padding": "x" * HUGE_BODY_BYTES}
    return Response(response.status, padded, response.headers)


def _redirect(broker: Any, request: Request) -> Response | None:
    if request.route not in ("provision", "bind"):
        return None
    target = f"{broker.base_url}/moved{request.path}"
    return Response(307, b"", {"Location": target, "Content-Type": "text/plain"})


def _error_500(chaos_rng: random.Random) -> After:
    """After the broker acted (so some 500s leave orphans), at random with a fixed seed."""
    def after(broker: Any, request: Request, response: Response) -> Response:
        if request.route == "catalog" or chaos_rng.random() >= ERROR_RATE:
            return response
        return Response(500, {"description": "chaos: internal server error"})
    return after


def _slow(broker: Any, request: Request, response: Response) -> Response:
    delay = SLOW_BIND_SECONDS if request.route == "bind" else SLOW_SECONDS
    return _server_action(response, **{"X-Reference-Delay": str(delay)})


def _operation_of(broker: Any, request: Request) -> Any:
    instance = broker.state.instances.get(request.instance_id)
    if instance is None:
        return None, None, None
    binding = instance.bindings.get(request.binding_id) if request.binding_id else None
    target = binding if request.binding_id else instance
    operation = target.operation if target is not None else None
    if operation is None or operation.state != IN_PROGRESS:
        operation = None
    return instance, binding, operation


def _never_finish(cancel_on_delete: bool) -> Before:
    """Asynchronous operations stay 'in progress' forever. With ``cancel_on_delete`` a
    delete cancels a creation in progress (so orphans can be removed); without, deletes
    themselves never finish either and the broker refuses concurrent ones (422)."""
    def before(broker: Any, request: Request) -> Response | None:
        instance, binding, operation = _operation_of(broker, request)
        if operation is None:
            return None
        if request.route in ("instance_last_operation", "binding_last_operation"):
            if cancel_on_delete and operation.kind in ("deprovision", "unbind"):
                return None
            return Response(200, {"state": IN_PROGRESS, "description": "chaos: never ends"})
        if cancel_on_delete and request.route == "deprovision" \
                and operation.kind in ("provision", "update"):
            broker.remove_instance(instance)
            return Response(200, {})
        if cancel_on_delete and request.route == "unbind" and operation.kind == "bind":
            broker.remove_binding(instance, binding)
            return Response(200, {})
        return None
    return before


# -- the modes -----------------------------------------------------------------------------------
_SHORT = ("--osb-timeout=0.5", "--osb-poll-timeout=1")


def _hooks(name: str, rng: random.Random) -> tuple[Before | None, After | None]:
    """The (before, after) hooks of a mode."""
    table: dict[str, tuple[Before | None, After | None]] = {
        "hang-provision": (None, _hang_on("provision")),
        "hang-all": (_hang_everything, None),
        "dead-after-catalog": (_hang_after_catalog, None),
        "drop": (None, _drop),
        "drop-fetch-instance": (None, _drop_on("fetch_instance")),
        "garbage": (None, _garbage),
        "huge": (None, _huge),
        "redirect": (_redirect, None),
        "error-500": (None, _error_500(rng)),
        "slow": (None, _slow),
        "never-finish": (_never_finish(cancel_on_delete=True), None),
        "stuck": (_never_finish(cancel_on_delete=False), None),
    }
    return table[name]


DESCRIPTIONS = {
    "hang-provision": "provision requests are carried out but never answered",
    "hang-all": "no request is ever answered, the catalog included",
    "dead-after-catalog": "the catalog is answered, then no request ever again",
    "drop": "provisions are carried out, then the connection is closed without an answer; "
            "bind answers are cut half-way through the body",
    "drop-fetch-instance": "every GET of an instance is closed without an answer; every "
                           "other request is answered",
    "garbage": "provision answers an HTML page (text/html), bind a truncated JSON body, "
               "fetches a JSON array, update JSON labelled text/plain",
    "huge": f"provision answers carry {HUGE_BODY_BYTES // 1_048_576} MiB bodies",
    "redirect": "provision and bind answer 307 to another URL",
    "error-500": f"{int(ERROR_RATE * 100)}% of answers (not the catalog) become 500 after the "
                 f"broker acted, drawn from a fixed seed",
    "slow": f"every answer waits {SLOW_SECONDS}s, bind answers {SLOW_BIND_SECONDS}s",
    "never-finish": "asynchronous provisions, updates and binds stay 'in progress' forever; "
                    "a delete cancels them",
    "stuck": "asynchronous operations, deletes included, stay 'in progress' forever; "
             "concurrent deletes are refused with 422",
}
OPTIONS = {name: _SHORT for name in DESCRIPTIONS}
CHAOS_MODES = tuple(DESCRIPTIONS)


def make_chaos(name: str, seed: int = DEFAULT_SEED) -> Chaos:
    """A fresh chaos of mode ``name`` (state such as the random generator is per broker)."""
    if name not in DESCRIPTIONS:
        raise ValueError(f"unknown chaos mode {name!r}; choose from {', '.join(CHAOS_MODES)}")
    before, after = _hooks(name, random.Random(seed))
    return Chaos(name, DESCRIPTIONS[name], before, after, OPTIONS[name])
