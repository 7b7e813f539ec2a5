"""Staff pages of consent: the consent panel on the contact page, a contact's whole ledger with a form to record
a change, the erase and export buttons (admins), and the subscription types (list, create, edit)."""

from __future__ import annotations

import json

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string

from plumbline.consent import queries
from plumbline.consent.actions import (
    do_create_subscription_type,
    do_record_consent,
    do_update_subscription_type,
)
from plumbline.consent.forms import RecordConsentForm, SubscriptionTypeForm
from plumbline.consent.links import preferences_url
from plumbline.consent.models import Source, SubscriptionType
from plumbline.core.forms import form_status, run_action
from plumbline.core.pages import page
from plumbline.core.permissions import can
from plumbline.crm.actions import do_erase_contact
from plumbline.crm.models import Contact
from plumbline.crm.privacy import privacy_export

LEDGER_PAGE = 50
TYPES_PAGE = 50


def contact_panel(request: HttpRequest, contact: Contact) -> str:
    """The consent panel of the contact page (registered in crm.hooks)."""
    if not can(request.user, "view", "consent"):
        return ""
    return render_to_string("consent/_panel.html", {
        "contact": contact, "states": queries.current_consent(contact), "channels": queries.channel_states(contact),
        "can_privacy": can(request.user, "delete", "privacy"),
    }, request=request)


def _context(request: HttpRequest, contact: Contact, form: RecordConsentForm | None = None) -> dict:
    entries = Paginator(queries.ledger(contact), LEDGER_PAGE).get_page(request.GET.get("page"))
    return {
        "contact": contact, "states": queries.current_consent(contact), "page_obj": entries,
        "channels": queries.channel_states(contact),
        "form": form or RecordConsentForm(), "can_record": can(request.user, "change", "consent"),
        "can_privacy": can(request.user, "delete", "privacy"),
        "preferences_url": preferences_url(contact.pk) if can(request.user, "change", "consent") else "",
    }


@page("consent", methods=("GET", "POST"))
def contact_consent(request: HttpRequest, pk: int) -> HttpResponse:
    contact = get_object_or_404(Contact, pk=pk)
    form = None
    if request.method == "POST":
        form = RecordConsentForm(request.POST)
        data = form.cleaned_data if form.is_valid() else None
        if data is not None and run_action(
            form, do_record_consent, by=request.user, contact=contact, channel=data["channel"],
            subscription=data["subscription"] or None, granted=data["granted"], basis=data["basis"],
            source=Source.ADMIN, proof={"note": data["note"]} if data["note"] else {},
        ):
            messages.success(request, "Consent recorded.")
            return redirect("consent:contact", pk=contact.pk)
        return render(request, "consent/contact.html", _context(request, contact, form), status=form_status(form))
    return render(request, "consent/contact.html", _context(request, contact))


@page("privacy", action="delete", methods=("GET", "POST"))
def contact_erase(request: HttpRequest, pk: int) -> HttpResponse:
    """The erase button's confirmation page; the POST erases."""
    contact = get_object_or_404(Contact, pk=pk)
    if request.method == "POST" and request.POST.get("confirm") == "erase":
        record = do_erase_contact(by=request.user, contact=contact)
        messages.success(request, f"Contact {record.contact_id} is erased: its personal data is gone, its history "
                                  "is kept anonymised.")
        return redirect("contact_detail", pk=contact.pk)
    return render(request, "consent/erase.html", {"contact": contact})


@page("privacy", action="delete")
def contact_export(request: HttpRequest, pk: int) -> HttpResponse:
    contact = get_object_or_404(Contact, pk=pk)
    body = json.dumps(privacy_export(contact), indent=2, ensure_ascii=False)
    response = HttpResponse(body, content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="contact-{contact.pk}-export.json"'
    return response


@page("subscription_type")
def type_list(request: HttpRequest) -> HttpResponse:
    listing = Paginator(queries.subscription_types(include_inactive=True), TYPES_PAGE)
    return render(request, "consent/type_list.html", {
        "page_obj": listing.get_page(request.GET.get("page")), "can_add": can(request.user, "add", "subscription_type"),
    })


def _type_fields(form: SubscriptionTypeForm) -> dict:
    return {k: form.cleaned_data[k] for k in ("code", "label", "description", "channel", "double_opt_in", "active",
                                               "position")}


@page("subscription_type", action="add", methods=("GET", "POST"))
def type_create(request: HttpRequest) -> HttpResponse:
    form = SubscriptionTypeForm(request.POST or None)
    if request.method == "POST" and form.is_valid() and run_action(
        form, do_create_subscription_type, by=request.user, **_type_fields(form)
    ):
        messages.success(request, "Subscription type created.")
        return redirect("consent:type_list")
    status = form_status(form) if form.errors else 200
    return render(request, "consent/type_form.html", {"form": form}, status=status)


@page("subscription_type", action="change", methods=("GET", "POST"))
def type_edit(request: HttpRequest, pk: int) -> HttpResponse:
    sub = get_object_or_404(SubscriptionType, pk=pk)
    initial = {k: getattr(sub, k) for k in ("code", "label", "description", "channel", "double_opt_in", "active",
                                            "position")}
    form = SubscriptionTypeForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid() and run_action(
        form, do_update_subscription_type, by=request.user, subscription=sub, changes=_type_fields(form)
    ):
        messages.success(request, "Subscription type saved.")
        return redirect("consent:type_list")
    status = form_status(form) if form.errors else 200
    return render(request, "consent/type_form.html", {"form": form, "subscription": sub}, status=status)
