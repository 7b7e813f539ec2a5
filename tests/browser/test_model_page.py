"""The model page in a real browser: training is queued, the page polls the run and shows the version once done."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.utils import timezone

from plumbline.scoring.models import TrainingRun
from tests.browser.test_core_flow import sign_in
from tests.scoring.test_training_history import build_history

pytestmark = pytest.mark.browser


def test_marketer_queues_training_and_the_page_shows_the_new_version_when_the_worker_is_done(
    live_server, transactional_db, users, browser_page
):
    # given a history to learn from and a signed-in marketer on the model page
    build_history(timezone.now())
    page, base = browser_page, live_server.url
    sign_in(page, base, "marketing")
    page.goto(f"{base}/scoring/model/")
    assert "No model has been trained yet." in page.content()

    # when they ask for a new version
    page.fill("#id_folds", "3")
    page.click("button:has-text('Train and use it')")
    page.wait_for_url(f"{base}/scoring/model/")

    # then the page says it is queued, and the button waits
    assert "Training queued" in page.locator(".messages").inner_text()
    page.wait_for_selector("#training-status[data-status=queued]")
    assert page.locator("button[name=train]").is_disabled()
    assert TrainingRun.objects.get().status == "queued"

    # when the worker trains it, the polling card notices and the page reloads with the version in use
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)
    page.wait_for_selector("#training-status[data-status=done]", timeout=20_000)
    page.wait_for_selector("#active-model")
    assert "In use: v1" in page.locator("#active-model h2").inner_text()
    assert "stored v1 and put it in use" in page.locator("#training-status").inner_text()
    assert page.locator("button[name=train]").is_enabled()
    page.screenshot(path="/tmp/plumbline_model_page.png", full_page=True)
