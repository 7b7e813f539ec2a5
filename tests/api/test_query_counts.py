"""List endpoints cost the same number of queries for 3 rows as for 30: no query per row."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from plumbline.crm.actions import (
    do_create_company,
    do_create_contact,
    do_create_deal,
    do_create_pipeline,
    do_log_activity,
)
from plumbline.marketing.actions import do_create_campaign, do_record_touchpoint


def add_rows(n: int, offset: int) -> None:
    """n more of every resource, each deal with two contacts and each pipeline with three stages."""
    for i in range(offset, offset + n):
        company = do_create_company(name=f"Company {i}", domain=f"company{i}.com")
        a = do_create_contact(email=f"a{i}@company{i}.com")
        b = do_create_contact(email=f"b{i}@company{i}.com")
        do_create_deal(name=f"Deal {i}", company=company, contacts=[(a, "champion"), (b, "user")])
        do_log_activity(kind="call", contact=a, outcome="connected")
        do_create_pipeline(name=f"Pipeline {i}", stages=[{"name": "One"}, {"name": "Two"}, {"name": "Three"}])
        campaign = do_create_campaign(name=f"Campaign {i}", channel="email")
        do_record_touchpoint(contact_id=a.pk, campaign_id=campaign.pk, kind="email_open")


# the token lookup, the page, and one prefetch for deals' contacts or pipelines' stages
EXPECTED = {
    "/companies": 2, "/contacts": 2, "/deals": 3, "/pipelines": 3, "/activities": 2, "/campaigns": 2,
    "/touchpoints": 2,
}


@pytest.mark.django_db
@pytest.mark.parametrize("path", sorted(EXPECTED))
def test_list_query_count_does_not_grow_with_rows(api, pipeline, path, django_assert_num_queries):
    client = api("admin")
    client.get(path)  # the first call of a token records its last use; later calls only read
    add_rows(3, 0)
    with django_assert_num_queries(EXPECTED[path]):
        small = client.get(path, limit=200)
    add_rows(30, 3)
    with CaptureQueriesContext(connection) as large_queries:
        large = client.get(path, limit=200)
    assert (small.status_code, large.status_code) == (200, 200)
    assert len(large.json()["items"]) > len(small.json()["items"]) >= 3
    assert len(large_queries) == EXPECTED[path]
