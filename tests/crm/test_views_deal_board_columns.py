"""The deal board stays short: won and lost columns start with the 10 most recently closed deals, open stages with
50, and "Show more" adds 50 to one column at a time."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client

from plumbline.crm.actions import do_create_deal
from plumbline.crm.models import Deal


def _column(html: str, name: str) -> str:
    return html.split(f'data-stage-name="{name}"')[1].split("</section>")[0]


def _cards(column: str) -> list[int]:
    return [int(i) for i in re.findall(r'<li class="deal-card[^"]*" [^>]*data-deal-id="(\d+)"', column)]


@pytest.fixture
def board(users, pipeline):
    """15 won deals closed a day apart (the last one most recently), 55 in Discovery."""
    won_stage = pipeline.stages.get(name="Won")
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    won = []
    for i in range(15):
        deal = do_create_deal(name=f"Won {i}", amount="100", owner=users["rep1"], stage=won_stage)
        Deal.objects.filter(pk=deal.pk).update(closed_at=start + dt.timedelta(days=i))
        won.append(deal.pk)
    discovery = [do_create_deal(name=f"Open {i}", amount="10", owner=users["rep1"]).pk for i in range(55)]
    client = Client()
    client.force_login(users["manager"])
    return client, won, discovery, pipeline


@pytest.mark.django_db
def test_won_column_shows_the_ten_most_recently_closed_and_open_stages_fifty(board):
    client, won, discovery, _ = board

    html = client.get("/deals/").content.decode()

    assert _cards(_column(html, "Won")) == won[::-1][:10]
    assert "The 10 most recently closed of 15" in _column(html, "Won")
    assert len(_cards(_column(html, "Discovery"))) == 50
    assert "The 50 most recent of 55" in _column(html, "Discovery")
    assert _cards(_column(html, "Lost")) == [] and "Show more" not in _column(html, "Lost")


@pytest.mark.django_db
def test_show_more_adds_to_one_column_and_keeps_the_others(board):
    client, won, discovery, pipeline = board
    won_stage = pipeline.stages.get(name="Won")
    html = client.get("/deals/").content.decode()
    more = re.search(r'<a href="([^"]+)" class="show-more">', _column(html, "Won")).group(1).replace("&amp;", "&")

    expanded = client.get(f"/deals/{more}").content.decode()

    assert more == f"?pipeline={pipeline.pk}&cards={won_stage.pk}%3A60"
    assert _cards(_column(expanded, "Won")) == won[::-1]
    assert "Show more" not in _column(expanded, "Won")
    assert len(_cards(_column(expanded, "Discovery"))) == 50


@pytest.mark.django_db
@pytest.mark.parametrize("cards", ["x:y", "0:10", "99999999999999999999:5", "1:-4", "1:99999999"])
def test_odd_cards_parameters_show_the_default_board(board, cards):
    client, won, _, _ = board
    response = client.get(f"/deals/?cards={cards}")
    assert response.status_code == 200
    assert len(_cards(_column(response.content.decode(), "Won"))) in (10, 15)
