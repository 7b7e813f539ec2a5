"""Reads of forms, submissions, landing pages and flows; who the visitor is, for progressive profiling."""

from __future__ import annotations

from typing import Any

from django.core import signing
from django.db.models import Count, F, QuerySet

from plumbline.crm.models import Contact
from plumbline.tracking.queries import contact_id_of_visitor
from plumbline.webforms.fields import COMPANY_TARGET
from plumbline.webforms.models import FieldType, Flow, FlowAnswer, Form, FormField, LandingPage, Submission

KNOWN_SALT = "plumbline.webforms.known-contact"
KNOWN_MAX_AGE = 90 * 24 * 3600


def forms_with_counts() -> QuerySet[Form]:
    return Form.objects.select_related("campaign").annotate(submission_count=Count("submissions")).order_by("name")


def submissions(form: Form) -> QuerySet[Submission]:
    return Submission.objects.filter(form=form).select_related("contact").order_by("-submitted_at", "-pk")


def landing_pages() -> QuerySet[LandingPage]:
    return LandingPage.objects.select_related("campaign", "form").order_by("headline")


def flows() -> QuerySet[Flow]:
    return Flow.objects.select_related("form").order_by("name")


def public_form(slug: str) -> Form | None:
    return Form.objects.filter(slug=slug, is_active=True).select_related("campaign").first()


def public_flow(slug: str) -> Flow | None:
    return Flow.objects.filter(slug=slug, is_active=True).select_related("form").first()


# --- who the visitor is ----------------------------------------------------------------------------------


def known_contact_token(contact: Contact) -> str:
    """A signed token naming the contact (in links of our emails): the form then asks only what is unknown."""
    return signing.dumps(contact.pk, salt=KNOWN_SALT, compress=True)


def contact_from_token(token: str | None) -> Contact | None:
    if not token:
        return None
    try:
        pk = signing.loads(token, salt=KNOWN_SALT, max_age=KNOWN_MAX_AGE)
    except signing.BadSignature:
        return None
    return Contact.objects.filter(pk=pk).select_related("company").first()


def contact_of_visitor(visitor_id: str) -> Contact | None:
    """The contact a visitor id was stitched to (tracking's identity), if any."""
    contact_id = contact_id_of_visitor(visitor_id)
    return Contact.objects.filter(pk=contact_id).select_related("company").first() if contact_id else None


def known_value(contact: Contact, maps_to: str) -> Any:
    """The contact's current value of a mapped field (None/blank when unknown)."""
    if maps_to == COMPANY_TARGET:
        return contact.company.name if contact.company_id else None
    if maps_to.startswith("custom."):
        return (contact.custom or {}).get(maps_to[7:])
    if maps_to.startswith("contact."):
        return getattr(contact, maps_to[8:], None)
    return None


def fields_to_ask(form: Form, contact: Contact | None) -> list[FormField]:
    """Progressive profiling: for a known contact, the fields whose value is not known yet, at most
    `profiling_max_fields` of the visible ones (hidden and consent fields are always there); everyone else, and
    every form without profiling, gets every field."""
    fields = list(form.fields.all())
    if contact is None or not form.profiling_max_fields:
        return fields
    asked, visible = [], 0
    for field in fields:
        if field.type in (FieldType.HIDDEN, FieldType.CONSENT):
            asked.append(field)
        elif field.maps_to and known_value(contact, field.maps_to) not in (None, ""):
            continue
        elif visible < form.profiling_max_fields:
            asked.append(field)
            visible += 1
    return asked


# --- the contact page -----------------------------------------------------------------------------------


def timeline_submissions(*, contact: Any, company: Any, deal: Any) -> QuerySet | None:
    if contact is None:
        return None
    return (Submission.objects.filter(contact=contact).select_related("form").prefetch_related("form__fields")
            .alias(occurred_at=F("submitted_at")))


def timeline_flow_answers(*, contact: Any, company: Any, deal: Any) -> QuerySet | None:
    if contact is None:
        return None
    return FlowAnswer.objects.filter(contact=contact).select_related("flow").alias(occurred_at=F("answered_at"))
