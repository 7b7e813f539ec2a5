"""The analytics pages: rendered with charts and tables, CSV exports, field errors, per-role access."""

from __future__ import annotations

import csv
import io

import pytest
from django.test import Client

from tests.analytics import crm_world
from tests.conftest import PASSWORD

RANGE = "since=2025-01-01&until=2025-06-30"
PAGES = ("/analytics/attribution/", "/analytics/roi/", "/analytics/funnels/")


@pytest.fixture
def world(db, pipeline):
    return crm_world.build(pipeline)


def _client(users, who) -> Client:
    client = Client()
    assert client.login(username=users[who].username, password=PASSWORD)
    return client


def test_attribution_page_compares_models_in_a_table_and_a_chart(world, users):
    response = _client(users, "viewer").get(
        f"/analytics/attribution/?event=won&dimension=campaign&models=first&models=linear&models=markov&{RANGE}")

    html = response.content.decode()
    assert response.status_code == 200
    assert "<svg" in html and "Webinar" in html and "Removal" in html
    assert "10,000.00" in html or "10000.00" in html


def test_attribution_csv_has_one_row_per_campaign_and_a_column_pair_per_model(world, users):
    response = _client(users, "marketing").get(
        f"/analytics/attribution/?event=won&dimension=campaign&models=first,linear&format=csv&{RANGE}")

    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert response["Content-Type"] == "text/csv"
    assert rows[0] == ["campaign", "first_conversions", "first_value", "linear_conversions", "linear_value"]
    assert sorted(rows[1:]) == [
        ["Newsletter", "0.0", "0.0", "0.25", "2500.0"],
        ["Search ads", "0.0", "0.0", "0.5", "5000.0"],
        ["Webinar", "1.0", "10000.0", "0.25", "2500.0"],
    ]


def test_bad_parameters_show_field_errors_and_compute_nothing(world, users):
    response = _client(users, "admin").get("/analytics/attribution/?order=9&lookback_days=-3")

    html = response.content.decode()
    assert response.status_code == 422
    assert "<li>Markov order must be a whole number from 1 to 4.</li>" in html
    assert "<li>Lookback (days) must be a whole number from 1 to 3650.</li>" in html
    assert "lookback_days must" not in html and "<svg" not in html


def test_a_bad_parameter_keeps_the_chosen_models_and_the_typed_value(world, users):
    response = _client(users, "admin").get(
        "/analytics/attribution/?models=shapley&models=markov-2&event=mql&lookback_days=0&since=2025-05-01&until=2025-01-01")

    html = response.content.decode()
    assert response.status_code == 422
    assert "<li>The end date must be on or after the start date.</li>" in html
    assert '<option value="shapley" selected>Shapley value</option>' in html
    assert '<option value="markov-2" selected>Markov, order 2</option>' in html
    assert '<option value="first" >First touch</option>' in html
    assert '<option value="mql" selected>' in html
    assert 'name="lookback_days" min="1" max="3650" value="0"' in html


def test_roi_page_and_csv(world, users):
    client = _client(users, "manager")

    page = client.get(f"/analytics/roi/?{RANGE}")
    export = client.get(f"/analytics/roi/?{RANGE}&format=csv")

    assert page.status_code == 200 and "<svg" in page.content.decode()
    rows = list(csv.DictReader(io.StringIO(export.content.decode())))
    webinar = next(r for r in rows if r["campaign"] == "Webinar")
    assert (webinar["cost"], webinar["revenue"], webinar["roi"], webinar["cost_per_mql"]) == (
        "1000.00", "2500.00", "1.5", "750.00")


def test_funnels_page_shows_every_table_and_exports_each(world, users):
    client = _client(users, "rep1")

    page = client.get("/analytics/funnels/")
    html = page.content.decode()

    assert page.status_code == 200
    for heading in ("Lifecycle", "Deals: New business", "Speed to lead", "Attention vs conversion"):
        assert heading in html
    for table, first_row in (("lifecycle", "group,from_stage"), ("deals", "group,from_stage"),
                             ("speed", "measured_from,group"), ("attention", "campaign,touches")):
        export = client.get(f"/analytics/funnels/?format=csv&table={table}")
        assert export.content.decode().startswith(first_row), table


def test_labels_are_escaped_in_charts_and_tables(world, users):
    campaign = world.campaigns["Webinar"]
    campaign.name = "<script>alert(1)</script>"
    campaign.save(update_fields=["name"])

    html = _client(users, "admin").get(f"/analytics/attribution/?dimension=campaign&{RANGE}").content.decode()

    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


@pytest.mark.parametrize("url", PAGES)
def test_pages_per_role(db, users, url):
    anonymous = Client().get(url)
    assert anonymous.status_code == 302 and "/login/" in anonymous["Location"]
    for who in ("admin", "marketing", "rep1", "manager", "viewer"):
        assert _client(users, who).get(url).status_code == 200, who
    users["viewer"].role = ""
    users["viewer"].save(update_fields=["role"])
    assert _client(users, "viewer").get(url).status_code == 403


def test_nav_links_to_analytics(db, users):
    html = _client(users, "viewer").get("/").content.decode()

    assert 'href="/analytics/attribution/"' in html


def test_funnel_tables_show_stage_and_channel_labels_not_codes(world, users):
    html = _client(users, "viewer").get("/analytics/funnels/?group_by=channel").content.decode()

    assert "<tr><td>Paid search</td><td>Marketing qualified lead</td><td>Sales accepted lead</td>" in html
    assert "<tr><td>Webinar</td><td>Discovery</td><td>Demo</td>" in html  # deal stages keep their names
    assert "<td>Handoff (SLA clock)</td>" in html and "<td>Logged sales touches</td>" in html
    for code in ("<td>mql</td>", "<td>sal</td>", "<td>paid_search</td>", "<td>assignments</td>"):
        assert code not in html, code


def test_attribution_by_channel_shows_channel_labels_and_the_csv_keeps_codes(world, users):
    client = _client(users, "viewer")
    html = client.get(f"/analytics/attribution/?dimension=channel&{RANGE}").content.decode()
    export = client.get(f"/analytics/attribution/?dimension=channel&format=csv&{RANGE}").content.decode()
    assert "<td>Paid search</td>" in html and "<td>paid_search</td>" not in html
    assert "\npaid_search," in export
