"""Forms with bad input re-render with the error next to the field and write nothing."""

from __future__ import annotations

import pytest

from plumbline.crm.models import Activity, Company, Contact, CustomField, DealTransition, LifecycleTransition
from plumbline.marketing.models import Campaign


def field_error(html: str, field: str) -> str:
    """The text of the inline error list rendered under `field` ('' when there is none)."""
    marker = f'id="id_{field}-error"'
    if marker not in html:
        return ""
    start = html.index(marker)
    return html[start:html.index("</ul>", start)]


@pytest.mark.django_db
def test_contact_form_with_invalid_email_shows_the_error_on_email_and_creates_nothing(record, client_for):
    before = Contact.objects.count()
    response = client_for("marketing").post("/contacts/new/", {"email": "not-an-email", "consent_status": "unknown",
                                                               "lifecycle_stage": "lead"})
    assert response.status_code == 400
    assert "&#x27;not-an-email&#x27; is not a valid email address." in field_error(response.content.decode(), "email")
    assert Contact.objects.count() == before


@pytest.mark.django_db
def test_duplicate_email_is_a_409_with_the_error_on_email(record, client_for):
    response = client_for("marketing").post("/contacts/new/", {"email": " JANE@acme.com ", "consent_status": "unknown",
                                                               "lifecycle_stage": "lead"})
    assert response.status_code == 409
    assert "A contact with email jane@acme.com already exists." in field_error(response.content.decode(), "email")
    assert Contact.objects.filter(email="jane@acme.com").count() == 1


@pytest.mark.django_db
def test_unknown_company_name_is_an_inline_error(record, client_for):
    response = client_for("marketing").post("/contacts/new/", {"email": "bob@new.io", "company": "Nowhere Ltd",
                                                               "consent_status": "unknown", "lifecycle_stage": "lead"})
    assert response.status_code == 400
    assert "No company named or at &#x27;Nowhere Ltd&#x27;; create it first." in field_error(
        response.content.decode(), "company")
    assert not Contact.objects.filter(email="bob@new.io").exists()


@pytest.mark.django_db
def test_contact_created_through_the_form_starts_its_lifecycle_and_links_company(record, client_for, users):
    response = client_for("manager").post("/contacts/new/", {
        "email": "Ann@Acme.com", "first_name": "Ann", "consent_status": "opted_in", "lifecycle_stage": "lead",
        "company": "ACME", "owner": users["rep1"].pk,
    })
    contact = Contact.objects.get(email="ann@acme.com")
    assert response.status_code == 302
    assert response["Location"] == f"/contacts/{contact.pk}/"
    assert (contact.company, contact.owner, contact.lifecycle_stage) == (record.company, users["rep1"], "lead")
    assert list(contact.lifecycle_transitions.values_list("from_stage", "to_stage")) == [("", "lead")]


@pytest.mark.django_db
def test_custom_field_errors_show_on_their_own_input(record, client_for):
    CustomField.objects.create(applies_to="contact", key="seats", label="Seats", type="number")
    response = client_for("admin").post(f"/contacts/{record.contact.pk}/edit/", {
        "email": "jane@acme.com", "consent_status": "unknown", "custom_seats": "many",
    })
    assert response.status_code == 400
    assert "Seats must be a number." in field_error(response.content.decode(), "custom_seats")
    record.contact.refresh_from_db()
    assert record.contact.custom == {}


@pytest.mark.django_db
def test_contact_edit_with_bad_email_changes_nothing(record, client_for):
    response = client_for("admin").post(f"/contacts/{record.contact.pk}/edit/", {
        "email": "jane@", "first_name": "Janet", "consent_status": "unknown",
    })
    assert response.status_code == 400
    assert "is not a valid email address." in field_error(response.content.decode(), "email")
    record.contact.refresh_from_db()
    assert (record.contact.email, record.contact.first_name) == ("jane@acme.com", "Jane")


@pytest.mark.django_db
def test_company_form_with_bad_domain_and_negative_employees_shows_both_errors(db, users, client_for):
    response = client_for("admin").post("/companies/new/", {"name": "Initech", "domain": "not a domain",
                                                            "employee_count": "-5"})
    html = response.content.decode()
    assert response.status_code == 400
    assert "Ensure this value is greater than or equal to 0." in field_error(html, "employee_count")
    assert Company.objects.count() == 0


@pytest.mark.django_db
def test_company_form_domain_error_comes_from_the_action(db, users, client_for):
    response = client_for("admin").post("/companies/new/", {"name": "Initech", "domain": "not a domain"})
    assert response.status_code == 400
    assert "&#x27;not a domain&#x27; is not a valid domain name." in field_error(response.content.decode(), "domain")
    assert Company.objects.count() == 0


