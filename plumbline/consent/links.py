"""Signed links sent to contacts: the double opt-in confirmation and the preference centre. No login: the
signature (django.core.signing, salted per purpose, with an age limit) is the proof the link came from us."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core import signing
from django.urls import reverse

CONFIRM_SALT = "plumbline.consent.confirm"
PREFERENCES_SALT = "plumbline.consent.preferences"
CONFIRM_MAX_AGE = dt.timedelta(days=7)
PREFERENCES_MAX_AGE = dt.timedelta(days=365)


def confirmation_token(*, entry_id: int, contact_id: int) -> str:
    return signing.dumps({"e": entry_id, "c": contact_id}, salt=CONFIRM_SALT, compress=True)


def read_confirmation_token(token: str) -> dict[str, int] | None:
    """The entry and contact a confirmation link names, or None when forged or older than CONFIRM_MAX_AGE."""
    try:
        data = signing.loads(token, salt=CONFIRM_SALT, max_age=CONFIRM_MAX_AGE)
    except signing.BadSignature:  # SignatureExpired included
        return None
    return data if isinstance(data, dict) and {"e", "c"} <= data.keys() else None


def preferences_token(contact_id: int) -> str:
    return signing.dumps({"c": contact_id}, salt=PREFERENCES_SALT, compress=True)


def read_preferences_token(token: str) -> int | None:
    try:
        data = signing.loads(token, salt=PREFERENCES_SALT, max_age=PREFERENCES_MAX_AGE)
    except signing.BadSignature:
        return None
    return data.get("c") if isinstance(data, dict) else None


def confirmation_url(*, entry_id: int, contact_id: int) -> str:
    token = confirmation_token(entry_id=entry_id, contact_id=contact_id)
    return settings.PUBLIC_BASE_URL + reverse("consent:confirm", args=[token])


def preferences_url(contact_id: int) -> str:
    return settings.PUBLIC_BASE_URL + reverse("consent:preferences", args=[preferences_token(contact_id)])
