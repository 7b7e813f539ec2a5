"""The plumb line page reads as sentences with labels: balanced parentheses, no codes."""

from __future__ import annotations

import re

import pytest
from django.test import Client


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.fixture
def page(users) -> str:
    client = Client()
    client.force_login(users["viewer"])
    response = client.get("/definitions/")
    assert response.status_code == 200
    return _text(response.content.decode())


@pytest.mark.django_db
def test_mql_sentence_has_balanced_parentheses_and_labels(page):
    sentence = page[page.index("a subscriber or lead becomes an MQL when"):].split(". ")[0]
    assert sentence == (
        "a subscriber or lead becomes an MQL when (fit grade B or better and engagement ≥ 50) or "
        "(a Demo request or Pricing page view touchpoint and fit grade C or better)"
    )
    assert sentence.count("(") == sentence.count(")")


@pytest.mark.django_db
def test_fit_rules_and_engagement_points_show_labels_not_codes(page):
    assert "Company industry is one of Software, Financial services, Healthcare, Manufacturing" in page
    assert "Seniority is one of C-level, VP, Director" in page
    assert "Company annual revenue is at least 10,000,000" in page
    assert "Pricing page view 10" in page and "Sales meeting 10" in page
    for code in ("pricing_view", "demo_request", "company.industry", "c_level", "&#x27;", " gte "):
        assert code not in page, code
