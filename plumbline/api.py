"""The REST API at /api/v1: one NinjaAPI, each app mounts its router here; one error body everywhere."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security import HttpBearer, django_auth

from plumbline.accounts.actions import user_for_token
from plumbline.core.api_helpers import MAX_ID, unreadable_body
from plumbline.core.errors import DomainError, ValidationFailed, error_body


class BearerToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str):  # type: ignore[override]
        user = user_for_token(token)
        if user is not None:
            request.user = user
        return user


ERROR_SCHEMA = {
    "title": "Error",
    "type": "object",
    "required": ["message", "errors"],
    "properties": {
        "message": {"type": "string"},
        "errors": {"type": "array", "items": {
            "type": "object",
            "required": ["field", "message", "code"],
            "properties": {
                "field": {"anyOf": [{"type": "string"}, {"type": "null"}]},
                "message": {"type": "string"},
                "code": {"type": "string"},
                "index": {"type": "integer", "description": "The batch item the error is about."},
            },
        }},
    },
}
ERROR_STATUSES = {
    400: "The request was refused (the message and errors say why)",
    401: "No valid credentials",
    403: "The acting user may not do this",
    404: "Nothing with that id",
    409: "Conflicts with the current state (or the Idempotency-Key's request is still running)",
    422: "Invalid input: each error names its field",
}


class PlumblineAPI(NinjaAPI):
    """Declares, for every operation, the error answers any of them can give, in the one error body: 400, 401,
    403 and 422 everywhere, 404 where a required parameter is an id, 409 on writes (schemathesis holds the document to
    it: tests/api/test_openapi_fuzz.py)."""

    def get_openapi_schema(self, *, path_prefix: str | None = None, path_params: dict | None = None) -> Any:
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        schema.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
        error = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
        for operations in schema["paths"].values():
            for method, operation in operations.items():
                for status in sorted(_error_statuses(method, operation)):
                    declared = operation["responses"].get(status)
                    if declared is None:
                        operation["responses"][status] = {"description": ERROR_STATUSES[status], "content": error}
                    else:  # a body of its own for this status (the import report), or the error body
                        body = declared["content"]["application/json"]
                        body["schema"] = {"anyOf": [body["schema"], error["application/json"]["schema"]]}
        return schema


def _error_statuses(method: str, operation: dict) -> set[int]:
    statuses = {400, 401, 403, 422}
    # A required id (in the path, or a query such as the diff's versions) may name nothing.
    if any(p.get("required") and p.get("schema", {}).get("maximum") == MAX_ID for p in operation.get("parameters", [])):
        statuses.add(404)
    if method != "get":
        statuses.add(409)
    return statuses


api = PlumblineAPI(
    title="Plumbline API",
    version="1",
    description="One record for marketing and sales. Authenticate with `Authorization: Bearer <token>` "
    "(create one with `plumbline token create USERNAME`).",
    auth=[BearerToken(), django_auth],
    urls_namespace="api",
)


def _loc_to_field(loc: list) -> str | None:
    if loc[:1] == ["file"]:  # an upload's location, then the parameter's name (which may itself be "file")
        loc = loc[1:]
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "payload", "form")]
    return ".".join(parts) or None


@api.exception_handler(NinjaValidationError)
def on_validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    errors = [
        {"field": _loc_to_field(list(e.get("loc", []))), "message": e.get("msg", "Invalid value."),
         "code": e.get("type", "invalid")}
        for e in exc.errors
    ]
    return api.create_response(request, error_body("The request is invalid.", errors), status=422)


@api.exception_handler(DomainError)
def on_domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    items = exc.errors if isinstance(exc, ValidationFailed) else [exc]
    errors = [e.as_dict() for e in items]
    item_errors = getattr(exc, "item_errors", None)
    if item_errors is not None:
        errors = [{"index": i, **e.as_dict()} for i, e in item_errors]
    return api.create_response(request, error_body(exc.message, errors), status=exc.status)


@api.exception_handler(AuthenticationError)
def on_auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    body = error_body("Authentication required: send a valid bearer token.", [
        {"field": None, "message": "Missing or invalid credentials.", "code": "unauthorized"}])
    return api.create_response(request, body, status=401)


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    unreadable = unreadable_body(exc.__cause__)
    if unreadable is not None:  # ninja's "Cannot parse request body": say where and why
        return api.create_response(request, error_body(unreadable["message"], [unreadable]), status=400)
    body = error_body(str(exc), [{"field": None, "message": str(exc), "code": f"http_{exc.status_code}"}])
    return api.create_response(request, body, status=exc.status_code)


def _mount() -> None:
    from plumbline.accounts.api import router as accounts_router
    from plumbline.analytics.api import router as analytics_router
    from plumbline.consent.api import router as consent_router
    from plumbline.crm.api import routers as crm_routers
    from plumbline.crm.api.tasks import router as tasks_router
    from plumbline.definitions.api import router as definitions_router
    from plumbline.events.api import router as events_router
    from plumbline.handoff.api import router as handoff_router
    from plumbline.interop.api import router as interop_router
    from plumbline.marketing.api import router as marketing_router
    from plumbline.playbook.api import router as playbook_router
    from plumbline.scoring.api import router as scoring_router
    from plumbline.segments.api import router as segments_router
    from plumbline.tracking.api import router as tracking_router
    from plumbline.webforms.api import router as webforms_router
    from plumbline.webhooks.api import router as webhooks_router

    api.add_router("/", accounts_router)
    for router in crm_routers:
        api.add_router("/", router)
    api.add_router("/", marketing_router)
    api.add_router("/", consent_router)  # /contacts/{id}/consent and /subscription-types: no crm path clashes
    api.add_router("/", definitions_router)
    api.add_router("/", events_router)
    api.add_router("/", scoring_router)
    api.add_router("/", handoff_router)
    api.add_router("/", playbook_router)
    api.add_router("/", analytics_router)
    api.add_router("/", interop_router)
    api.add_router("/", tasks_router)
    api.add_router("/", webhooks_router)
    api.add_router("/", webforms_router)
    api.add_router("/", tracking_router)
    api.add_router("/", segments_router)


_mount()
