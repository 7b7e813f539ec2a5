"""Spam protection without a third party: a honeypot field, a self-hosted ALTCHA proof of work (each challenge
buys one submission) and a per-IP rate limit. No raw IP is kept: only a keyed hash.

The proof of work is ALTCHA's v1 scheme (the `altcha` package): the server signs SHA-256(salt + n) for a secret
n below `max_number`; the browser finds n by trying every number (static/js/plumbline-forms.js, crypto.subtle),
and the server checks the signature, the hash, the expiry, and that the challenge was never used before."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from typing import Any

import altcha
from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils import timezone

from plumbline.core.errors import DomainError
from plumbline.core.security import client_address
from plumbline.webforms.models import UsedChallenge

HONEYPOT = "website_url"  # a field people never see (hidden by CSS) and bots love to fill
POW_FIELD = "altcha"
CHALLENGE_TTL = dt.timedelta(minutes=20)


class SpamRejected(DomainError):
    """A submission refused as spam or abuse: 400 (429 for the rate limit), nothing written."""

    def __init__(self, message: str, *, field: str | None = None, code: str = "spam", status: int = 400) -> None:
        super().__init__(message, field=field, code=code)
        self.status = status


def _key() -> bytes:
    return hashlib.sha256(b"plumbline.webforms.altcha:" + settings.SECRET_KEY.encode()).hexdigest().encode()


def pow_max_number() -> int:
    return settings.FORMS_POW_MAX_NUMBER


def new_challenge(*, now: dt.datetime | None = None) -> dict[str, Any]:
    """A fresh signed challenge for the browser to solve (a GET: nothing is written)."""
    expires = (now or timezone.now()) + CHALLENGE_TTL
    challenge = altcha.create_challenge_v1(algorithm="SHA-256", max_number=pow_max_number(), hmac_key=_key(),
                                           expires=expires)
    return challenge.to_dict()


def check_proof_of_work(payload: str) -> str:
    """The challenge `payload` (base64 JSON of ALTCHA's solution) solves, or SpamRejected. Does not spend it."""
    if not payload:
        raise SpamRejected("The anti-spam check is missing: enable JavaScript and send the form again.",
                           field=POW_FIELD, code="pow_missing")
    ok, error = altcha.verify_solution_v1(payload, _key(), check_expires=True)
    if not ok:
        reason = "it expired" if error and "expired" in error else "it is not a valid solution"
        raise SpamRejected(f"The anti-spam check failed: {reason}. Reload the page and try again.",
                           field=POW_FIELD, code="pow_invalid")
    return altcha.v1.Payload.from_base64(payload).challenge


def spend_challenge(challenge: str, *, at: dt.datetime) -> None:
    """Mark the challenge used, in the caller's transaction; a second use is refused."""
    try:
        with transaction.atomic():
            UsedChallenge.objects.create(challenge=challenge[:128], used_at=at)
    except IntegrityError:
        raise SpamRejected("This anti-spam check was already used: reload the page to send the form again.",
                           field=POW_FIELD, code="pow_replayed") from None


def check_honeypot(data: dict[str, Any]) -> None:
    if str(data.get(HONEYPOT) or "").strip():
        raise SpamRejected("The submission was refused as spam.", field=HONEYPOT, code="honeypot")


def hash_ip(ip: str | None) -> str:
    """A keyed hash of the address (never the address itself)."""
    if not ip:
        return ""
    return hmac.new(_key(), ip.encode(), hashlib.sha256).hexdigest()


def client_ip(request: Any) -> str:
    """The address rate limits count by (the same rule as sign-in throttling: core.security)."""
    return client_address(request) or ""


def rate_limit(ip_hash: str, *, limit: int | None = None, window: int = 3600) -> None:
    """At most `limit` submissions per hashed address per window (the cache counts: per process with the local
    memory cache, shared once a shared cache is configured). Raises a 429 SpamRejected past it."""
    limit = limit if limit is not None else settings.FORMS_RATE_LIMIT_PER_HOUR
    key = f"webforms:rate:{ip_hash}"
    cache.add(key, 0, timeout=window)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window)
        count = 1
    if count > limit:
        raise SpamRejected("Too many submissions from your address: try again later.", code="rate_limited",
                           status=429)
