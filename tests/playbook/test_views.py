import datetime as dt

import pytest
from django.test import Client

from plumbline.playbook.actions import do_create_messaging_item, do_log_objection
from plumbline.playbook.models import DealQualification, Framework, MessagingItem, Objection
from plumbline.playbook.queries import completeness, framework_for

ROLES = ("admin", "marketing", "rep1", "manager", "viewer")
ALL_OK = dict.fromkeys(ROLES, 200)
EDITORS = {**ALL_OK, "rep1": 403, "viewer": 403}
PAGES = {
    "/playbook/frameworks/": ALL_OK,
    "/playbook/frameworks/{framework}/": {**ALL_OK, "marketing": 403, "rep1": 403, "viewer": 403},
    "/deals/{deal}/qualification/": ALL_OK,
    "/objections/": ALL_OK,
    "/objections/?deal={deal}&category=price": ALL_OK,
    "/objections/suggestions/?category=price": ALL_OK,
    "/reports/objections/": ALL_OK,
    "/reports/objections/?group_by=segment&format=csv": ALL_OK,
    "/playbook/messaging/": ALL_OK,
    "/playbook/messaging/new/": EDITORS,
    "/playbook/messaging/{item}/edit/": EDITORS,
}


@pytest.fixture
def response(users):
    return do_create_messaging_item(by=users["marketing"], kind="objection_response", title="ROI in 6 months",
                                    body="Walk them through the payback sheet.", objection_category="price")


def _url(template, world, response):
    return template.format(framework=world.bant.pk, deal=world.deal.pk, item=response.pk)


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("page", PAGES)
def test_each_role_gets_the_expected_status_on_every_playbook_page(world, response, client_for, page, role):
    assert client_for(role).get(_url(page, world, response)).status_code == PAGES[page][role]


@pytest.mark.django_db
@pytest.mark.parametrize("page", PAGES)
def test_anonymous_visitors_are_sent_to_sign_in(world, response, page):
    r = Client().get(_url(page, world, response))
    assert (r.status_code, r.url.split("?")[0]) == (302, "/login/")


@pytest.mark.django_db
def test_rep_fills_in_qualification_and_sees_completeness(world, client_for):
    c = client_for("rep2")
    page = c.get(f"/deals/{world.deal.pk}/qualification/").content.decode()
    assert "Completeness 0%" in page and "Is there budget set aside for this, and how much?" in page
    r = c.post(f"/deals/{world.deal.pk}/qualification/", {
        "value_budget": "25000", "status_budget": "confirmed", "value_authority": "", "status_authority": "unknown",
        "value_need": "Reporting", "status_need": "partial", "value_timeline": "", "status_timeline": "unknown"})
    assert (r.status_code, r.url) == (302, f"/deals/{world.deal.pk}/qualification/")
    assert completeness(world.deal) == 0.375
    assert "Completeness 38%" in c.get(r.url).content.decode()


@pytest.mark.django_db
def test_bad_answer_is_shown_on_its_field_and_nothing_is_saved(world, client_for):
    r = client_for("rep2").post(f"/deals/{world.deal.pk}/qualification/", {
        "value_budget": "a lot", "status_budget": "confirmed", "value_authority": "CFO", "status_authority": "confirmed",
        "value_need": "", "status_need": "unknown", "value_timeline": "", "status_timeline": "unknown"})
    assert r.status_code == 400
    assert "&#x27;a lot&#x27; is not an amount" in r.content.decode()
    assert DealQualification.objects.count() == 0


@pytest.mark.django_db
def test_who_may_not_change_the_deal_cannot_post_answers_nor_sees_inputs(world, client_for):
    post = {"value_need": "x", "status_need": "partial"}
    assert client_for("rep1").post(f"/deals/{world.deal.pk}/qualification/", post).status_code == 403
    assert client_for("viewer").post(f"/deals/{world.deal.pk}/qualification/", post).status_code == 403
    assert 'name="value_need"' not in client_for("viewer").get(f"/deals/{world.deal.pk}/qualification/").content.decode()
    assert DealQualification.objects.count() == 0


@pytest.mark.django_db
def test_objection_form_shows_suggested_responses_and_logs_with_captured_stage(world, response, client_for, users):
    c = client_for("rep2")
    page = c.get(f"/objections/?deal={world.deal.pk}").content.decode()
    assert "Suggested responses" in page and "ROI in 6 months" in page and "Walk them through" in page
    fragment = c.get("/objections/suggestions/?category=trust&stage=decision").content.decode()
    assert "ROI in 6 months" not in fragment and "no response to trust objections" in fragment
    r = c.post(f"/objections/?deal={world.deal.pk}", {"category": "price", "verbatim": "Too pricey.",
                                                      "deal": world.deal.pk, "contact_email": "jane@acme.com"})
    assert r.status_code == 302
    o = Objection.objects.get()
    assert (o.category, o.deal, o.contact, o.deal_stage, o.campaign, o.logged_by) == (
        "price", world.deal, world.contact, "Discovery", world.ads, users["rep2"])
    listed = c.get(r.url).content.decode()
    assert "Too pricey." in listed and "Suggested responses (1)" in listed


