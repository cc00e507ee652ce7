"""Mutants for headers, authentication, content types and extension fields."""

from __future__ import annotations

import json
import uuid
from typing import Any

from ..http_types import Request, Response, error
from . import register

REQUEST_IDENTITY = "X-Broker-API-Request-Identity"


def _version_refused_with(code: int, version: str | None):  # type: ignore[no-untyped-def]
    """Refuse a request declaring ``version`` (None: no header) with ``code``."""
    def before(broker: Any, request: Request) -> Response | None:
        if request.route and request.header("X-Broker-API-Version") == version:
            return error(code, "API version not accepted")
        return None
    return before


register("version-unsupported-400", "HDR-002B",
         "a request declaring API version 3.0 is refused with 400 instead of 412",
         before=_version_refused_with(400, "3.0"), strict_only=True)
register("version-missing-412", "HDR-003B",
         "a request without X-Broker-API-Version is refused with 412 instead of 400",
         before=_version_refused_with(412, None), strict_only=True)


def _refuse_current_version_after_catalog(broker: Any, request: Request) -> Response | None:
    # The catalog is still served (else no run could start); other routes refuse 2.17.
    if request.route.endswith("last_operation") \
            and request.header("X-Broker-API-Version") == "2.17":
        return error(412, "this broker needs another API version")
    return None


register("version-current-refused", "HDR-004A",
         "last_operation requests declaring version 2.17 are refused with 412",
         before=_refuse_current_version_after_catalog, strict_only=True)


def _identity_replaced(broker: Any, request: Request, response: Response) -> Response:
    if request.route == "bind":
        response.headers[REQUEST_IDENTITY] = str(uuid.uuid4())
    return response


register("request-identity-not-echoed", "HDR-005",
         "bind responses carry a request identity other than the one sent",
         after=_identity_replaced, strict_only=True)


def _text_plain(broker: Any, request: Request, response: Response) -> Response:
    if request.route == "fetch_instance" and response.status == 200:
        body = json.dumps(response.body).encode()
        return Response(200, body, {**response.headers, "Content-Type": "text/plain"})
    return response


register("content-type-text-plain", "CT-001",
         "fetching an instance answers its JSON body labelled text/plain",
         after=_text_plain, strict_only=True)


def _malformed_body_422(broker: Any, request: Request) -> Response | None:
    if request.route in ("provision", "update", "bind") and request.body.strip():
        try:
            json.loads(request.body)
        except ValueError:
            return error(422, "could not process the body")
    return None


register("malformed-body-422", "CT-002",
         "provision, update and bind answer 422 instead of 400 to malformed JSON",
         before=_malformed_body_422)


def _refuse_text_plain(broker: Any, request: Request) -> Response | None:
    content_type = request.header("content-type") or ""
    if request.route == "provision" and content_type.startswith("text/plain"):
        return error(415, "only application/json is accepted")
    return None


register("content-type-refused-415", "CT-003B",
         "a provision labelled text/plain is refused with 415 instead of 400",
         before=_refuse_text_plain, strict_only=True)


def _extension(request: Request) -> bool:
    try:
        body = json.loads(request.body)
    except ValueError:
        return False
    return isinstance(body, dict) and any(key.startswith("osbc_") for key in body)


def _refuse_extensions(broker: Any, request: Request) -> Response | None:
    if request.route == "bind" and _extension(request):
        return error(400, "unknown field in the request")
    return None


register("extension-fields-refused", "EXT-001B",
         "a bind with an unknown top-level field is refused with 400",
         before=_refuse_extensions)


def _extension_changes_outcome(broker: Any, request: Request, response: Response) -> Response:
    if request.route == "provision" and response.status == 201 and _extension(request):
        return Response(200, response.body, response.headers)
    return response


register("extension-fields-change-outcome", "EXT-001A",
         "a new instance provisioned with an unknown field answers 200 instead of 201",
         after=_extension_changes_outcome)


def _unauthenticated_catalog(broker: Any, request: Request) -> Response | None:
    if request.route == "catalog" and request.header("authorization") is None:
        return broker.dispatch_authenticated(request)
    return None


register("auth-catalog-open", ("AUTH-001", "AUTH-004B"),
         "the catalog is served without credentials", before=_unauthenticated_catalog)


def _any_password(broker: Any, request: Request) -> Response | None:
    header = request.header("authorization") or ""
    if request.route and header.startswith("Basic ") and not broker.authenticated(request):
        return broker.dispatch_authenticated(request)
    return None


register("auth-any-basic-credentials", "AUTH-002",
         "any Basic credentials are accepted, wrong user or password included",
         before=_any_password)


def _unauthenticated_put_creates(broker: Any, request: Request) -> Response | None:
    if request.route == "provision" and request.header("authorization") is None:
        broker.dispatch_authenticated(request)  # creates the instance, then ...
        return Response(401, {"description": "authentication failed"})
    return None


register("auth-refused-provision-creates", "AUTH-003",
         "a provision without credentials answers 401 but creates the instance",
         before=_unauthenticated_put_creates)
