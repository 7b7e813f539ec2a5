"""Security middleware: the Content-Security-Policy header, and a clear 413 for request bodies over the limit."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.views import defaults

# Everything the pages load comes from this server: scripts and styles are static files (no inline <script>,
# <style>, style= or on*= in the templates), charts are inline SVG, htmx talks to the same origin.
POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
          "connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'")
# Swagger UI (the API docs page) sets style= attributes from its scripts; only that page allows them.
DOCS_POLICY = POLICY.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")
API_PREFIX = "/api/"


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if "Content-Security-Policy" not in response:
            docs = request.path.startswith(API_PREFIX) and request.path.rstrip("/").endswith("/docs")
            response["Content-Security-Policy"] = DOCS_POLICY if docs else POLICY
        return response


def body_limit(request: HttpRequest) -> int:
    """The largest body accepted: form and JSON fields, plus an upload's size for multipart requests."""
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    if request.content_type == "multipart/form-data":
        limit += settings.IMPORT_MAX_BYTES
    return limit


def too_big(request: HttpRequest, limit: int) -> HttpResponse:
    """413: JSON in the API's error shape under /api/, a readable page elsewhere."""
    megabytes = f"{limit / 1024 / 1024:.1f} MB"
    message = f"The request body is too large: at most {megabytes} is accepted."
    if request.path.startswith(API_PREFIX):
        return JsonResponse({"message": message, "errors": [
            {"field": None, "message": message, "code": "request_too_large"}]}, status=413)
    return HttpResponse(render_to_string("core/too_big.html", {"limit": megabytes}, request=request), status=413)


class RequestTooBigMiddleware:
    """Refuse a body whose declared length is over the limit before anything reads (or spools) it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit = body_limit(request)
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > limit:
            return too_big(request, limit)
        return self.get_response(request)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """handler400: Django's RequestDataTooBig (form or JSON fields over DATA_UPLOAD_MAX_MEMORY_SIZE, found when
    something reads them: the CSRF check, a view, the API) becomes the same 413; anything else stays a 400."""
    if isinstance(exception, RequestDataTooBig):
        return too_big(request, settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
    return defaults.bad_request(request, exception)


def locked_out(request: HttpRequest, original_response: HttpResponse | None = None,
               credentials: dict | None = None) -> HttpResponse:
    """django-axes' lockout response: a page that says why and for how long (429)."""
    username = (credentials or {}).get("username") or request.POST.get("username", "")
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    context = {"failure_limit": settings.AXES_FAILURE_LIMIT, "username": username, "minutes": minutes}
    return render(request, "auth/locked_out.html", context, status=429)


def client_address(request: HttpRequest) -> str | None:
    """The address sign-in throttling counts by: the connection's, or behind a TLS proxy (BEHIND_TLS_PROXY)
    the last X-Forwarded-For entry, the one that proxy added. Earlier entries come from the client and are
    never trusted, or rotating them would lift the lockout."""
    if settings.BEHIND_TLS_PROXY:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").rsplit(",", 1)[-1].strip()
        if forwarded:
            return forwarded
    return request.META.get("REMOTE_ADDR")
