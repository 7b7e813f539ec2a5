"""The proof a ledger entry keeps. Never the raw IP address: a keyed hash of it (HMAC with the secret key), so
the same address gives the same hash on this instance and nothing outside it can reverse one."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from django.conf import settings
from django.http import HttpRequest

from plumbline.core.security import client_address

MAX_TEXT = 2000


def hash_ip(ip: str) -> str:
    key = hashlib.sha256(("plumbline.consent.ip" + settings.SECRET_KEY).encode()).digest()
    return hmac.new(key, ip.encode(), hashlib.sha256).hexdigest()


def clean_proof(proof: dict[str, Any] | None) -> dict[str, Any]:
    """A copy of `proof` safe to keep: an `ip` becomes `ip_hash`; long texts are cut."""
    out = dict(proof or {})
    ip = out.pop("ip", None)
    if ip:
        out["ip_hash"] = hash_ip(str(ip))
    for key, value in list(out.items()):
        if isinstance(value, str) and len(value) > MAX_TEXT:
            out[key] = value[:MAX_TEXT]
    return out


def proof_from_request(request: HttpRequest, **extra: Any) -> dict[str, Any]:
    """The request's part of a proof (hashed address, user agent) plus what the caller adds (form, text ...)."""
    ip = client_address(request) or ""
    proof: dict[str, Any] = {"user_agent": request.META.get("HTTP_USER_AGENT", "")[:500], **extra}
    if ip:
        proof["ip_hash"] = hash_ip(ip)
    return proof