@pytest.mark.django_db
def test_lifecycle_form_offers_only_the_allowed_moves(record, client_for):
    html = client_for("admin").get(f"/contacts/{record.contact.pk}/").content.decode()
    start = html.index('name="to_stage"')
    options = html[start:html.index("</select>", start)]
    values = [chunk.split('"')[0] for chunk in options.split('value="')[1:]]
    assert values == ["lead", "mql", "sal", "sql", "opportunity", "customer", "evangelist", "disqualified"]


@pytest.mark.django_db
def test_disqualifying_without_a_reason_is_refused_inline(record, client_for):
    response = client_for("admin").post(f"/contacts/{record.contact.pk}/lifecycle/", {"to_stage": "disqualified"})
    assert response.status_code == 400
    assert "Say why: this move needs a reason." in field_error(response.content.decode(), "reason")
    assert LifecycleTransition.objects.filter(contact=record.contact).count() == 1


@pytest.mark.django_db
def test_illegal_lifecycle_move_is_refused_inline(record, client_for):
    response = client_for("admin").post(f"/contacts/{record.contact.pk}/lifecycle/", {"to_stage": "past_customer"})
    assert response.status_code == 400
    assert "Select a valid choice." in field_error(response.content.decode(), "to_stage")
    assert LifecycleTransition.objects.filter(contact=record.contact).count() == 1


@pytest.mark.django_db
def test_lifecycle_move_with_reason_is_recorded(record, client_for, users):
    response = client_for("admin").post(f"/contacts/{record.contact.pk}/lifecycle/",
                                        {"to_stage": "disqualified", "reason": "Student"})
    assert response.status_code == 302
    t = LifecycleTransition.objects.filter(contact=record.contact).first()
    assert (t.from_stage, t.to_stage, t.reason, t.by) == ("subscriber", "disqualified", "Student", users["admin"])


@pytest.mark.django_db
def test_task_without_due_date_is_refused_inline(record, client_for):
    before = Activity.objects.count()
    response = client_for("admin").post(f"/contacts/{record.contact.pk}/log/", {"kind": "task", "subject": "Call"})
    assert response.status_code == 400
    assert "A task needs a due date." in field_error(response.content.decode(), "due_at")
    assert Activity.objects.count() == before


@pytest.mark.django_db
def test_outcome_on_a_note_is_refused_by_the_action_inline(record, client_for):
    before = Activity.objects.count()
    response = client_for("admin").post(f"/contacts/{record.contact.pk}/log/",
                                        {"kind": "note", "subject": "x", "outcome": "connected"})
    assert response.status_code == 400
    assert "Only calls have an outcome." in field_error(response.content.decode(), "outcome")
    assert Activity.objects.count() == before


@pytest.mark.django_db
def test_call_with_outcome_and_task_are_logged_and_the_task_can_be_completed(record, client_for, users):
    admin = client_for("admin")
    admin.post(f"/contacts/{record.contact.pk}/log/",
               {"kind": "call", "subject": "Intro", "outcome": "connected", "duration_minutes": "15"})
    admin.post(f"/contacts/{record.contact.pk}/log/",
               {"kind": "task", "subject": "Send proposal", "due_at": "2030-01-31T09:30"})
    call = Activity.objects.get(kind="call")
    task = Activity.objects.get(kind="task")
    assert (call.outcome, call.duration_minutes, call.owner) == ("connected", 15, users["admin"])
    assert task.due_at.isoformat() == "2030-01-31T09:30:00+00:00"
    response = admin.post(f"/tasks/{task.pk}/complete/", {"next": f"/contacts/{record.contact.pk}/"})
    assert response.status_code == 302
    assert response["Location"] == f"/contacts/{record.contact.pk}/"
    task.refresh_from_db()
    assert task.completed_at is not None


@pytest.mark.django_db
def test_deal_page_move_to_lost_without_reason_is_refused_inline(record, client_for, pipeline):
    lost = pipeline.stages.get(name="Lost")
    response = client_for("admin").post(f"/deals/{record.deal.pk}/move/", {"stage": lost.pk})
    assert response.status_code == 400
    assert "Say why the deal was lost." in field_error(response.content.decode(), "reason")
    assert DealTransition.objects.filter(deal=record.deal).count() == 1


@pytest.mark.django_db
def test_board_move_answers_with_the_redrawn_board(record, client_for, pipeline, users):
    proposal = pipeline.stages.get(name="Proposal")
    response = client_for("manager").post(f"/deals/{record.deal.pk}/move/", {"stage": proposal.pk, "from": "board"})
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="board"')
    t = DealTransition.objects.filter(deal=record.deal).first()
    assert (t.from_stage.name, t.to_stage.name, t.by) == ("Discovery", "Proposal", users["manager"])


