"""A form submission, checked and then written in one transaction: the contact (through crm's actions; blanks
never overwrite known values), its company and custom fields, the Submission, a `form_submit` touchpoint
(through marketing's actions), the consent from its checkboxes (through consent's actions, email marketing with
double opt-in), the visitor's anonymous history stitched (tracking), `form.submitted` on the feed and the form
owner told. A guided flow's last step adds its answers, its result and, for "talk to sales", a hand-raiser."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from plumbline.accounts.actions import do_notify
from plumbline.consent.actions import do_record_consent, do_request_opt_in
from plumbline.consent.queries import subscription_types
from plumbline.core.errors import DomainError, ValidationFailed
from plumbline.crm.actions import do_create_company, do_create_contact, do_update_contact
from plumbline.crm.models import Company, Contact
from plumbline.events.actions import emit
from plumbline.marketing.actions import do_record_touchpoint
from plumbline.marketing.models import Campaign, Channel, TouchpointKind
from plumbline.playbook.models import MessagingItem
from plumbline.scoring.models import ContactScore
from plumbline.tracking.actions import do_identify
from plumbline.webforms import spam
from plumbline.webforms.fields import COMPANY_TARGET, clean_answer
from plumbline.webforms.flows import Result, choose_result, parse_definition, path_answers
from plumbline.webforms.models import FieldType, Flow, FlowAnswer, Form, FormField, Submission
from plumbline.webforms.queries import fields_to_ask

UTM_KEYS = ("utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term")
# Without a campaign, the UTM medium (or source) names the touchpoint's channel; anything else is direct.
MEDIUM_CHANNELS = {
    "email": Channel.EMAIL, "newsletter": Channel.EMAIL, "cpc": Channel.PAID_SEARCH, "ppc": Channel.PAID_SEARCH,
    "paid_search": Channel.PAID_SEARCH, "paid_social": Channel.PAID_SOCIAL, "social": Channel.ORGANIC_SOCIAL,
    "organic_social": Channel.ORGANIC_SOCIAL, "referral": Channel.REFERRAL, "partner": Channel.PARTNER,
    "print": Channel.PRINT, "qr": Channel.PRINT, "video": Channel.VIDEO, "webinar": Channel.WEBINAR,
    "event": Channel.EVENT, "organic": Channel.SEO, "seo": Channel.SEO,
}


@dataclass
class Visit:
    """Where a submission comes from: the visitor id, the page, its UTM parameters, the hashed address."""

    visitor_id: str = ""
    page_url: str = ""
    utm: dict[str, str] = field(default_factory=dict)
    ip_hash: str = ""
    ip: str = ""  # only handed to the consent ledger, which keeps its own keyed hash of it; never stored here


@dataclass
class Outcome:
    submission: Submission
    contact: Contact
    replayed: bool = False
    result: Result | None = None
    content: list[MessagingItem] = field(default_factory=list)


def _answers(form: Form, asked: list[FormField], data: dict[str, Any], visit: Visit,
             known: Contact | None) -> dict[str, Any]:
    """Each asked field's clean value, or ValidationFailed with one error per bad field (named by its key)."""
    answers: dict[str, Any] = {}
    errors: list[DomainError] = []
    for f in asked:
        raw = data.get(f.key)
        if f.type == FieldType.HIDDEN and raw in (None, ""):
            raw = visit.visitor_id if f.hidden_source == "visitor_id" else (
                visit.page_url if f.hidden_source == "page_url" else visit.utm.get(f.hidden_source, ""))
        try:
            value = clean_answer(f, raw)
        except ValueError as exc:
            errors.append(DomainError(f"{f.label} {exc}.", field=f.key))
            continue
        needs = f.required and not (f.maps_to == "contact.email" and known is not None)
        if needs and value in (None, False):
            errors.append(DomainError(f"{f.label} is required.", field=f.key, code="required"))
        answers[f.key] = value
    if errors:
        raise ValidationFailed(errors)
    return answers


