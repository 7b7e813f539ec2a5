"""POST /t/collect: a valid batch is committed before the 202; every bad batch gets a 4xx and writes nothing."""

from __future__ import annotations

import datetime as dt
import json

from django.test import Client
from django.utils import timezone

from plumbline.tracking.models import Hit
from tests.tracking.helpers import CHROME, batch, event, post, vid


def test_a_batch_is_recorded_and_acknowledged_with_202(site):
    # Given a batch of a page view with UTM parameters and a custom event
    visitor = vid()
    body = batch(site.key, [
        event(url="https://www.acme.test/pricing?utm_source=google"), event("custom", name="pricing_viewed",
                                                                            props={"plan": "pro"}),
    ], visitor=visitor, referrer="https://www.google.com/", utm_source="google", utm_medium="cpc",
        utm_campaign="spring")
    # When it is posted from the site's origin
    response = post(body)
    # Then it is accepted, both hits are stored with what the beacon said, and CORS names the origin
    assert response.status_code == 202
    assert response.json() == {"accepted": 2, "duplicates": 0}
    assert response["Access-Control-Allow-Origin"] == "https://www.acme.test"
    hits = list(Hit.objects.order_by("kind").values_list("kind", "visitor_id", "path", "utm_medium", "name",
                                                          "props", "ua_family", "bot", "referrer"))
    assert hits == [
        ("custom", visitor, "/", "cpc", "pricing_viewed", {"plan": "pro"}, "Chrome", "", "https://www.google.com/"),
        ("page_view", visitor, "/pricing", "cpc", "", {}, "Chrome", "", "https://www.google.com/"),
    ]
    assert all(len(h) == 32 for h in Hit.objects.values_list("ip_hash", flat=True))
    assert not Hit.objects.filter(ip_hash__contains="127.0.0.1").exists()


def test_replayed_event_ids_are_recorded_once(site):
    body = batch(site.key, [event(), event()])
    assert post(body).json() == {"accepted": 2, "duplicates": 0}
    # When the same batch is sent again, and again with one new event
    assert post(body).json() == {"accepted": 0, "duplicates": 2}
    body["events"].append(event())
    assert post(body).json() == {"accepted": 1, "duplicates": 2}
    # Then each event is there once
    assert Hit.objects.count() == 3


def test_client_time_is_clamped_to_the_receipt_window(site):
    future = int((timezone.now() + dt.timedelta(days=3)).timestamp() * 1000)
    ancient = 0
    assert post(batch(site.key, [event(ts=future), event(ts=ancient)])).status_code == 202
    received = Hit.objects.values_list("received_at", flat=True).first()
    assert sorted(Hit.objects.values_list("occurred_at", flat=True)) == [received - dt.timedelta(days=1), received]


def assert_refused(response, status: int, code: str) -> None:
    assert response.status_code == status, response.content
    assert response.json()["errors"][0]["code"] == code
    assert Hit.objects.count() == 0


def test_an_oversized_body_is_refused_with_413(site):
    body = batch(site.key, [event(title="x" * 300, url="https://www.acme.test/" + "a" * 1900) for _ in range(40)])
    assert len(json.dumps(body)) > 64 * 1024
    assert_refused(post(body), 413, "too_large")


def test_more_than_50_events_are_refused_with_413(site):
    assert_refused(post(batch(site.key, [event() for _ in range(51)])), 413, "too_many_events")


def test_malformed_json_is_refused_with_400(site):
    assert_refused(post(None, raw=b'{"site": "x", "events": [}'), 400, "malformed_json")


def test_a_body_that_is_not_a_batch_object_is_refused_with_422(site):
    assert_refused(post([1, 2]), 422, "invalid")
    assert_refused(post("a string"), 422, "invalid")


def test_an_unknown_origin_is_refused_with_403(site):
    response = post(batch(site.key, [event()]), origin="https://evil.test")
    assert_refused(response, 403, "unknown_origin")
    assert "Access-Control-Allow-Origin" not in response


def test_a_missing_origin_is_refused_with_403(site):
    assert_refused(post(batch(site.key, [event()]), origin=""), 403, "unknown_origin")


def test_an_unknown_site_key_is_refused_with_403(site):
    assert_refused(post(batch("NoSuchSiteKey1", [event()])), 403, "unknown_site")


def test_an_inactive_site_is_refused_with_403(site):
    site.active = False
    site.save()
    from plumbline.tracking.queries import forget_cached_sites

    forget_cached_sites()
    assert_refused(post(batch(site.key, [event()])), 403, "unknown_site")


def test_forged_visitor_ids_are_refused_with_422(site):
    real = vid()
    for forged in (real[:-1] + "B", real + "A", "../../etc/passwd", "' OR 1=1 --", "", 12345):
        response = post(batch(site.key, [event()], visitor=forged))
        assert response.status_code == 422, forged
        assert response.json()["errors"][0]["field"] == "visitor"
    assert Hit.objects.count() == 0


def test_one_bad_event_refuses_the_whole_batch(site):
    bad = event()
    bad["kind"] = "purchase"
    response = post(batch(site.key, [event(), bad]))
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "events.1.kind"
    assert Hit.objects.count() == 0


def test_unknown_fields_and_nul_are_refused(site):
    assert post(batch(site.key, [event(extra="x")])).status_code == 422
    assert post(batch(site.key, [event(title="a\x00b")])).status_code == 422
    assert Hit.objects.count() == 0


def test_a_gdpr_site_refuses_events_without_consent(gdpr_site):
    body = batch(gdpr_site.key, [event(url="https://eu.acme.test/")])
    assert_refused(post(body, origin="https://eu.acme.test"), 403, "consent_required")
    body["consent"] = True
    assert post(body, origin="https://eu.acme.test").status_code == 202
    assert Hit.objects.count() == 1


def test_global_privacy_control_and_do_not_track_record_nothing(site):
    for header in ({"HTTP_SEC_GPC": "1"}, {"HTTP_DNT": "1"}):
        response = post(batch(site.key, [event()]), **header)
        assert response.status_code == 202
        assert response.json()["accepted"] == 0
    assert Hit.objects.count() == 0


def test_bots_are_recorded_with_their_label(site):
    post(batch(site.key, [event()]), ua="Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)")
    post(batch(site.key, [event()]), ua="Mozilla/5.0 (X11; Linux x86_64) HeadlessChrome/120.0.0.0 Safari/537.36")
    post(batch(site.key, [event()], webdriver=True), ua=CHROME)
    post(batch(site.key, [event()]), ua="")
    assert sorted(Hit.objects.values_list("bot", "bot_reason")) == [
        ("automation", "navigator.webdriver"), ("crawler", "Googlebot"), ("headless", "HeadlessChrome"),
        ("no_user_agent", "empty User-Agent"),
    ]


def test_preflight_answers_registered_origins_only(site):
    ok = Client().options("/t/collect", HTTP_ORIGIN="https://acme.test",
                          HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST")
    assert ok.status_code == 204
    assert ok["Access-Control-Allow-Origin"] == "https://acme.test"
    assert ok["Access-Control-Allow-Methods"] == "POST"
    refused = Client().options("/t/collect", HTTP_ORIGIN="https://evil.test",
                               HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST")
    assert refused.status_code == 403
    assert "Access-Control-Allow-Origin" not in refused


def test_get_is_not_allowed(site):
    assert Client().get("/t/collect").status_code == 405
