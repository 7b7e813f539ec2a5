"""What the dashboard, the contact page and the deal board show, with exact values."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from plumbline.crm.actions import do_change_lifecycle, do_log_activity, do_move_deal
from plumbline.marketing.actions import do_record_touchpoints


@pytest.mark.django_db
def test_dashboard_shows_stage_counts_open_pipeline_and_my_open_tasks(record, client_for, users):
    # given: one subscriber; two open deals worth 15,000; rep1 has one open and one done task
    soon = timezone.now() + dt.timedelta(days=1)
    do_log_activity(kind="task", contact=record.contact, subject="Send deck", due_at=soon, owner=users["rep1"])
    done = do_log_activity(kind="task", contact=record.contact, subject="Old", due_at=soon, owner=users["rep1"])
    done.completed_at = timezone.now()
    done.save(update_fields=["completed_at"])
    # when
    html = client_for("rep1").get("/dashboard/").content.decode()
    # then
    counts = {label: n for n, label in re.findall(r'<span class="n">([\d,]+)</span><span class="label">([^<]+)</span>',
                                                  html)}
    assert len(counts) == 10
    assert counts["Subscriber"] == "1"
    assert counts["Lead"] == "0"
    assert '<p class="big">15,000 <small>USD</small></p>' in html
    assert "2 open deals" in html
    # and: the open task is listed on Home itself, the done one is not
    home = client_for("rep1").get("/").content.decode()
    assert "<strong>Send deck</strong>" in home
    assert "<strong>Old</strong>" not in home


@pytest.mark.django_db
def test_contact_timeline_lists_every_kind_of_event_newest_first(record, client_for, pipeline):
    base = timezone.now()
    do_record_touchpoints(items=[{"contact_id": record.contact.pk, "campaign_id": record.campaign.pk,
                                  "kind": "qr_scan", "occurred_at": base + dt.timedelta(minutes=1)}])
    do_change_lifecycle(contact=record.contact, to_stage="mql", reason="Scored", occurred_at=base + dt.timedelta(minutes=2))
    do_move_deal(deal=record.deal, stage=pipeline.stages.get(name="Demo"), occurred_at=base + dt.timedelta(minutes=3))
    do_log_activity(kind="call", contact=record.contact, subject="Follow-up", outcome="no_answer",
                    occurred_at=base + dt.timedelta(minutes=4))
    html = client_for("viewer").get(f"/contacts/{record.contact.pk}/").content.decode()
    titles = re.findall(r'<strong class="tl-title">([^<]+)</strong>', html)
    assert titles[:4] == [
        "Call: Follow-up",
        "Deal Acme expansion: Discovery → Demo",
        "Lifecycle Subscriber → Marketing qualified lead",
        "QR code scan via Spring flyer",
    ]
    assert len(titles) == 7  # plus the note, the deal's creation and the contact's creation


@pytest.mark.django_db
def test_older_entries_link_continues_where_the_page_ended_among_entries_of_one_instant(record, client_for):
    at = (timezone.now() - dt.timedelta(days=1)).isoformat()
    do_record_touchpoints(items=[{"contact_id": record.contact.pk, "kind": "page_view", "channel": "seo",
                                  "content": f"/p{i}", "occurred_at": at} for i in range(60)])
    client = client_for("viewer")
    first = client.get(f"/contacts/{record.contact.pk}/").content.decode()
    link = re.search(r'<a class="button" href="\?before=([^"]+)">Older entries</a>', first)
    assert link is not None
    second = client.get(f"/contacts/{record.contact.pk}/?before={link.group(1)}").content.decode()
    pages = [re.findall(r'/p(\d+)', html) for html in (first, second)]
    # 60 page views at one instant, newest id first, split over two pages with none lost or repeated.
    assert sorted(int(n) for page in pages for n in page) == list(range(60))
    assert "Older entries" not in second


@pytest.mark.django_db
def test_board_columns_show_count_and_amount_per_stage(record, client_for, pipeline):
    html = client_for("viewer").get("/deals/").content.decode()
    totals = re.findall(r'data-stage-name="([^"]+)".*?<p class="col-totals">(.*?)</p>', html, re.S)
    flat = {name: re.sub(r"<[^>]+>", "", text) for name, text in totals}
    assert flat == {
        "Discovery": "2 deals · 15,000", "Demo": "0 deals · 0", "Proposal": "0 deals · 0",
        "Negotiation": "0 deals · 0", "Won": "0 deals · 0", "Lost": "0 deals · 0",
    }
