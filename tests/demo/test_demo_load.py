import datetime as dt
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Sum
from django.test import Client

from plumbline.accounts.models import Notification, Team, User
from plumbline.analytics.funnels import funnel_params, lifecycle_funnel
from plumbline.crm.lifecycle import needs_reason, refusal
from plumbline.crm.models import (
    Activity,
    Company,
    Contact,
    Deal,
    DealContact,
    DealTransition,
    LifecycleTransition,
    Pipeline,
)
from plumbline.demo.generator import DEMO_PASSWORD, DEMO_USERS, load_demo
from plumbline.marketing.models import Campaign, Channel, FirstTouchpoint, Touchpoint
from plumbline.playbook.models import DealQualification, Framework, MessagingItem, Objection

AS_OF = dt.date(2026, 1, 15)


def _snapshot() -> dict:
    return {
        "contacts": list(Contact.objects.order_by("email").values_list(
            "email", "first_name", "last_name", "title", "phone", "company__domain", "owner__username", "source",
            "consent_status", "lifecycle_stage", "lifecycle_changed_at", "created_at")),
        "touchpoints": list(Touchpoint.objects.order_by("contact__email", "occurred_at", "kind", "channel").values_list(
            "contact__email", "campaign__utm_campaign", "channel", "kind", "occurred_at")),
        "transitions": list(LifecycleTransition.objects.order_by("contact__email", "occurred_at", "id").values_list(
            "contact__email", "from_stage", "to_stage", "occurred_at", "reason")),
        "deals": list(Deal.objects.order_by("name").values_list("name", "stage__name", "amount", "status", "closed_at")),
        "campaigns": list(Campaign.objects.order_by("utm_campaign").values_list("utm_campaign", "channel", "cost")),
        "answers": list(DealQualification.objects.order_by("deal__name", "criterion").values_list(
            "deal__name", "criterion", "value", "status", "updated_by__username", "updated_at")),
        "objections": list(Objection.objects.order_by(
            "occurred_at", "contact__email", "category", "verbatim", "deal__name").values_list(
            "occurred_at", "contact__email", "deal__name", "category", "verbatim", "deal_stage", "lifecycle_stage",
            "campaign__utm_campaign", "channel", "segment", "outcome", "outcome_note", "logged_by__username")),
        "messaging": list(MessagingItem.objects.order_by("kind", "title").values_list(
            "kind", "title", "funnel_stage", "persona__title", "objection_category", "url")),
        "open_tasks": list(Activity.objects.filter(kind="task", completed_at=None).order_by(
            "owner__username", "due_at", "subject").values_list("owner__username", "subject", "contact__email", "due_at")),
        "notifications": list(Notification.objects.order_by("user__username", "created_at", "kind").values_list(
            "user__username", "kind", "message", "created_at", "read_at")),
    }


def _wipe() -> None:
    Objection.objects.all().delete()
    Deal.objects.all().delete()
    Pipeline.objects.all().delete()
    Framework.objects.all().delete()
    MessagingItem.objects.all().delete()
    Contact.objects.all().delete()
    Company.objects.all().delete()
    Campaign.objects.all().delete()
    User.objects.all().delete()
    Team.objects.all().delete()


@pytest.mark.django_db
def test_same_seed_and_date_give_the_same_company_and_another_seed_does_not():
    load_demo(contacts=150, seed=7, as_of=AS_OF)
    first = _snapshot()
    _wipe()
    load_demo(contacts=150, seed=7, as_of=AS_OF)
    assert _snapshot() == first
    _wipe()
    load_demo(contacts=150, seed=8, as_of=AS_OF)
    other = _snapshot()
    assert other["contacts"] != first["contacts"]
    assert other["objections"] != first["objections"]
    assert other["messaging"] == first["messaging"]  # the library is hand-written, the same for every seed


@pytest.mark.django_db
def test_reported_totals_match_the_database():
    totals = load_demo(contacts=400, seed=3, as_of=AS_OF)
    assert totals.contacts == Contact.objects.count() == 400
    assert totals.companies == Company.objects.count() == 50
    assert totals.users == User.objects.count() == 6
    assert totals.touchpoints == Touchpoint.objects.count()
    assert totals.lifecycle_transitions == LifecycleTransition.objects.count()
    assert totals.deals == Deal.objects.count()
    assert totals.deal_transitions == DealTransition.objects.count()
    assert totals.deal_contacts == DealContact.objects.count() == totals.deals
    assert totals.activities == Activity.objects.count()
    assert totals.campaigns == Campaign.objects.count()
    assert totals.frameworks == Framework.objects.count() == 2
    assert totals.messaging_items == MessagingItem.objects.count()
    assert totals.qualification_answers == DealQualification.objects.count()
    assert totals.objections == Objection.objects.count()
    assert dict(totals.objection_categories) == {
        c: Objection.objects.filter(category=c).count() for c in totals.objection_categories
    }
    won = Deal.objects.filter(status="won")
    assert Decimal(totals.won_amount) == won.aggregate(s=Sum("amount"))["s"]
    assert totals.deal_status["won"] == won.count()
    assert dict(totals.final_stages) == {
        s: Contact.objects.filter(lifecycle_stage=s).count() for s in totals.final_stages
    }
    # About twenty touchpoints per contact, and every contact has its first touch.
    assert 15 * 400 < totals.touchpoints < 25 * 400
    assert Contact.objects.filter(touchpoints__isnull=True).count() == 0