def _mapped(asked: list[FormField], answers: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any], str]:
    """Non-blank answers by destination: contact fields, custom fields, the company name."""
    contact: dict[str, Any] = {}
    custom: dict[str, Any] = {}
    company = ""
    for f in asked:
        value = answers.get(f.key)
        if value in (None, "") or not f.maps_to or f.type == FieldType.CONSENT:
            continue
        if f.maps_to == COMPANY_TARGET:
            company = str(value)
        elif f.maps_to.startswith("custom."):
            custom[f.maps_to[7:]] = value
        else:
            contact[f.maps_to[8:]] = value
    return contact, custom, company


def _upsert_contact(values: dict[str, Any], custom: dict[str, Any], known: Contact | None) -> Contact:
    """Create the contact, or fill in and correct the one its email (or the known-visitor token) names: a blank
    answer never reaches the contact, so known values stay."""
    email = values.get("email")
    contact = Contact.objects.filter(email=email).first() if email else known
    if contact is None:
        return do_create_contact(by=None, transition_source="form", source="form", custom=custom, **values)
    changes = {k: v for k, v in values.items() if getattr(contact, k) != v}
    changes.pop("email", None)
    if custom:
        changes["custom"] = custom
    return do_update_contact(by=None, contact=contact, changes=changes) if changes else contact


def _link_company(contact: Contact, name: str) -> None:
    if not name or contact.company_id:
        return
    company = Company.objects.filter(name__iexact=name).order_by("pk").first()
    if company is None:
        company = do_create_company(by=None, name=name)
    do_update_contact(by=None, contact=contact, changes={"company": company})


def _campaign(form: Form, utm: dict[str, str]) -> Campaign | None:
    key = utm.get("utm_campaign", "")
    found = Campaign.objects.filter(utm_campaign=key).first() if key else None
    return found or form.campaign


def _touchpoint(contact: Contact, form_name: str, campaign: Campaign | None, utm: dict[str, str], kind: str,
                at: dt.datetime) -> None:
    medium = utm.get("utm_medium", "").lower() or utm.get("utm_source", "").lower()
    channel = campaign.channel if campaign else MEDIUM_CHANNELS.get(medium, Channel.DIRECT)
    do_record_touchpoint(
        by=None, contact_id=contact.pk, campaign_id=campaign.pk if campaign else None, channel=channel, kind=kind,
        source=utm.get("utm_source", "")[:100], medium=utm.get("utm_medium", "")[:100],
        utm_campaign=utm.get("utm_campaign", "")[:100], utm_content=utm.get("utm_content", "")[:200],
        utm_term=utm.get("utm_term", "")[:200], content=form_name[:300], occurred_at=at,
    )


def _consent(contact: Contact, form: Form, asked: list[FormField], answers: dict[str, Any], visit: Visit,
             at: dt.datetime) -> None:
    """A ticked consent box asks for that subscription (email: a confirmation mail first, double opt-in); an
    unticked box records nothing (it is no withdrawal)."""
    types = {t.code: t for t in subscription_types()}
    for f in asked:
        if f.type != FieldType.CONSENT or not answers.get(f.key) or f.subscription not in types:
            continue
        proof = {"form": form.slug, "form_name": form.name, "field": f.key, "text": f.label, "ip": visit.ip,
                 "page_url": visit.page_url, "at": at.isoformat()}
        sub = types[f.subscription]
        if sub.channel == "email" and sub.double_opt_in:
            do_request_opt_in(contact=contact, subscription=f.subscription, source="form", proof=proof,
                              at=at)
        else:
            do_record_consent(contact=contact, channel=sub.channel, subscription=f.subscription, granted=True,
                              basis="consent", source="form", proof=proof, at=at)


def _notify(form: Form, contact: Contact) -> None:
    if form.notify_id is None or not form.notify.is_active:
        return
    do_notify(user=form.notify, kind="form.submitted", message=f"{contact} submitted the form {form.name}.",
              url=reverse("contact_detail", args=[contact.pk]), email=True)


def recommended_content(result: Result) -> list[MessagingItem]:
    """Content assets from the messaging library for the result's funnel stage and persona (or for any)."""
    qs = MessagingItem.objects.filter(kind=MessagingItem.Kind.CONTENT_ASSET)
    if result.funnel_stage:
        qs = qs.filter(funnel_stage__in=[result.funnel_stage, ""])
    if result.persona_id:
        qs = qs.filter(persona_id__in=[result.persona_id]) | qs.filter(persona__isnull=True)
    return list(qs.order_by("-funnel_stage", "title")[:5])