@pytest.mark.django_db
def test_board_move_to_lost_without_reason_returns_the_board_with_the_error(record, client_for, pipeline):
    lost = pipeline.stages.get(name="Lost")
    response = client_for("manager").post(f"/deals/{record.deal.pk}/move/", {"stage": lost.pk, "from": "board"})
    assert response.status_code == 400
    assert '<p class="board-error error" role="alert">Say why the deal was lost.</p>' in response.content.decode()
    assert DealTransition.objects.filter(deal=record.deal).count() == 1


@pytest.mark.django_db
def test_campaign_with_end_before_start_is_refused_and_not_saved(db, users, client_for):
    response = client_for("marketing").post("/campaigns/new/", {
        "name": "Autumn", "channel": "email", "cost": "100", "currency": "USD",
        "starts_on": "2026-10-01", "ends_on": "2026-09-01",
    })
    html = response.content.decode()
    assert response.status_code == 400
    assert "End date must be on or after the start date." in field_error(html, "ends_on")
    assert "campaign_dates_ordered" not in html and "Constraint" not in html
    assert Campaign.objects.count() == 0


@pytest.mark.django_db
def test_campaign_with_negative_cost_and_bad_channel_shows_both_errors(db, users, client_for):
    response = client_for("marketing").post("/campaigns/new/", {"name": "X", "channel": "carrier_pigeon",
                                                                "cost": "-1", "currency": "USD"})
    html = response.content.decode()
    assert response.status_code == 400
    assert "Select a valid choice. carrier_pigeon is not one of the available choices." in field_error(html, "channel")
    assert "Ensure this value is greater than or equal to 0." in field_error(html, "cost")
    assert Campaign.objects.count() == 0


@pytest.mark.django_db
def test_print_campaign_page_shows_vanity_url_and_serves_its_qr_code(db, users, client_for, settings):
    settings.PUBLIC_BASE_URL = "https://crm.example.com"
    client = client_for("marketing")
    response = client.post("/campaigns/new/", {"name": "Trade show flyer", "channel": "print", "cost": "800",
                                               "currency": "usd", "landing_url": "https://example.com/show"})
    campaign = Campaign.objects.get()
    assert response.status_code == 302
    assert (campaign.vanity_slug, campaign.utm_campaign, campaign.currency) == (
        "trade-show-flyer", "trade-show-flyer", "USD")
    page = client.get(f"/campaigns/{campaign.pk}/").content.decode()
    assert '<a href="https://crm.example.com/go/trade-show-flyer" id="vanity-url">' in page
    qr = client.get(f"/campaigns/{campaign.pk}/qr.svg")
    assert qr["Content-Type"] == "image/svg+xml"
    assert qr.content.startswith(b"<svg")
    assert b"<title>Trade show flyer</title>" in qr.content


@pytest.mark.django_db
def test_deal_form_creates_the_deal_with_its_contact_role(record, client_for, pipeline, users):
    from plumbline.crm.models import Deal

    response = client_for("rep1").post("/deals/new/", {
        "name": "Acme renewal", "pipeline": pipeline.pk, "amount": "2500", "currency": "eur",
        "company": "acme.com", "contact": "JANE@acme.com", "role": "economic_buyer",
    })
    deal = Deal.objects.get(name="Acme renewal")
    assert response.status_code == 302
    assert (deal.stage.name, deal.currency, deal.owner, deal.company) == ("Discovery", "EUR", users["rep1"],
                                                                          record.company)
    assert list(deal.deal_contacts.values_list("contact__email", "role")) == [("jane@acme.com", "economic_buyer")]


@pytest.mark.django_db
def test_deal_form_with_unknown_contact_is_refused_inline(record, client_for, pipeline):
    from plumbline.crm.models import Deal

    response = client_for("rep1").post("/deals/new/", {
        "name": "Ghost deal", "pipeline": pipeline.pk, "amount": "1", "currency": "USD", "contact": "ghost@nowhere.io",
        "role": "champion",
    })
    assert response.status_code == 400
    assert "No contact with email ghost@nowhere.io." in field_error(response.content.decode(), "contact")
    assert not Deal.objects.filter(name="Ghost deal").exists()


@pytest.mark.django_db
def test_company_created_through_the_form_adopts_contacts_at_its_domain(db, users, client_for):
    from plumbline.crm.actions import do_create_contact

    contact = do_create_contact(email="ann@initech.com")
    response = client_for("manager").post("/companies/new/", {"name": " Initech ", "domain": "https://www.Initech.com",
                                                              "country": "us", "employee_count": "40"})
    company = Company.objects.get()
    contact.refresh_from_db()
    assert response.status_code == 302
    assert (company.name, company.domain, company.country, company.employee_count) == ("Initech", "initech.com",
                                                                                       "US", 40)
    assert contact.company_id == company.pk
