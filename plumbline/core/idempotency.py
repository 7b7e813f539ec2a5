"""`Idempotency-Key` on POSTs that create rows (Stripe's scheme): a client that retries a request after a timeout
with the same key and body gets the first answer again instead of writing twice.

- Same key, same method, path and body: the stored response (status and body), marked `Idempotent-Replayed: true`.
- Same key, another request: 422. Same key while the first request is still running: 409.
- Keys belong to the acting user (one user's key never meets another's) and are kept 24 hours.
- Only a success (2xx) is stored; an error releases the key, so the corrected request can use it again.

The key is claimed in its own short transaction (so a concurrent retry sees it and gets 409 at once); the
response is stored in the request's transaction, with the rows it created: a crash never leaves rows whose
key has no response, and a key whose request died is taken over once it is older than IN_FLIGHT_EXPIRES.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja.decorators import decorate_view
from ninja.renderers import JSONRenderer
from ninja.utils import contribute_operation_callback

from plumbline.core.errors import error_body
from plumbline.core.models import IdempotencyKey

HEADER = "Idempotency-Key"
KEPT_FOR = dt.timedelta(hours=24)
IN_FLIGHT_EXPIRES = dt.timedelta(minutes=10)
MAX_KEY_LENGTH = 255

OPENAPI_PARAMETER = {
    "name": HEADER,
    "in": "header",
    "required": False,
    "description": (
        "Any unique string (a UUID, say) of at most 255 printable ASCII characters. A retry with the same key and "
        "the same body gets the first response again (with `Idempotent-Replayed: true`) instead of a second "
        "write; the same key with another body is refused (422), and while the first request is still running "
        "a retry gets 409. Keys are per user and kept 24 hours; only successful responses are kept."
    ),
    "schema": {"type": "string", "minLength": 1, "maxLength": MAX_KEY_LENGTH, "pattern": "^[\\x21-\\x7e]+$"},
}


_RENDERER = JSONRenderer()  # the API's renderer: these answers look like every other error of the API
# Who a bearer token belongs to. Tokens are accounts' business: it sets the lookup when the app is ready.
_token_user: Callable[[str], Any] | None = None


def set_token_user(lookup: Callable[[str], Any]) -> None:
    """Name the function that gives the active user of a raw bearer token (or None)."""
    global _token_user
    _token_user = lookup


def _error(request: HttpRequest, status: int, message: str, code: str) -> HttpResponse:
    body = error_body(message, [{"field": HEADER, "message": message, "code": code}])
    return HttpResponse(_RENDERER.render(request, body, response_status=status), status=status,
                        content_type=f"{_RENDERER.media_type}; charset={_RENDERER.charset}")


def _acting_user(request: HttpRequest) -> Any:
    """Who the key belongs to: the bearer token's user or the session's (None: the view will answer 401)."""
    header = request.headers.get("Authorization", "")
    if header[:7].lower() == "bearer ":
        if _token_user is None:
            raise ImproperlyConfigured("No bearer token lookup is set: is plumbline.accounts installed?")
        return _token_user(header[7:].strip())
    user = getattr(request, "user", None)
    return user if user is not None and user.is_authenticated else None


def _fingerprint(request: HttpRequest) -> str:
    digest = hashlib.sha256()
    for part in (request.method or "", request.get_full_path()):
        digest.update(part.encode() + b"\0")
    if request.content_type == "multipart/form-data":
        # An upload may be far larger than what Django lets `request.body` hold: hash the parsed form and files,
        # reading each file in chunks and rewinding it for the view.
        for name, value in sorted(request.POST.lists()):
            digest.update(repr((name, value)).encode() + b"\0")
        for name, files in sorted(request.FILES.lists()):
            for upload in files:
                digest.update(repr((name, upload.name, upload.size)).encode() + b"\0")
                for chunk in upload.chunks():
                    digest.update(chunk)
                upload.seek(0)
    else:
        digest.update(request.body)
    return digest.hexdigest()


def _claim(request: HttpRequest, user: Any, key: str) -> HttpResponse | None:
    """Take the key (None), or the answer this request gets instead: the stored response, a 409 or a 422."""
    fingerprint, now = _fingerprint(request), timezone.now()
    for _ in range(3):  # the row we collided with may be released before we read it: then claim again
        with transaction.atomic():
            IdempotencyKey.objects.filter(created_at__lt=now - KEPT_FOR).delete()
            try:
                with transaction.atomic():
                    IdempotencyKey.objects.create(user=user, key=key, fingerprint=fingerprint, created_at=now)
                    return None
            except IntegrityError:
                pass
            row = IdempotencyKey.objects.filter(user=user, key=key).first()
            if row is not None:
                return _answer_for(request, row, fingerprint, now)
    return _in_flight(request)


def _answer_for(request: HttpRequest, row: IdempotencyKey, fingerprint: str, now: dt.datetime) -> HttpResponse | None:
    if row.fingerprint != fingerprint:
        return _error(request, 422, f"This {HEADER} was used for a different request; use a new key.", "idempotency_mismatch")
    if row.status is not None:
        return _replay(row)
    # In flight, unless it was claimed so long ago that its request must have died: then take it over.
    taken = IdempotencyKey.objects.filter(
        pk=row.pk, status=None, created_at__lt=now - IN_FLIGHT_EXPIRES).update(created_at=now)
    return None if taken else _in_flight(request)


def _in_flight(request: HttpRequest) -> HttpResponse:
    return _error(request, 409, f"A request with this {HEADER} is still being processed; retry later.", "idempotency_in_flight")


def _replay(row: IdempotencyKey) -> HttpResponse:
    response = HttpResponse(row.body, status=row.status, content_type=row.content_type or "application/json")
    response["Idempotent-Replayed"] = "true"
    return response


def _release(user: Any, key: str) -> None:
    IdempotencyKey.objects.filter(user=user, key=key, status=None).delete()


def idempotent_view(run: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        key = request.headers.get(HEADER)
        if key is None:
            return run(request, *args, **kwargs)
        if not 0 < len(key) <= MAX_KEY_LENGTH or not all("!" <= ch <= "~" for ch in key):
            return _error(request, 422, f"{HEADER} must be 1 to {MAX_KEY_LENGTH} printable ASCII characters without spaces.",
                          "invalid")
        user = _acting_user(request)
        if user is None:
            return run(request, *args, **kwargs)  # answers 401; there is no one to keep a key for
        answer = _claim(request, user, key)
        if answer is not None:
            return answer
        try:
            with transaction.atomic():
                response = run(request, *args, **kwargs)
                if 200 <= response.status_code < 300:
                    IdempotencyKey.objects.filter(user=user, key=key).update(
                        status=response.status_code, content_type=response.get("Content-Type", "")[:100],
                        body=response.content.decode())
                    return response
        except BaseException:
            _release(user, key)
            raise
        _release(user, key)
        return response

    return wrapper


def _document(operation: Any) -> None:
    extra = operation.openapi_extra or {}
    operation.openapi_extra = {**extra, "parameters": [*extra.get("parameters", []), OPENAPI_PARAMETER]}


def idempotent(func: Any) -> Any:
    """Make a ninja POST operation honour `Idempotency-Key` (put it below the `@router.post(...)` line)."""
    contribute_operation_callback(func, _document)
    return decorate_view(idempotent_view)(func)