@pytest.mark.django_db
def test_bad_objection_form_answers_400_with_field_errors(world, client_for):
    c = client_for("rep2")
    r = c.post("/objections/", {"category": "price", "verbatim": "", "contact_email": "nobody@nowhere.com"})
    assert r.status_code == 400
    body = r.content.decode()
    assert "This field is required." in body and "No contact with email nobody@nowhere.com." in body
    r = c.post("/objections/", {"category": "price", "verbatim": "Hm"})
    assert (r.status_code, "Log the objection on a deal or a contact." in r.content.decode()) == (400, True)
    assert client_for("viewer").post("/objections/", {"category": "price", "verbatim": "Hm",
                                                      "deal": world.deal.pk}).status_code == 403
    assert Objection.objects.count() == 0


@pytest.mark.django_db
def test_outcome_is_recorded_by_who_logged_it(world, client_for, users):
    o = do_log_objection(by=users["rep2"], category="price", verbatim="Too much", deal=world.deal)
    assert client_for("rep1").post(f"/objections/{o.pk}/outcome", {"outcome": "resolved"}).status_code == 403
    r = client_for("rep2").post(f"/objections/{o.pk}/outcome", {"outcome": "resolved", "outcome_note": "Discount"})
    assert r.status_code == 302
    o.refresh_from_db()
    assert (o.outcome, o.outcome_note) == ("resolved", "Discount")


@pytest.mark.django_db
def test_objection_report_page_chart_and_csv(world, client_for, users):
    when = dt.datetime(2026, 3, 2, 9, tzinfo=dt.UTC)
    for category in ("price", "price", "trust"):
        do_log_objection(by=users["rep2"], category=category, verbatim="…", deal=world.deal, occurred_at=when)
    c = client_for("marketing")
    page = c.get("/reports/objections/?group_by=campaign").content.decode()
    assert "<svg" in page and "Price: 2" in page and "Trust: 1" in page
    csv_text = c.get("/reports/objections/?group_by=campaign&since=2026-03-02&until=2026-03-02&format=csv")
    assert csv_text.content.decode().splitlines() == [
        "campaign,total,open,resolved,lost_deal,price,timing,authority,need,competitor,trust,feature_gap,contract,other",
        "Search ads,3,3,0,0,2,0,0,0,0,1,0,0,0",
    ]
    empty = c.get("/reports/objections/?group_by=campaign&until=2026-03-01&format=csv").content.decode()
    assert len(empty.splitlines()) == 1


@pytest.mark.django_db
def test_admin_creates_a_framework_chooses_it_and_edits_criteria(world, client_for):
    c = client_for("admin")
    r = c.post("/playbook/frameworks/from-template", {"template": "champ", "name": ""})
    champ = Framework.objects.get(name="CHAMP")
    assert (r.status_code, r.url) == (302, f"/playbook/frameworks/{champ.pk}/")
    r = c.post("/playbook/frameworks/choose", {"pipeline": world.deal.pipeline_id, "framework": champ.pk})
    assert r.status_code == 302 and framework_for(world.deal.pipeline_id) == champ
    form = {"name": "CHAMP (ours)", "description": "", "criteria-TOTAL_FORMS": "5", "criteria-INITIAL_FORMS": "4",
            "criteria-MIN_NUM_FORMS": "0", "criteria-MAX_NUM_FORMS": "30"}
    for i, crit in enumerate(champ.criteria):
        form.update({f"criteria-{i}-{k}": crit[k] for k in ("key", "label", "question", "answer_type")})
        form[f"criteria-{i}-weight"] = "2" if crit["key"] == "money" else "1"
    form["criteria-3-DELETE"] = "on"
    form.update({"criteria-4-key": "urgency", "criteria-4-label": "Urgency", "criteria-4-answer_type": "date",
                 "criteria-4-weight": "1", "criteria-4-guide": "Why now?\nWhat if later?"})
    r = c.post(f"/playbook/frameworks/{champ.pk}/", form)
    assert r.status_code == 302
    champ.refresh_from_db()
    assert champ.name == "CHAMP (ours)"
    assert [(x["key"], x["weight"]) for x in champ.criteria] == [
        ("challenges", 1.0), ("authority", 1.0), ("money", 2.0), ("urgency", 1.0)]
    assert champ.criteria[3]["guide"] == ["Why now?", "What if later?"]
    form["criteria-4-key"] = "money"
    r = c.post(f"/playbook/frameworks/{champ.pk}/", form)
    assert r.status_code == 400 and "Criterion 5 (key): The key &#x27;money&#x27; is used twice." in r.content.decode()
    assert client_for("marketing").post("/playbook/frameworks/from-template", {"template": "bant"}).status_code == 403


@pytest.mark.django_db
def test_marketing_adds_to_the_library_and_bad_input_stays_on_the_form(users, client_for):
    c = client_for("marketing")
    r = c.post("/playbook/messaging/new/", {"kind": "objection_response", "title": "Start small",
                                            "objection_category": "", "funnel_stage": "decision"})
    assert r.status_code == 400 and "A response answers one objection category." in r.content.decode()
    r = c.post("/playbook/messaging/new/", {"kind": "objection_response", "title": "Start small",
                                            "objection_category": "price", "funnel_stage": "decision"})
    assert r.status_code == 302
    item = MessagingItem.objects.get()
    assert (item.kind, item.objection_category, item.funnel_stage, item.owner) == (
        "objection_response", "price", "decision", users["marketing"])
    page = client_for("rep1").get("/playbook/messaging/?stage=decision").content.decode()
    assert "Start small" in page and "/edit/" not in page
    assert client_for("rep1").post(f"/playbook/messaging/{item.pk}/delete").status_code == 403
    assert c.post(f"/playbook/messaging/{item.pk}/delete").status_code == 302
    assert MessagingItem.objects.count() == 0