def _replay(form: Form, key: str | None) -> Submission | None:
    if not key:
        return None
    return Submission.objects.filter(form=form, idempotency_key=key).select_related("contact").first()


def do_submit_form(
    *, form: Form, data: dict[str, Any], visit: Visit | None = None, known: Contact | None = None,
    idempotency_key: str | None = None, at: dt.datetime | None = None, flow: Flow | None = None,
    flow_answers: dict[str, str] | None = None,
) -> Outcome:
    """Check a submission (honeypot, proof of work, fields) and write it in one transaction, or raise (a
    DomainError with field and reason, nothing written). The same `idempotency_key` again answers the first
    submission without writing; the same proof of work again is refused."""
    visit = visit or Visit()
    first = _replay(form, idempotency_key)
    if first is not None:
        return Outcome(first, first.contact, replayed=True)
    if not form.is_active:
        raise DomainError("This form no longer takes submissions.", code="inactive")
    spam.check_honeypot(data)
    challenge = spam.check_proof_of_work(str(data.get(spam.POW_FIELD) or ""))
    defn = parse_definition(flow.definition) if flow is not None else None
    flow_path = path_answers(defn, flow_answers or {}) if defn is not None else {}
    asked = fields_to_ask(form, known)
    answers = _answers(form, asked, data, visit, known)
    at = at or timezone.now()
    try:
        return _write(form, asked, answers, visit, known, idempotency_key, at, challenge, flow, flow_path)
    except IntegrityError:
        first = _replay(form, idempotency_key)
        if first is None:
            raise
        return Outcome(first, first.contact, replayed=True)


@transaction.atomic
def _write(form: Form, asked: list[FormField], answers: dict[str, Any], visit: Visit, known: Contact | None,
           key: str | None, at: dt.datetime, challenge: str, flow: Flow | None,
           flow_path: dict[str, str]) -> Outcome:
    spam.spend_challenge(challenge, at=at)
    values, custom, company = _mapped(asked, answers)
    contact = _upsert_contact(values, custom, known)
    _link_company(contact, company)
    submission = Submission.objects.create(
        form=form, contact=contact, answers=answers, visitor_id=visit.visitor_id[:64], utm=visit.utm,
        page_url=visit.page_url[:500], ip_hash=visit.ip_hash, submitted_at=at, idempotency_key=key or None,
    )
    campaign = _campaign(form, visit.utm)
    _touchpoint(contact, f"Form: {form.name}", campaign, visit.utm, TouchpointKind.FORM_SUBMIT, at)
    _consent(contact, form, asked, answers, visit, at)
    if visit.visitor_id:
        do_identify(visitor_id=visit.visitor_id, contact=contact, source="form", at=at)
    emit(kind="form.submitted", subject=("submission", submission.pk), occurred_at=at, payload={
        "form_id": form.pk, "contact_id": contact.pk, "campaign_id": campaign.pk if campaign else None})
    outcome = Outcome(submission, contact)
    if flow is not None:
        outcome.result, outcome.content = _finish_flow(flow, contact, submission, flow_path, campaign, visit, at)
    _notify(form, contact)
    return outcome


def _finish_flow(flow: Flow, contact: Contact, submission: Submission, answers: dict[str, str],
                 campaign: Campaign | None, visit: Visit, at: dt.datetime) -> tuple[Result, list[MessagingItem]]:
    """The flow's result for these answers and the contact's fit; "talk to sales" records a `demo_request` (the
    MQL rule's hand-raiser clause then qualifies the contact through the feed)."""
    grade = ContactScore.objects.filter(contact=contact).values_list("fit_grade", flat=True).first()
    result = choose_result(parse_definition(flow.definition), answers, grade)
    FlowAnswer.objects.create(flow=flow, contact=contact, submission=submission, answers=answers, result=result.key,
                              answered_at=at)
    if result.kind == "sales":
        _touchpoint(contact, f"Guided flow: {flow.name}", campaign, visit.utm, TouchpointKind.DEMO_REQUEST, at)
    emit(kind="flow.completed", subject=("flow", flow.pk), occurred_at=at, payload={
        "contact_id": contact.pk, "result": result.key, "kind": result.kind, "submission_id": submission.pk})
    return result, recommended_content(result) if result.kind == "content" else []
