import datetime as dt
import io

import pytest

from plumbline.crm.actions import do_create_contact
from plumbline.crm.models import Company, Deal, DealTransition
from plumbline.events.models import Event
from plumbline.events.runner import drain
from plumbline.interop.actions import do_import
from plumbline.marketing.actions import do_create_campaign, do_record_touchpoint
from plumbline.marketing.models import FirstTouchpoint, Touchpoint
from plumbline.scoring.models import ContactScore


def _import(kind: str, text: str, **kw):
    return do_import(kind=kind, stream=io.BytesIO(text.encode()), **kw)


@pytest.mark.django_db
def test_companies_upsert_by_domain_or_by_name_without_domain(users):
    text = ("name,domain,employee_count,annual_revenue,country,industry\n"
            "Acme,https://acme.com,120,5000000,de,Software\nNo Web Ltd,,5,,GB,\n")
    first = _import("companies", text)
    assert (first.created, first.failed) == (2, 0)
    acme = Company.objects.get(domain="acme.com")
    assert (acme.employee_count, acme.country, str(acme.annual_revenue)) == (120, "DE", "5000000.00")
    second = _import("companies", text.replace("120", "150"))
    assert (second.created, second.updated, second.unchanged) == (0, 1, 1)
    assert Company.objects.count() == 2
    acme.refresh_from_db()
    assert acme.employee_count == 150


@pytest.mark.django_db
def test_company_rows_with_bad_values_report_each_column(users):
    report = _import("companies", "name,domain,employee_count,country\n,not a domain,-3,Germany\n")
    assert [(e.line, e.column) for e in report.errors] == [(2, "name"), (2, "domain"), (2, "employee_count"),
                                                          (2, "country")]


@pytest.mark.django_db
def test_deals_upsert_by_name_and_company_and_stage_changes_are_transitions(users, pipeline):
    text = "name,company_domain,company_name,stage,amount\nBig deal,acme.com,Acme,Discovery,1000\n"
    assert _import("deals", text).created == 1
    again = _import("deals", text.replace("Discovery", "Proposal"))
    assert (again.created, again.updated) == (0, 1)
    deal = Deal.objects.get()
    assert (deal.stage.name, deal.company.domain, deal.status) == ("Proposal", "acme.com", "open")
    assert list(DealTransition.objects.order_by("id").values_list("from_stage__name", "to_stage__name")) == [
        (None, "Discovery"), ("Discovery", "Proposal")]
    lost = _import("deals", text.replace("Discovery", "Lost"))
    assert (lost.errors[0].column, lost.rejected) == ("close_reason", True)
    _import("deals", "name,company_domain,stage,close_reason\nBig deal,acme.com,Lost,Price\n")
    deal.refresh_from_db()
    assert (deal.status, deal.close_reason) == ("lost", "Price")


@pytest.mark.django_db
def test_touchpoints_match_contacts_by_email_and_campaigns_by_utm_without_duplicates(users):
    do_create_contact(email="ann@example.com")
    webinar = do_create_campaign(name="Spring webinar", channel="webinar", cost=100)
    text = ("contact_email,campaign,kind,occurred_at\n"
            "ANN@example.com,spring-webinar,webinar_attended,2026-03-01T10:00:00Z\n"
            "nobody@example.com,,page_view,2026-03-01T10:00:00Z\n"
            "ann@example.com,nope,teleport,yesterday\n")
    report = _import("touchpoints", text, mode="good-rows")
    assert report.created == 1
    # every error of a row, each on its column
    assert sorted((e.line, e.column) for e in report.errors) == [
        (3, "channel"), (3, "contact_email"), (4, "campaign"), (4, "channel"), (4, "kind"), (4, "occurred_at")]
    tp = Touchpoint.objects.get()
    assert (tp.campaign, tp.channel, tp.utm_campaign) == (webinar, "webinar", "spring-webinar")
    assert _import("touchpoints", text, mode="good-rows").unchanged == 1
    assert Touchpoint.objects.count() == 1


@pytest.mark.django_db
def test_imported_touchpoints_keep_each_contacts_first_touch_even_dated_before_it(users):
    ann = do_create_contact(email="ann@example.com")
    bob = do_create_contact(email="bob@example.com")
    do_record_touchpoint(contact_id=ann.pk, kind="page_view", channel="seo", occurred_at="2026-03-05T10:00:00Z")
    webinar = do_create_campaign(name="Spring webinar", channel="webinar", cost=100)
    text = ("contact_email,campaign,kind,channel,occurred_at\n"
            "ann@example.com,,page_view,email,2026-03-09T10:00:00Z\n"
            "ann@example.com,spring-webinar,webinar_attended,,2026-03-01T10:00:00Z\n"
            "bob@example.com,,page_view,direct,2026-03-02T10:00:00Z\n"
            "bob@example.com,,page_view,video,2026-03-02T10:00:00Z\n")

    assert _import("touchpoints", text, dry_run=True).created == 4
    assert FirstTouchpoint.objects.count() == 1
    report = _import("touchpoints", text)

    assert report.created == 4
    firsts = {f.contact_id: (f.touchpoint_id, f.channel, f.campaign_id, f.occurred_at)
              for f in FirstTouchpoint.objects.all()}
    webinar_touch = Touchpoint.objects.get(kind="webinar_attended")
    direct_touch = Touchpoint.objects.get(channel="direct")
    assert firsts == {
        ann.pk: (webinar_touch.pk, "webinar", webinar.pk, dt.datetime(2026, 3, 1, 10, tzinfo=dt.UTC)),
        bob.pk: (direct_touch.pk, "direct", None, dt.datetime(2026, 3, 2, 10, tzinfo=dt.UTC)),
    }


@pytest.mark.django_db
def test_imported_touchpoints_write_their_events_and_rescore_their_contacts(users):
    ann = do_create_contact(email="ann@example.com")
    bob = do_create_contact(email="bob@example.com")
    do_create_contact(email="cy@example.com")
    drain()
    text = ("contact_email,kind,channel,occurred_at\n"
            "bob@example.com,demo_request,seo,2026-03-01T10:00:00Z\n"
            "ann@example.com,page_view,seo,2026-03-02T10:00:00Z\n"
            "bob@example.com,page_view,seo,2026-03-03T10:00:00Z\n")
    recorded = Event.objects.filter(kind="touchpoint.recorded").order_by("id")
    _import("touchpoints", text, dry_run=True)
    assert recorded.count() == 0  # a dry run is rolled back: nothing to rescore
    _import("touchpoints", text)
    assert [(e.payload["contact_id"], e.payload["reason"]) for e in recorded] == [
        (bob.pk, "import"), (ann.pk, "import"), (bob.pk, "import")]
    before = dict(ContactScore.objects.values_list("contact_id", "computed_at"))
    drain()
    after = dict(ContactScore.objects.values_list("contact_id", "computed_at"))
    assert {pk for pk, at in after.items() if at > before[pk]} == {ann.pk, bob.pk}  # cy was not touched
