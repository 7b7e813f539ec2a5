"""The demo company's capture side: `plumbline demo` gives it a tracking Site for the served address, the form,
the guided flow, the landing page and capture history written through the apps' actions; /demo-site/ is served
only while the demo is loaded."""

from __future__ import annotations

import datetime as dt
from io import StringIO

from django.core.management import call_command
from django.db.models import F
from django.test import Client

from plumbline.consent.models import ConsentEntry
from plumbline.demo.capture import SITE_NAME, install_assets
from plumbline.demo.generator import load_demo
from plumbline.marketing.models import Touchpoint
from plumbline.tracking.models import Hit, Site, Visitor
from plumbline.webforms.models import Flow, FlowAnswer, Form, LandingPage, Submission


def test_the_demo_command_loads_the_website_capture_history_through_the_apps(db, settings):
    settings.PUBLIC_BASE_URL = "http://127.0.0.1:8000"
    out = StringIO()
    call_command("demo", "--contacts", "100", "--as-of", "2026-01-15", "--no-progress", stdout=out)

    site = Site.objects.get(name=SITE_NAME)
    assert site.origins == "http://127.0.0.1:8000\nhttp://localhost:8000"
    form = Form.objects.get(slug="newsletter")
    assert [(f.key, f.type, f.subscription) for f in form.fields.all() if f.type == "consent"] == [
        ("newsletter", "consent", "newsletter"), ("product_news", "consent", "product_news"),
        ("events", "consent", "events")]
    assert Flow.objects.get(slug="find-your-plan").form == form
    landing = LandingPage.objects.get(slug="revenue-analytics-guide")
    assert landing.campaign.channel == "paid_search" and landing.form == form

    # every page view is stitched to the contact who later submitted, as a touchpoint at the hit's own time
    submissions = Submission.objects.select_related("contact")
    assert submissions.count() == 24
    hits = Hit.objects.filter(site=site, visitor_id__in=submissions.values("visitor_id"))
    assert hits.filter(contact__isnull=True).count() == 0
    assert Visitor.objects.count() == 24
    # the visitors who never said who they are stay anonymous; the crawler is kept, labelled, never a touchpoint
    others = Hit.objects.filter(site=site).exclude(visitor_id__in=submissions.values("visitor_id"))
    assert others.filter(contact__isnull=False).count() == 0 and others.values("visitor_id").distinct().count() == 41
    assert list(others.exclude(bot="").values_list("bot", "path").order_by("path")) == [
        ("crawler", "/demo-site/"), ("crawler", "/demo-site/blog/one-scoreboard/"), ("crawler", "/demo-site/pricing/"),
        ("crawler", "/demo-site/product/")]
    assert Hit.objects.filter(processed_at__isnull=True).count() == 0
    touchpoints = Touchpoint.objects.in_bulk(list(hits.values_list("touchpoint_id", flat=True)))
    for hit in hits:
        sub = submissions.get(visitor_id=hit.visitor_id)
        assert hit.contact_id == sub.contact_id and hit.occurred_at < sub.submitted_at
        made = touchpoints[hit.touchpoint_id]
        assert (made.contact_id, made.occurred_at, made.content) == (hit.contact_id, hit.occurred_at, hit.path)
    assert Touchpoint.objects.filter(kind="form_submit", content="Form: Newsletter and contact",
                                     contact__in=submissions.values("contact")).count() >= 24
    # the ledger: a confirmation requested per ticked box, most confirmed later
    requested = ConsentEntry.objects.filter(source="form", status="requested")
    assert requested.filter(subscription__code="newsletter").count() == 24
    assert requested.exclude(proof__text="").count() == requested.count()
    confirmed = ConsentEntry.objects.filter(source="confirmation", status="granted")
    assert confirmed.count() > 0 and not confirmed.filter(occurred_at__lte=F("contact__created_at")).exists()
    assert FlowAnswer.objects.count() == 3
    # the site links the flow and the landing page, and both are served
    home = Client().get("/demo-site/", HTTP_HOST="127.0.0.1:8000").content.decode()
    assert 'href="/f/find-your-plan"' in home and 'href="/lp/revenue-analytics-guide"' in home
    flow = Client().get("/f/find-your-plan")
    assert flow.status_code == 200 and "Which team are you on?" in flow.content.decode()
    assert Client().get("/lp/revenue-analytics-guide").status_code == 200
    assert "Website capture: " in out.getvalue() and "http://127.0.0.1:8000/demo-site/" in out.getvalue()


def test_the_demo_site_is_a_404_until_the_demo_is_loaded_or_when_switched_off(db, settings):
    assert Client().get("/demo-site/").status_code == 404
    install_assets(base_url="http://127.0.0.1:8000")
    pages = ["/demo-site/", "/demo-site/product/", "/demo-site/pricing/", "/demo-site/blog/one-scoreboard/"]
    for url in pages:
        response = Client().get(url, HTTP_HOST="127.0.0.1:8000")
        assert response.status_code == 200
        body = response.content.decode()
        assert 'src="http://127.0.0.1:8000/t.js" data-site="' in body
        assert '<script src="http://127.0.0.1:8000/f/newsletter/embed.js"></script>' in body
        assert "<script>" not in body and "style=" not in body
    settings.DEMO_SITE = False
    assert Client().get("/demo-site/").status_code == 404


def test_a_demo_loaded_before_the_website_gets_it_from_make_demo(db, settings):
    settings.PUBLIC_BASE_URL = "http://127.0.0.1:8000"
    load_demo(contacts=40, as_of=dt.date(2026, 1, 15))  # as an earlier version loaded it: no website
    assert Client().get("/demo-site/").status_code == 404
    out = StringIO()
    call_command("demo", "--if-empty", "--no-progress", stdout=out)
    assert "Added the demo company's website" in out.getvalue()
    assert Client().get("/demo-site/", HTTP_HOST="127.0.0.1:8000").status_code == 200
    assert Submission.objects.count() == 0  # no invented history on a company already in use
