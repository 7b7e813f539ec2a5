"""Logging notes, calls, meetings, emails and tasks on a contact, company or deal, and completing tasks."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from plumbline.core.errors import DomainError
from plumbline.core.forms import form_status, run_action
from plumbline.core.pages import page, safe_next
from plumbline.crm import queries
from plumbline.crm.actions import do_complete_task, do_log_activity
from plumbline.crm.forms import ActivityForm
from plumbline.crm.models import Activity


def _log(request: HttpRequest, *, target: str, obj: object, url: str, render_page) -> HttpResponse:  # noqa: ANN001
    form = ActivityForm(request.POST)
    if form.is_valid() and run_action(
        form, do_log_activity, by=request.user, kind=form.cleaned_data["kind"], **{target: obj},
        **form.action_fields(),
    ):
        messages.success(request, f"{form.cleaned_data['kind'].capitalize()} logged.")
        return redirect(url)
    response = render_page(form)
    response.status_code = form_status(form)
    return response


@page("activity", action="add", methods=("POST",))
def contact_log(request: HttpRequest, pk: int) -> HttpResponse:
    from plumbline.crm.views.contacts import contact_context

    contact = get_object_or_404(queries.contacts(), pk=pk)
    return _log(
        request, target="contact", obj=contact, url=reverse("contact_detail", args=[pk]),
        render_page=lambda form: render(request, "crm/contact_detail.html",
                                        contact_context(request, contact, activity_form=form)),
    )


@page("activity", action="add", methods=("POST",))
def company_log(request: HttpRequest, pk: int) -> HttpResponse:
    from plumbline.crm.views.companies import company_context

    company = get_object_or_404(queries.companies(), pk=pk)
    return _log(
        request, target="company", obj=company, url=reverse("company_detail", args=[pk]),
        render_page=lambda form: render(request, "crm/company_detail.html",
                                        company_context(request, company, activity_form=form)),
    )


@page("activity", action="add", methods=("POST",))
def deal_log(request: HttpRequest, pk: int) -> HttpResponse:
    from plumbline.crm.views.deals import deal_context

    deal = get_object_or_404(queries.deals(), pk=pk)
    return _log(
        request, target="deal", obj=deal, url=reverse("deal_detail", args=[pk]),
        render_page=lambda form: render(request, "crm/deal_detail.html",
                                        deal_context(request, deal, activity_form=form)),
    )


@page("activity", action="change", methods=("POST",))
def task_complete(request: HttpRequest, pk: int) -> HttpResponse:
    task = get_object_or_404(Activity, pk=pk)
    try:
        do_complete_task(by=request.user, activity=task)
    except DomainError as exc:
        if exc.status == 403:
            raise
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Task done: {task.subject or task.body[:40]}")
    return redirect(safe_next(request, "/"))