@pytest.mark.django_db
def test_every_channel_has_a_campaign_with_cost_and_dates_and_print_has_a_vanity_slug():
    load_demo(contacts=50, seed=1, as_of=AS_OF)
    assert set(Campaign.objects.values_list("channel", flat=True)) == set(Channel.values)
    assert Campaign.objects.filter(starts_on__isnull=True).count() == 0
    assert Campaign.objects.exclude(channel__in=["direct", "organic_social"]).filter(cost__lte=0).count() == 0
    assert Campaign.objects.filter(channel="print", vanity_slug__isnull=True).count() == 0
    assert Campaign.objects.filter(channel="print").count() >= 1
    # Campaign touches stay on the campaign's channel and inside its dates.
    for tp in Touchpoint.objects.exclude(campaign=None).select_related("campaign")[:2000]:
        assert tp.channel == tp.campaign.channel
        assert tp.campaign.starts_on <= tp.occurred_at.date()
        assert tp.campaign.ends_on is None or tp.occurred_at.date() <= tp.campaign.ends_on


@pytest.mark.django_db
def test_lifecycle_transitions_are_legal_and_end_at_the_contacts_stage():
    load_demo(contacts=600, seed=5, as_of=AS_OF)
    history: dict[int, list[LifecycleTransition]] = {}
    for t in LifecycleTransition.objects.order_by("contact_id", "occurred_at", "id"):
        history.setdefault(t.contact_id, []).append(t)
    contacts = {c.pk: c for c in Contact.objects.all()}
    assert set(history) == set(contacts)
    for pk, moves in history.items():
        assert moves[0].from_stage == ""
        for before, move in zip(moves, moves[1:], strict=False):
            assert move.from_stage == before.to_stage
            assert move.occurred_at > before.occurred_at
            assert refusal(move.from_stage, move.to_stage) is None
            assert not needs_reason(move.from_stage, move.to_stage) or move.reason
        assert moves[-1].to_stage == contacts[pk].lifecycle_stage
        assert moves[-1].occurred_at == contacts[pk].lifecycle_changed_at
        assert moves[-1].occurred_at <= dt.datetime(2026, 1, 15, 18, tzinfo=dt.UTC)
    stages = {t.to_stage for moves in history.values() for t in moves}
    assert {"subscriber", "lead", "mql", "sal", "sql", "opportunity", "customer", "disqualified"} <= stages
    rejected = LifecycleTransition.objects.filter(from_stage="sal", to_stage="lead").count()
    assert rejected > 0


@pytest.mark.django_db
def test_deals_move_stage_by_stage_and_close_won_or_lost_with_reasons():
    load_demo(contacts=600, seed=5, as_of=AS_OF)
    assert Deal.objects.filter(status="won").count() > 0
    assert Deal.objects.filter(status="lost").count() > 0
    assert Deal.objects.filter(status="lost", close_reason="").count() == 0
    for deal in Deal.objects.select_related("stage"):
        moves = list(deal.transitions.order_by("occurred_at", "id"))
        assert moves[0].from_stage_id is None
        for before, move in zip(moves, moves[1:], strict=False):
            assert move.from_stage_id == before.to_stage_id
        assert moves[-1].to_stage_id == deal.stage_id
        assert deal.status == {"won": "won", "lost": "lost"}.get(deal.stage.kind, "open")
        assert (deal.closed_at is None) == (deal.status == "open")
    # Every customer came through a won deal.
    customers = Contact.objects.filter(lifecycle_stage__in=["customer", "evangelist", "past_customer"])
    assert customers.count() == Deal.objects.filter(status="won").count()
    assert customers.filter(deal_roles__deal__status="won").distinct().count() == customers.count()


@pytest.mark.django_db
def test_reps_log_calls_with_outcomes_meetings_emails_notes_and_tasks():
    load_demo(contacts=600, seed=5, as_of=AS_OF)
    kinds = set(Activity.objects.values_list("kind", flat=True))
    assert kinds == {"call", "meeting", "email", "note", "task"}
    assert Activity.objects.filter(kind="call", outcome="").count() == 0
    assert Activity.objects.exclude(kind="call").exclude(outcome="").count() == 0
    assert Activity.objects.filter(kind="task", due_at__isnull=True).count() == 0
    reps = set(User.objects.filter(role__in=["sales", "sales_manager"]).values_list("pk", flat=True))
    assert set(Activity.objects.values_list("owner_id", flat=True)) <= reps


