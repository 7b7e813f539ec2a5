"""The channel of a visit, rule by rule (the table admins read on the Channel rules page)."""

from __future__ import annotations

import pytest

from plumbline.tracking.channels import RULES, classify, visit

CASES = [
    # (url, referrer, utm_source, utm_medium, campaign channel, expected channel, deciding rule)
    ("https://a.test/", "", "facebook", "cpc", "", "paid_social", 1),
    ("https://a.test/", "", "google", "cpc", "", "paid_search", 2),
    ("https://a.test/", "", "bing", "PPC", "", "paid_search", 2),
    ("https://a.test/", "", "meta", "paid_social", "", "paid_social", 3),
    ("https://a.test/", "", "newsletter", "email", "", "email", 4),
    ("https://a.test/", "", "linkedin", "social", "", "organic_social", 5),
    ("https://a.test/", "", "print", "qr", "", "print", 6),
    ("https://a.test/", "", "youtube", "video", "", "video", 7),
    ("https://a.test/", "", "acme-partner", "affiliate", "", "partner", 8),
    ("https://a.test/", "", "blog", "referral", "", "referral", 9),
    ("https://a.test/", "", "", "", "webinar", "webinar", 10),
    ("https://a.test/?gclid=abc", "https://www.google.com/", "", "", "", "paid_search", 11),
    ("https://a.test/?fbclid=abc", "", "", "", "", "paid_social", 12),
    ("https://a.test/", "https://www.google.co.uk/", "", "", "", "seo", 14),
    ("https://a.test/", "https://duckduckgo.com/", "", "", "", "seo", 14),
    ("https://a.test/", "https://www.linkedin.com/feed/", "", "", "", "organic_social", 15),
    ("https://a.test/", "https://t.co/xyz", "", "", "", "organic_social", 15),
    ("https://a.test/", "https://www.youtube.com/watch?v=1", "", "", "", "video", 16),
    ("https://a.test/", "https://mail.google.com/", "", "", "", "email", 13),
    ("https://a.test/", "", "producthunt", "", "", "referral", 17),
    ("https://a.test/", "https://news.example.org/post", "", "", "", "referral", 18),
    ("https://a.test/", "https://a.test/other", "", "", "", "direct", 19),
    ("https://a.test/", "", "", "", "", "direct", 19),
]


@pytest.mark.parametrize(("url", "referrer", "source", "medium", "campaign", "channel", "rule"), CASES)
def test_the_first_matching_rule_decides_the_channel(url, referrer, source, medium, campaign, channel, rule):
    assert classify(visit(url=url, referrer=referrer, source=source, medium=medium,
                          campaign_channel=campaign)) == (channel, rule)


def test_every_rule_is_exercised_by_the_table():
    assert {rule for *_, rule in CASES} == set(range(1, len(RULES) + 1))
