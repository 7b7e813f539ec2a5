"""Companies: list, company page with its contacts, deals and timeline, create, edit and delete."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db.models import Q
from django.db.models.functions import Lower
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from plumbline.core.forms import form_status, run_action
from plumbline.core.pages import int_param, page, refuse
from plumbline.core.permissions import can
from plumbline.crm import queries
from plumbline.crm.actions import do_create_company, do_delete_company, do_update_company
from plumbline.crm.forms import ActivityForm, CompanyForm
from plumbline.crm.models import Company
from plumbline.crm.views.deletion import confirm_delete, counted

PAGE_SIZE = 50
FIELDS = ("name", "domain", "industry", "employee_count", "annual_revenue", "country", "owner")


@page("company")
def company_list(request: HttpRequest) -> HttpResponse:
    """Companies newest first; `q` is a name or domain prefix (both indexed)."""
    q = " ".join(request.GET.get("q", "").lower().split())[:100]
    qs = queries.companies()
    if q:
        qs = qs.alias(name_lower=Lower("name")).filter(Q(name_lower__startswith=q) | Q(domain__startswith=q))
    rows, next_after = queries.keyset_page(qs, after=int_param(request.GET.get("after")), size=PAGE_SIZE)
    return render(request, "crm/company_list.html", {"companies": rows, "next_after": next_after, "q": q})


def _save(form: CompanyForm, *, by: Any, company: Company | None) -> Company | None:
    if not form.is_valid():
        return None
    fields = {k: form.cleaned_data[k] for k in FIELDS}
    fields["custom"] = form.custom_values()
    if company is None:
        return run_action(form, do_create_company, by=by, **fields)
    return run_action(form, do_update_company, by=by, company=company, changes=fields)


@page("company", action="add", methods=("GET", "POST"))
def company_create(request: HttpRequest) -> HttpResponse:
    form = CompanyForm(request.POST or None)
    if request.method == "POST":
        company = _save(form, by=request.user, company=None)
        if company is not None:
            messages.success(request, f"Company {company} created.")
            return redirect("company_detail", pk=company.pk)
    status = form_status(form) if form.is_bound else 200
    return render(request, "crm/company_form.html", {"form": form, "company": None}, status=status)


@page("company", methods=("GET", "POST"))
def company_edit(request: HttpRequest, pk: int) -> HttpResponse:
    company = get_object_or_404(queries.companies(), pk=pk)
    if not can(request.user, "change", "company", company):
        return refuse(request, "change", "company")
    initial = {f: getattr(company, f) for f in FIELDS if f != "owner"} | {"owner": company.owner_id}
    form = CompanyForm(request.POST or None, initial=initial, custom=company.custom)
    if request.method == "POST" and _save(form, by=request.user, company=company) is not None:
        messages.success(request, "Company saved.")
        return redirect("company_detail", pk=company.pk)
    status = form_status(form) if form.is_bound else 200
    return render(request, "crm/company_form.html", {"form": form, "company": company}, status=status)


@page("company", action="delete", methods=("GET", "POST"))
def company_delete(request: HttpRequest, pk: int) -> HttpResponse:
    company = get_object_or_404(queries.companies(), pk=pk)

    def consequences() -> list[str]:
        contacts, deals, activities = company.contacts.count(), company.deals.count(), company.activities.count()
        return [
            f"Its {counted(contacts, 'contact', 'contacts')} and {counted(deals, 'deal', 'deals')} stay, "
            "without a company.",
            f"Deleted with it: {counted(activities, 'logged activity', 'logged activities')}.",
        ]

    return confirm_delete(
        request, obj=company, resource="company", action=do_delete_company,
        cancel_url=reverse("company_detail", args=[company.pk]), done_url=reverse("company_list"),
        consequences=consequences,
    )


def company_context(request: HttpRequest, company: Company, **forms: Any) -> dict[str, Any]:
    entries = queries.timeline(company=company, before=queries.parse_before(request.GET.get("before")))
    contacts, more_contacts = queries.keyset_page(queries.contacts().filter(company=company), after=None, size=25)
    return {
        "company": company,
        "can_change": can(request.user, "change", "company", company),
        "can_delete": can(request.user, "delete", "company", company),
        "can_log": can(request.user, "add", "activity"),
        "contacts": contacts,
        "more_contacts": more_contacts is not None,
        "deals": list(queries.deals().filter(company=company).order_by("-updated_at")[:50]),
        "timeline": entries,
        "older": queries.next_cursor(entries, queries.TIMELINE_PAGE),
        "activity_form": forms.get("activity_form") or ActivityForm(),
        "custom": queries.custom_values("company", company.custom),
        "log_url": reverse("company_log", args=[company.pk]),
    }


@page("company")
def company_detail(request: HttpRequest, pk: int) -> HttpResponse:
    company = get_object_or_404(queries.companies(), pk=pk)
    return render(request, "crm/company_detail.html", company_context(request, company))
