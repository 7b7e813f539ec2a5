"""/t.js: cacheable first-party script; its privacy rules are in the text it serves."""

from __future__ import annotations

from django.test import Client


def test_the_script_is_cacheable_and_revalidates_with_its_etag(db):
    response = Client().get("/t.js")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/javascript; charset=utf-8"
    assert response["Cache-Control"] == "public, max-age=3600"
    again = Client().get("/t.js", HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304
    assert again.content == b""


def test_the_script_honours_gpc_dnt_and_consent_and_loads_nothing_else(db):
    js = Client().get("/t.js").content.decode()
    # GPC and DNT: opted out before anything else runs, and then no cookie, no beacon
    assert 'n.globalPrivacyControl === true || n.doNotTrack === "1"' in js
    assert "if (optedOut) return;" in js
    assert "function enabled() { return !optedOut && (!needsConsent || consented()); }" in js
    # GDPR mode: the tag says data-consent="required"; no visitor id (so no cookie) until consent
    assert 'script.getAttribute("data-consent") === "required"' in js
    assert "function visitorId() {\n    if (!enabled()) return null;" in js
    # the 30-minute session, the beacon transports and the public API
    assert "SESSION_MS = 30 * 60 * 1000" in js
    assert "n.sendBeacon(endpoint" in js and "keepalive: true" in js
    assert "api.visitorId = visitorId;" in js
    # first party only: no other host is ever named
    assert "http://" not in js and "https://" not in js.replace("https://PLUMBLINE/t.js", "")
    assert len(js) < 8000
