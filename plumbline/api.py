"""The REST API at /api/v1: one NinjaAPI, each app mounts its router here; one error body everywhere."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security import HttpBearer, django_auth

from plumbline.accounts.actions import user_for_token
from plumbline.core.api_helpers import unreadable_body
from plumbline.core.errors import DomainError, ValidationFailed


class BearerToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str):  # type: ignore[override]
        user = user_for_token(token)
        if user is not None:
            request.user = user
        return user


api = NinjaAPI(
    title="Plumbline API",
    version="1",
    description="One record for marketing and sales. Authenticate with `Authorization: Bearer <token>` "
    "(create one with `plumbline token create USERNAME`).",
    auth=[BearerToken(), django_auth],
    urls_namespace="api",
)


def error_body(message: str, errors: list[dict]) -> dict:
    return {"message": message, "errors": errors}


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
    from plumbline.crm.api import routers as crm_routers
    from plumbline.definitions.api import router as definitions_router
    from plumbline.handoff.api import router as handoff_router
    from plumbline.interop.api import router as interop_router
    from plumbline.marketing.api import router as marketing_router
    from plumbline.playbook.api import router as playbook_router
    from plumbline.scoring.api import router as scoring_router

    api.add_router("/", accounts_router)
    for router in crm_routers:
        api.add_router("/", router)
    api.add_router("/", marketing_router)
    api.add_router("/", definitions_router)
    api.add_router("/", scoring_router)
    api.add_router("/", handoff_router)
    api.add_router("/", playbook_router)
    api.add_router("/", analytics_router)
    api.add_router("/", interop_router)


_mount()
