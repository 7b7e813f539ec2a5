"""The tracking script in Chromium: page views with UTM parameters and custom events reach /t/collect with the
visitor cookie's id; Global Privacy Control means no cookie and nothing sent; in GDPR mode nothing is sent and no
cookie set until consent, then the waiting page view goes out."""

from __future__ import annotations

import pytest

from plumbline.tracking.actions import do_create_site
from plumbline.tracking.models import Hit
from plumbline.tracking.queries import forget_cached_sites

pytestmark = pytest.mark.browser


def serve_pages(page, base: str, site) -> None:
    """Pages of a website on the live server's origin that embed the snippet (`data-consent` in GDPR mode)."""
    consent = ' data-consent="required"' if site.gdpr_mode else ""
    html = (f'<!doctype html><html><head><title>Acme pricing</title><script async src="{base}/t.js" '
            f'data-site="{site.key}"{consent}></script></head><body><h1>Pricing</h1></body></html>')
    page.route(f"{base}/acme/**", lambda route: route.fulfill(body=html, content_type="text/html"))


def collect_posts(page) -> list[str]:
    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.url) if r.url.endswith("/t/collect") else None)
    return posts


def test_page_views_and_custom_events_are_sent_with_the_visitor_id(live_server, transactional_db, browser_page):
    page, base = browser_page, live_server.url
    forget_cached_sites()
    site = do_create_site(name="Acme", origins=base)
    serve_pages(page, base, site)
    # When a visitor lands from a newsletter and the page reports a custom event
    with page.expect_response(lambda r: r.url.endswith("/t/collect")) as answer:
        page.goto(f"{base}/acme/pricing?utm_source=newsletter&utm_medium=email&utm_campaign=spring")
        page.wait_for_function("window.plumbline && window.plumbline.loaded")
        page.evaluate("plumbline('track', 'pricing_viewed', {plan: 'pro'})")
    # Then both events are stored, with the session's UTM parameters and the cookie's visitor id
    assert answer.value.status == 202
    visitor = page.evaluate("plumbline.visitorId()")
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    assert cookies["_pl_vid"] == visitor
    hits = sorted(Hit.objects.values_list("kind", "path", "name", "utm_medium", "utm_campaign", "visitor_id",
                                          "title", "bot"))
    assert hits == [
        ("custom", "/acme/pricing", "pricing_viewed", "email", "spring", visitor, "Acme pricing", "headless"),
        ("page_view", "/acme/pricing", "", "email", "spring", visitor, "Acme pricing", "headless"),
    ]


def test_global_privacy_control_means_no_cookie_and_nothing_sent(live_server, transactional_db, browser_page):
    page, base = browser_page, live_server.url
    forget_cached_sites()
    site = do_create_site(name="Acme", origins=base)
    serve_pages(page, base, site)
    posts = collect_posts(page)
    page.add_init_script("Object.defineProperty(navigator, 'globalPrivacyControl', {get: () => true})")
    page.goto(f"{base}/acme/pricing")
    page.wait_for_function("window.plumbline && window.plumbline.loaded")
    page.evaluate("plumbline('track', 'pricing_viewed'); plumbline('identify', {email: 'gpc@acme.test'})")
    assert page.evaluate("plumbline.visitorId()") is None
    assert [c["name"] for c in page.context.cookies()] == []
    assert posts == []
    assert Hit.objects.count() == 0


def test_gdpr_mode_waits_for_consent_before_any_cookie_or_beacon(live_server, transactional_db, browser_page):
    page, base = browser_page, live_server.url
    forget_cached_sites()
    site = do_create_site(name="Acme EU", origins=base, gdpr_mode=True)
    serve_pages(page, base, site)
    posts = collect_posts(page)
    page.goto(f"{base}/acme/pricing")
    page.wait_for_function("window.plumbline && window.plumbline.loaded")
    # Before consent: no id, no cookie, nothing sent
    assert page.evaluate("plumbline.visitorId()") is None
    assert [c["name"] for c in page.context.cookies()] == []
    assert posts == []
    # When the visitor consents, the waiting page view goes out with a new visitor id in a cookie
    with page.expect_response(lambda r: r.url.endswith("/t/collect")) as answer:
        page.evaluate("plumbline('consent', true)")
    assert answer.value.status == 202
    visitor = page.evaluate("plumbline.visitorId()")
    assert {c["name"]: c["value"] for c in page.context.cookies()}["_pl_vid"] == visitor
    assert list(Hit.objects.values_list("kind", "visitor_id")) == [("page_view", visitor)]
