"""Beacons as the script sends them, and posting them to /t/collect."""

from __future__ import annotations

import json
import secrets
import time
from typing import Any

from django.test import Client

ORIGIN = "https://www.acme.test"
CHROME = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 "
          "Safari/537.36")


def vid() -> str:
    return secrets.token_urlsafe(16)


def event(kind: str = "page_view", *, url: str = "https://www.acme.test/", ts: int | None = None,
          **extra: Any) -> dict[str, Any]:
    return {"id": secrets.token_urlsafe(12), "kind": kind, "ts": ts if ts is not None else int(time.time() * 1000),
            "url": url, "title": "Acme", **extra}


def batch(site_key: str, events: list[dict], *, visitor: str | None = None, **extra: Any) -> dict[str, Any]:
    return {"site": site_key, "visitor": vid() if visitor is None else visitor, "session": vid(), "events": events, **extra}


def post(body: Any, *, origin: str = ORIGIN, ua: str = CHROME, raw: bytes | None = None, **headers: str):
    data = raw if raw is not None else json.dumps(body).encode()
    return Client().post("/t/collect", data=data, content_type="text/plain", HTTP_ORIGIN=origin,
                         HTTP_USER_AGENT=ua, **headers)
