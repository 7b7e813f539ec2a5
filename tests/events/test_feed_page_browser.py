"""In a real browser: an admin opens the Change feed from the nav, replays a reader after confirming, and the readers'
table refreshes itself without losing what is being typed into it."""

from __future__ import annotations

import pytest

from plumbline.events.models import ConsumerCursor, Event
from plumbline.events.runner import drain
from tests.browser.conftest import browser_page  # noqa: F401  (the fixture)
from tests.browser.test_core_flow import sign_in
from tests.events.conftest import write

pytestmark = pytest.mark.browser


def test_admin_replays_a_reader_after_confirming(live_server, transactional_db, users, seen, browser_page):  # noqa: F811
    page, base = browser_page, live_server.url
    got, _ = seen
    for n in range(1, 4):
        write(subject_id=n)
    drain()
    second = Event.objects.order_by("id")[1].pk
    sign_in(page, base, "admin")

    # when: the admin follows the nav to the Change feed
    page.click(".mainnav a:has-text('Change feed')")
    page.wait_for_url(f"{base}/settings/events/")
    row = page.locator("#consumer-testrecorder")
    assert "Caught up" in row.inner_text()
    assert page.locator("table.events tbody tr").count() == 3

    # when: they ask for a replay from the second event and dismiss the confirmation
    questions: list[str] = []
    page.once("dialog", lambda dialog: (questions.append(dialog.message), dialog.dismiss()))
    row.locator("input[name=from_event]").fill(str(second))
    row.locator("button:has-text('Replay')").click()
    # then: nothing changed
    assert questions == [f"Make Test recorder read the feed again from event #{second}? It applies those events again."]
    assert ConsumerCursor.objects.get(name="test.recorder").position == Event.objects.order_by("id").last().pk

    # when: they confirm it
    page.once("dialog", lambda dialog: dialog.accept())
    row.locator("button:has-text('Replay')").click()
    page.wait_for_selector(f"text=Test recorder reads the feed again from event #{second}.")
    # then: the reader is behind by two events, shown as such
    assert ConsumerCursor.objects.get(name="test.recorder").position == second - 1
    assert "Behind" in page.locator("#consumer-testrecorder").inner_text()
    drain()
    assert [g[2] for g in got] == [1, 2, 3, 2, 3]