@pytest.mark.django_db
def test_each_seller_has_overdue_today_and_upcoming_tasks_and_notifications_to_read():
    totals = load_demo(contacts=300, seed=2, as_of=AS_OF)
    day = dt.datetime.combine(AS_OF, dt.time.min, dt.UTC)
    for username in ("rep1", "rep2", "manager"):
        open_tasks = Activity.objects.filter(kind="task", completed_at=None, owner__username=username)
        assert open_tasks.filter(due_at__lt=day).count() >= 2
        assert open_tasks.filter(due_at__gte=day, due_at__lt=day + dt.timedelta(days=1)).count() == 2
        assert open_tasks.filter(due_at__gte=day + dt.timedelta(days=1)).count() >= 3
        assert Notification.objects.filter(user__username=username, read_at=None).count() >= 2
    assert totals.notifications == Notification.objects.count()
    assert Notification.objects.filter(user__username="marketing", kind="lead_rejected").count() == 2
    assert Notification.objects.filter(created_at__gt=day + dt.timedelta(days=1)).count() == 0


@pytest.mark.django_db
def test_demo_command_prints_logins_and_if_empty_skips_a_second_load():
    out = StringIO()
    call_command("demo", "--contacts", "40", "--as-of", "2026-01-15", "--no-progress", stdout=out)
    text = out.getvalue()
    assert "http://127.0.0.1:8000" in text
    assert all(f"  {name}" in text for name, *_ in DEMO_USERS)
    assert User.objects.get(username="manager").managed_teams.get().name == "Sales"
    assert User.objects.get(username="rep1").check_password("northwind-demo")
    again = StringIO()
    call_command("demo", "--if-empty", "--contacts", "40", "--no-progress", stdout=again)
    assert "already loaded" in again.getvalue()
    assert Contact.objects.count() == 40
    assert "playbook: 2 frameworks" in text
    assert (Framework.objects.count(), MessagingItem.objects.count()) == (2, 37)


@pytest.mark.django_db
def test_every_contacts_first_touch_is_stored_and_the_funnel_page_groups_by_it():
    load_demo(contacts=300, seed=4, as_of=AS_OF)
    expected: dict[int, tuple] = {}
    for t in sorted(Touchpoint.objects.all(), key=lambda t: (t.occurred_at, t.pk)):
        expected.setdefault(t.contact_id, (t.pk, t.occurred_at, t.channel, t.campaign_id))

    stored = {f.contact_id: (f.touchpoint_id, f.occurred_at, f.channel, f.campaign_id)
              for f in FirstTouchpoint.objects.all()}

    assert stored == expected and len(stored) == 300
    client = Client()
    assert client.login(username="manager", password=DEMO_PASSWORD)
    for group_by in ("channel", "campaign"):
        page = client.get(f"/analytics/funnels/?group_by={group_by}")
        assert page.status_code == 200
        rows = lifecycle_funnel(funnel_params({"group_by": group_by}))
        subscribers = sum(r["entered"] for r in rows if r["from_stage"] == "subscriber")
        assert subscribers == 300
        assert "(none)" not in {r["group"] for r in rows}  # every demo contact has touchpoints
    by_channel = {r["group"] for r in lifecycle_funnel(funnel_params({"group_by": "channel"}))}
    assert by_channel == {channel for _, _, channel, _ in expected.values()}


@pytest.mark.django_db
def test_planted_duplicates_are_second_records_the_scan_finds_and_nothing_else():
    from plumbline.analytics.contact_duplicates import scan
    from plumbline.crm.models import DuplicatePair
    from plumbline.demo.duplicates import plant_duplicates

    load_demo(contacts=300, seed=4, as_of=AS_OF)
    before = set(Contact.objects.values_list("pk", flat=True))
    assert plant_duplicates(12, seed=4, as_of=AS_OF) == 12
    twins = set(Contact.objects.values_list("pk", flat=True)) - before
    assert len(twins) == 12
    done = scan()
    pairs = set(DuplicatePair.objects.values_list("left_id", "right_id"))
    assert done.found == 12 and {right for _, right in pairs} == twins and {left for left, _ in pairs} <= before


@pytest.mark.django_db
def test_the_demo_command_plants_duplicates_and_refuses_too_many():
    out = StringIO()
    call_command("demo", "--contacts", "100", "--seed", "2", "--duplicates", "5", "--no-progress", stdout=out)
    assert "Planted 5 duplicate contacts for the duplicates page." in out.getvalue()
    assert Contact.objects.count() == 105
    with pytest.raises(CommandError, match="--duplicates is from 0 to a tenth of --contacts."):
        call_command("demo", "--contacts", "100", "--duplicates", "11", stdout=StringIO())
