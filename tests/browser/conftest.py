"""Playwright against Debian's Chromium; never `playwright install`."""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator

import pytest
from django.db import connections

# Playwright's sync API runs an event loop in this thread; Django's ORM calls in the test are still synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run",
]


@pytest.fixture
def browser_page() -> Iterator:
    """A fresh page in headless Chromium; skipped without Chromium except under CI=true, where it fails."""
    if not shutil.which(CHROMIUM):
        message = f"Chromium not found at {CHROMIUM}: apt-get install -y chromium"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1400, "height": 900})
        page = context.new_page()
        page.set_default_timeout(10_000)
        # Anything the Content-Security-Policy blocks (an inline script, style or handler) fails the test.
        blocked: list[str] = []
        page.on("console", lambda m: blocked.append(m.text) if "Content Security Policy" in m.text else None)
        try:
            yield page
        finally:
            context.close()
            browser.close()
            _wait_for_request_threads()
            # ORM calls made while Playwright's loop runs use their own connection (asgiref keeps connections in
            # context variables); close it here, or PostgreSQL refuses to drop the test database.
            connections.close_all()
    assert blocked == []


def _wait_for_request_threads(timeout: float = 5.0) -> None:
    """Let the live server finish the requests of the closed browser; each closes its database connection as it
    ends, and PostgreSQL cannot drop the test database while one is still open."""
    for thread in threading.enumerate():
        if "process_request_thread" in thread.name:
            thread.join(timeout)
