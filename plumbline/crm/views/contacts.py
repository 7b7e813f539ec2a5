"""Contacts: the searchable list, the contact page with its timeline, create/edit/delete and lifecycle moves."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.safestring import mark_safe

from plumbline.accounts.models import User
from plumbline.core.errors import DomainError
from plumbline.core.forms import attach_errors, form_status, run_action
from plumbline.core.pages import int_param, page, refuse
from plumbline.core.permissions import can
from plumbline.crm import queries
from plumbline.crm.actions import do_change_lifecycle, do_create_contact, do_delete_contact, do_update_contact
from plumbline.crm.forms import ActivityForm, ContactForm, LifecycleForm, company_choice
from plumbline.crm.hooks import contact_panels
from plumbline.crm.lifecycle import allowed_moves
from plumbline.crm.models import Company, Contact, LifecycleStage
from plumbline.crm.views.deletion import confirm_delete, counted

PAGE_SIZE = 50


def _filters(request: HttpRequest) -> dict[str, Any]:
    stage = request.GET.get("stage", "")
    return {
        "q": request.GET.get("q", "").strip()[:100],
        "lifecycle_stage": stage if stage in LifecycleStage.values else None,
        "owner_id": int_param(request.GET.get("owner")),
        "company_id": int_param(request.GET.get("company")),
    }


@page("contact")
def contact_list(request: HttpRequest) -> HttpResponse:
    """Search and filter contacts, 50 at a time by keyset; HTMX requests get only the rows."""
    filters = _filters(request)
    qs = queries.filter_contacts(queries.contacts(), **filters)
    rows, next_after = queries.keyset_page(qs, after=int_param(request.GET.get("after")), size=PAGE_SIZE)
    params = request.GET.copy()
    params.pop("after", None)
    ctx = {
        "contacts": rows,
        "next_after": next_after,
        "query": params.urlencode(),
        "filters": filters,
        "appending": "after" in request.GET,
    }
    if request.headers.get("HX-Request"):
        return render(request, "crm/_contact_rows.html", ctx)
    ctx.update(
        stages=LifecycleStage.choices,
        owners=User.objects.filter(is_active=True).order_by("first_name", "username"),
        company=Company.objects.filter(pk=filters["company_id"]).first() if filters["company_id"] else None,
    )
    return render(request, "crm/contact_list.html", ctx)


def _save_contact(form: ContactForm, *, by: Any, contact: Contact | None) -> Contact | None:
    if not form.is_valid():
        return None
    data = dict(form.cleaned_data)
    try:
        data["company"] = company_choice(data.get("company", ""), queries.find_company)
    except DomainError as exc:
        attach_errors(form, exc)
        return None
    fields = {k: data[k] for k in ("email", "first_name", "last_name", "title", "phone", "company", "owner",
                                   "source", "consent_status")}
    fields["custom"] = form.custom_values()
    if contact is None:
        return run_action(form, do_create_contact, by=by, lifecycle_stage=data["lifecycle_stage"], **fields)
    return run_action(form, do_update_contact, by=by, contact=contact, changes=fields)


@page("contact", action="add", methods=("GET", "POST"))
def contact_create(request: HttpRequest) -> HttpResponse:
    form = ContactForm(request.POST or None)
    if request.method == "POST":
        contact = _save_contact(form, by=request.user, contact=None)
        if contact is not None:
            messages.success(request, f"Contact {contact} created.")
            return redirect("contact_detail", pk=contact.pk)
    status = form_status(form) if form.is_bound else 200
    return render(request, "crm/contact_form.html", {"form": form, "contact": None}, status=status)


@page("contact", methods=("GET", "POST"))
def contact_edit(request: HttpRequest, pk: int) -> HttpResponse:
    contact = get_object_or_404(queries.contacts(), pk=pk)
    if not can(request.user, "change", "contact", contact):
        return refuse(request, "change", "contact")
    initial = {
        **{f: getattr(contact, f) for f in ("email", "first_name", "last_name", "title", "phone", "source",
                                            "consent_status")},
        "owner": contact.owner_id,
        "company": contact.company.domain or contact.company.name if contact.company else "",
    }
    form = ContactForm(request.POST or None, initial=initial, creating=False, custom=contact.custom)
    if request.method == "POST" and _save_contact(form, by=request.user, contact=contact) is not None:
        messages.success(request, "Contact saved.")
        return redirect("contact_detail", pk=contact.pk)
    status = form_status(form) if form.is_bound else 200
    return render(request, "crm/contact_form.html", {"form": form, "contact": contact}, status=status)


@page("contact", action="delete", methods=("GET", "POST"))
def contact_delete(request: HttpRequest, pk: int) -> HttpResponse:
    contact = get_object_or_404(queries.contacts(), pk=pk)

    def consequences() -> list[str]:
        activities, deals = contact.activities.count(), contact.deal_roles.count()
        return [
            f"Deleted with it: its lifecycle history, {counted(activities, 'logged activity', 'logged activities')}, "
            "touchpoints, scores, lead assignments and objections.",
            f"It is taken off {counted(deals, 'deal', 'deals')}; the deals stay.",
        ]

    return confirm_delete(
        request, obj=contact, resource="contact", action=do_delete_contact,
        cancel_url=reverse("contact_detail", args=[contact.pk]), done_url=reverse("contact_list"),
        consequences=consequences,
    )


def contact_context(request: HttpRequest, contact: Contact, **forms: Any) -> dict[str, Any]:
    """Everything the contact page shows; `forms` replaces a blank form with a bound one that has errors."""
    moves = allowed_moves(contact.lifecycle_stage)
    before = queries.parse_before(request.GET.get("before"))
    entries = queries.contact_timeline(contact, before=before)
    return {
        "contact": contact,
        "can_change": can(request.user, "change", "contact", contact),
        "can_delete": can(request.user, "delete", "contact", contact),
        "merges": list(queries.merges().filter(survivor_id=contact.pk).select_related("by")[:20]),
        "can_log": can(request.user, "add", "activity"),
        "lifecycle_form": forms.get("lifecycle_form") or LifecycleForm(moves=moves),
        "activity_form": forms.get("activity_form") or ActivityForm(),
        "timeline": entries,
        "older": queries.next_cursor(entries, queries.TIMELINE_PAGE),
        "deals": list(queries.deals().filter(deal_contacts__contact=contact).order_by("-updated_at")[:50]),
        "custom": queries.custom_values("contact", contact.custom),
        "log_url": reverse("contact_log", args=[contact.pk]),
        # What the apps above add to the page (crm.hooks): consent's panel; their own HTML, escaped by them.
        "panels": [mark_safe(html) for fn in contact_panels() if (html := fn(request, contact))],  # noqa: S308
    }


@page("contact")
def contact_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A contact's page; the address of one merged into another leads to the one that has its history now."""
    contact = queries.contacts().filter(pk=pk).first()
    if contact is None:
        trail = queries.merged_into(pk)
        if trail is None:
            raise Http404("No contact with this id.")
        merge, survivor = trail
        messages.info(request, f"{merge.merged_email} was merged into {survivor} on {merge.merged_at:%b %-d, %Y}; "
                               "this is the contact that holds its history now.")
        return redirect("contact_detail", pk=survivor.pk)
    return render(request, "crm/contact_detail.html", contact_context(request, contact))


@page("contact", action="change", methods=("POST",))
def contact_lifecycle(request: HttpRequest, pk: int) -> HttpResponse:
    contact = get_object_or_404(queries.contacts(), pk=pk)
    form = LifecycleForm(request.POST, moves=allowed_moves(contact.lifecycle_stage))
    if form.is_valid() and run_action(
        form, do_change_lifecycle, by=request.user, contact=contact, to_stage=form.cleaned_data["to_stage"],
        reason=form.cleaned_data["reason"],
    ):
        messages.success(request, f"Moved to {contact.get_lifecycle_stage_display()}.")
        return redirect("contact_detail", pk=contact.pk)
    ctx = contact_context(request, contact, lifecycle_form=form)
    return render(request, "crm/contact_detail.html", ctx, status=form_status(form))
