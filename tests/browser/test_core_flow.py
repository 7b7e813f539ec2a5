"""The core flow in a real browser: sign in, create a contact, log a note, drag a deal to another stage."""

from __future__ import annotations

import re

import pytest

from plumbline.crm.actions import do_create_deal
from plumbline.crm.models import Contact, Deal, DealTransition
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def sign_in(page, base: str, username: str) -> None:
    page.goto(f"{base}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")


def test_user_creates_contact_logs_note_and_drags_deal(live_server, transactional_db, users, pipeline, browser_page):
    # given: a signed-in sales manager and two open deals in Discovery
    page, base = browser_page, live_server.url
    deal = do_create_deal(name="Initech rollout", amount="48000", owner=users["rep1"])
    doomed = do_create_deal(name="Globex pilot", amount="9000", owner=users["rep1"])
    sign_in(page, base, "manager")

    # when: they create a contact through the form
    page.goto(f"{base}/contacts/new/")
    page.fill("#id_email", "Ada.Lovelace@Example.org")
    page.fill("#id_first_name", "Ada")
    page.fill("#id_last_name", "Lovelace")
    page.fill("#id_title", "Head of Engineering")
    page.click("button:has-text('Create contact')")
    page.wait_for_url(re.compile(r"/contacts/\d+/$"))

    # then: the contact exists, normalised, and its page shows it with the creation on the timeline
    contact = Contact.objects.get(email="ada.lovelace@example.org")
    assert page.url == f"{base}/contacts/{contact.pk}/"
    assert page.locator("h1").inner_text().startswith("Ada Lovelace")
    assert page.locator("ol.timeline li").count() == 1
    assert page.locator("ol.timeline li").first.inner_text().count("Lifecycle New → Subscriber") == 1

    # when: they log a note
    page.select_option("#id_kind", "note")
    page.fill("#id_subject", "Intro call")
    page.fill("#id_body", "Wants a demo next week.")
    page.click("button:has-text('Log it')")
    page.wait_for_url(f"{base}/contacts/{contact.pk}/")

    # then: the note is the newest timeline entry
    newest = page.locator("ol.timeline > li").first
    assert "Note: Intro call" in newest.inner_text()
    assert "Wants a demo next week." in newest.inner_text()
    assert page.locator("ol.timeline > li").count() == 2
    page.screenshot(path="/tmp/plumbline_contact_page.png", full_page=True)

    # when: they drag a deal card from Discovery to Proposal on the board
    page.goto(f"{base}/deals/")
    proposal = pipeline.stages.get(name="Proposal")
    card = page.locator(f".deal-card[data-deal-id='{deal.pk}']")
    column = page.locator(f".stage-col[data-stage-id='{proposal.pk}']")
    with page.expect_response(lambda r: r.url.endswith(f"/deals/{deal.pk}/move/")) as moved:
        card.drag_to(column)
    assert moved.value.status == 200

    # then: the move is recorded and the redrawn board shows the card in Proposal with the column totals
    transition = DealTransition.objects.filter(deal=deal).order_by("-id").first()
    assert (transition.from_stage.name, transition.to_stage.name, transition.by) == ("Discovery", "Proposal",
                                                                                        users["manager"])
    assert Deal.objects.get(pk=deal.pk).stage_id == proposal.pk
    moved_card = page.locator(f".stage-col[data-stage-id='{proposal.pk}'] .deal-card[data-deal-id='{deal.pk}']")
    moved_card.wait_for()  # the response is in; the board is redrawn from it a moment later
    assert moved_card.count() == 1
    assert page.locator(f".stage-col[data-stage-id='{proposal.pk}'] .col-totals").inner_text() == "1 deal · 48,000"

    # when: they drag the other deal to Lost, the board asks why, and they answer
    lost = pipeline.stages.get(name="Lost")
    page.locator(f".deal-card[data-deal-id='{doomed.pk}']").drag_to(page.locator(f".stage-col[data-stage-id='{lost.pk}']"))
    page.wait_for_selector("#lost-dialog[open]")
    page.fill("#lost-reason", "Chose a competitor")
    with page.expect_response(lambda r: r.url.endswith(f"/deals/{doomed.pk}/move/")):
        page.click("#lost-dialog button:has-text('Mark as lost')")

    # then: the deal is lost with that reason
    page.wait_for_selector(f".stage-col[data-stage-id='{lost.pk}'] .deal-card[data-deal-id='{doomed.pk}']")
    doomed.refresh_from_db()
    assert (doomed.status, doomed.close_reason, doomed.stage_id) == ("lost", "Chose a competitor", lost.pk)
    page.screenshot(path="/tmp/plumbline_deal_board.png", full_page=True)
