"""The demo company's playbook: frameworks and deal answers, objections, the messaging library, and the pages."""

import datetime as dt
import statistics

import pytest
from django.test import Client
from django.utils.html import escape

from plumbline.accounts.models import User
from plumbline.crm.models import Deal, DealContact, DealTransition, Pipeline
from plumbline.demo import buyers
from plumbline.demo.generator import load_demo
from plumbline.playbook.actions import _source_touchpoint
from plumbline.playbook.models import (
    DealQualification,
    Framework,
    FunnelStage,
    MessagingItem,
    Objection,
    ObjectionCategory,
    PipelineFramework,
)
from plumbline.playbook.queries import (
    completeness_by_deal,
    framework_for,
    objection_report,
    suggested_responses,
)
from plumbline.scoring.training_data import DEAL_QUALIFICATION, features_at

AS_OF = dt.date(2026, 1, 15)
END = dt.datetime(2026, 1, 15, 18, tzinfo=dt.UTC)
OPEN_STAGES = {"Discovery", "Demo", "Proposal", "Negotiation"}


@pytest.fixture
def demo(db):
    return load_demo(contacts=800, seed=5, as_of=AS_OF)


@pytest.mark.django_db
def test_the_pipeline_qualifies_with_the_tuned_meddpicc_and_bant_is_kept_for_first_calls(demo):
    pipeline = Pipeline.objects.get(name="New business")
    framework = framework_for(pipeline.pk)
    assert (framework.name, framework.template) == ("Northwind MEDDPICC", "meddpicc")
    assert {c["key"]: c["weight"] for c in framework.criteria} == {
        "metrics": 1.0, "economic_buyer": 2.0, "decision_criteria": 1.0, "decision_process": 1.0,
        "paper_process": 1.0, "identify_pain": 1.5, "champion": 1.5, "competition": 1.0,
    }
    assert PipelineFramework.objects.get(pipeline=pipeline).chosen_by.username == "manager"
    assert Framework.objects.get(name="BANT (first calls)").pipeline_links.count() == 0


@pytest.mark.django_db
def test_deal_answers_give_varied_completeness_highest_on_won_deals(demo):
    deals = {d.pk: d for d in Deal.objects.all()}
    complete = completeness_by_deal(list(deals))
    assert None not in complete.values()
    assert min(complete.values()) == 0.0 and max(complete.values()) == 1.0
    assert len({round(v, 2) for v in complete.values()}) >= 15
    by_status = {s: statistics.mean(complete[pk] for pk, d in deals.items() if d.status == s)
                 for s in ("won", "lost", "open")}
    assert by_status["won"] > by_status["open"] > by_status["lost"]
    assert by_status["won"] > 0.75 and by_status["lost"] < 0.45
    keys = {c["key"] for c in framework_for(Pipeline.objects.get().pk).criteria}
    for answer in DealQualification.objects.select_related("deal"):
        deal = answer.deal
        assert answer.criterion in keys
        assert answer.updated_by_id == deal.owner_id
        assert deal.created_at <= answer.updated_at <= (deal.closed_at or END)
        if answer.status == "unknown":
            assert answer.value == "Asked; no clear answer yet"
        else:
            assert answer.value and "{" not in answer.value
            assert answer.value.endswith(buyers.PARTIAL_NOTE) == (answer.status == "partial")


@pytest.mark.django_db
def test_the_qualification_completeness_feature_has_values_and_grows_over_time(demo):
    on_deals = sorted(set(DealContact.objects.values_list("contact_id", flat=True)))
    now = features_at(on_deals, at=END + dt.timedelta(days=1))[DEAL_QUALIFICATION]
    assert now.notna().all()
    assert now.nunique() >= 10
    earlier = features_at(on_deals, at=END - dt.timedelta(days=120))[DEAL_QUALIFICATION]
    assert earlier.fillna(0).mean() < now.mean()


@pytest.mark.django_db
def test_objections_cover_the_categories_on_deals_and_contacts_captured_as_the_action_would(demo):
    assert set(Objection.objects.values_list("category", flat=True)) == set(ObjectionCategory.values)
    on_deals = Objection.objects.filter(deal__isnull=False)
    only_contacts = Objection.objects.filter(deal__isnull=True)
    assert on_deals.count() > 50 and only_contacts.count() > 50
    assert Objection.objects.filter(contact__isnull=True).count() == 0
    assert Objection.objects.filter(campaign__isnull=True).count() == 0
    assert set(only_contacts.values_list("deal_stage", flat=True)) == {""}
    assert set(only_contacts.values_list("lifecycle_stage", flat=True)) >= {"lead", "sal"}
    assert set(on_deals.values_list("deal_stage", flat=True)) == OPEN_STAGES
    assert set(on_deals.values_list("lifecycle_stage", flat=True)) == {"opportunity"}
    rows = Objection.objects.select_related("deal", "contact__company", "campaign")
    for o in rows:
        assert o.verbatim in buyers.VERBATIMS[o.category]
        assert o.occurred_at <= END
        assert o.channel == o.campaign.channel
        assert o.segment == (o.contact.company.industry if o.contact.company_id else "")
        if o.deal:
            assert o.logged_by_id == o.deal.owner_id
            assert DealContact.objects.filter(deal=o.deal, contact=o.contact).exists()
            assert o.deal.created_at <= o.occurred_at <= (o.deal.closed_at or END)
    # The campaign and the deal stage are those of the objection's moment, as do_log_objection captures them.
    for o in rows.order_by("pk")[::7]:
        assert o.campaign_id == _source_touchpoint([o.contact_id], o.occurred_at).campaign_id
        if o.deal:
            then = DealTransition.objects.filter(deal=o.deal, occurred_at__lte=o.occurred_at).order_by(
                "-occurred_at", "-pk").select_related("to_stage").first()
            assert o.deal_stage == then.to_stage.name


