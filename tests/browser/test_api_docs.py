"""The Swagger UI at /api/v1/docs renders with the network cut off: nothing is fetched from outside."""

from __future__ import annotations

from urllib.parse import urlparse

import pytest

from tests.browser.test_core_flow import sign_in

pytestmark = pytest.mark.browser


def test_swagger_ui_renders_offline(live_server, transactional_db, users, browser_page):
    # given a signed-in user whose browser can reach only Plumbline
    page, base = browser_page, live_server.url
    ours = urlparse(base).netloc
    outside: list[str] = []

    def only_ours(route) -> None:
        if urlparse(route.request.url).netloc == ours:
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", only_ours)
    sign_in(page, base, "viewer")

    # when they open the API docs
    page.goto(f"{base}/api/v1/docs")

    # then Swagger UI draws the API's operations, and nothing was asked of another host
    page.wait_for_selector(".swagger-ui .opblock", timeout=20_000)
    assert "Plumbline API" in page.locator(".swagger-ui .info .title").inner_text()
    assert page.locator(".swagger-ui .opblock").count() > 10
    assert outside == []
