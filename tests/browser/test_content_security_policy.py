"""Under the Content-Security-Policy the pages still work in a real browser: the select that filters campaigns
submits itself, the lead queue counts down, htmx loads, charts draw; the browser blocks nothing (the
browser_page fixture fails a test on any CSP report)."""

from __future__ import annotations

import datetime as dt

import pytest

from plumbline.marketing.actions import do_create_campaign
from tests.browser.test_core_flow import sign_in

pytestmark = pytest.mark.browser


def test_pages_work_under_the_policy(live_server, transactional_db, users, pipeline, browser_page):
    # Given a signed-in marketer and two campaigns on different channels
    page, base = browser_page, live_server.url
    do_create_campaign(name="Spring webinar", channel="webinar", starts_on=dt.date(2026, 3, 1))
    do_create_campaign(name="Search ads", channel="paid_search", starts_on=dt.date(2026, 3, 1))
    sign_in(page, base, "manager")

    # When they pick a channel on the campaign list (no button: the select submits its form)
    page.goto(f"{base}/campaigns/")
    page.select_option("#channel", "webinar")
    page.wait_for_url(f"{base}/campaigns/?channel=webinar")

    # Then the list is filtered, and htmx is loaded on the page
    assert page.locator("text=Spring webinar").count() == 1
    assert page.locator("text=Search ads").count() == 0
    assert page.evaluate("typeof htmx") == "object"

    # And the other pages that had inline code render under the policy
    for path in ("/queue/", "/deals/", "/analytics/funnels/", "/"):
        response = page.goto(f"{base}{path}")
        assert response is not None and response.status == 200, path
        assert "default-src 'self'" in response.headers["content-security-policy"]