@pytest.mark.django_db
def test_every_lost_deal_has_the_objection_that_lost_it_and_resolved_ones_say_how(demo):
    for deal in Deal.objects.filter(status="lost"):
        fatal = deal.objections.get(outcome="lost_deal")
        assert fatal.category == buyers.LOST_CATEGORY[deal.close_reason]
        assert fatal.outcome_note == f"Lost: {deal.close_reason}"
    assert Objection.objects.filter(outcome="lost_deal").exclude(deal__status="lost").count() == 0
    assert set(Objection.objects.filter(deal__status="won").values_list("outcome", flat=True)) <= {"resolved", "open"}
    titles = set(MessagingItem.objects.filter(kind="objection_response").values_list("title", flat=True))
    for note in Objection.objects.filter(outcome="resolved").values_list("outcome_note", flat=True):
        assert note == "Handled in the discovery meeting" or note.removeprefix("Answered with: ") in titles
    nurture = Objection.objects.filter(deal__isnull=True, outcome_note__startswith="Back to nurture: ")
    assert nurture.count() > 0
    assert set(nurture.values_list("lifecycle_stage", "outcome").distinct()) == {("sal", "open")}


@pytest.mark.django_db
def test_the_objection_report_has_rows_by_campaign_segment_stage_and_category(demo):
    total = Objection.objects.count()
    for group in ("campaign", "channel", "segment", "deal_stage", "lifecycle_stage", "category"):
        rows = objection_report(group_by=group)
        assert len(rows) >= 4, group
        assert sum(r["total"] for r in rows) == total
    assert {r["group"] for r in objection_report(group_by="deal_stage")} == OPEN_STAGES | {"(none)"}
    by_campaign = {r["group"]: r for r in objection_report(group_by="campaign")}
    assert by_campaign["SDR outbound"]["total"] > 0
    assert sum(1 for r in by_campaign.values() if sum(v > 0 for v in r["by_category"].values()) >= 3) >= 3


@pytest.mark.django_db
def test_the_messaging_library_covers_every_funnel_stage_persona_and_objection_category(demo):
    kinds = {k: MessagingItem.objects.filter(kind=k).count() for k in MessagingItem.Kind.values}
    assert kinds == {"persona": 5, "value_proposition": 7, "objection_response": 11, "content_asset": 14}
    for stage in FunnelStage.values:
        at_stage = set(MessagingItem.objects.filter(funnel_stage=stage).values_list("kind", flat=True))
        assert {"value_proposition", "content_asset"} <= at_stage, stage
    for category in ObjectionCategory.values:
        assert suggested_responses(category), category
    assert MessagingItem.objects.exclude(persona=None).exclude(persona__kind="persona").count() == 0
    assert MessagingItem.objects.exclude(persona=None).values("persona").distinct().count() == 5
    assets = MessagingItem.objects.filter(kind="content_asset")
    assert all(url.startswith("https://northwind-analytics.example/") for url in assets.values_list("url", flat=True))
    assert set(MessagingItem.objects.values_list("owner__username", flat=True)) == {"marketing", "manager"}


@pytest.mark.django_db
def test_the_demo_pages_show_the_playbook(demo):
    client = Client()
    client.force_login(User.objects.get(username="manager"))
    segment = Objection.objects.exclude(segment="").values_list("segment", flat=True).first()
    report = client.get("/reports/objections/?group_by=segment")
    assert report.status_code == 200 and escape(segment) in report.content.decode()
    deal = Deal.objects.filter(status="won").order_by("pk").first()
    percent = round(completeness_by_deal([deal.pk])[deal.pk] * 100)
    page = client.get(f"/deals/{deal.pk}/qualification/").content.decode()
    assert "Northwind MEDDPICC" in page and f"Completeness {percent}%" in page
    answer = DealQualification.objects.filter(deal=deal).first()
    assert escape(answer.value) in page
    lost = Objection.objects.filter(outcome="lost_deal").order_by("pk").first()
    assert escape(lost.verbatim) in client.get(f"/objections/?deal={lost.deal_id}").content.decode()
    library = client.get("/playbook/messaging/").content.decode()
    assert "37 items" in library and "One set of numbers for sales and marketing" in library
