"""My tasks: the signed-in user's open tasks by due date (overdue, today, upcoming), done and rescheduled here."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from plumbline.core.errors import DomainError
from plumbline.core.pages import page, safe_next
from plumbline.crm import queries
from plumbline.crm.actions.activities import do_reschedule_task
from plumbline.crm.models import Activity


class RescheduleForm(forms.Form):
    due_at = forms.DateTimeField(label="New due date")


@page("activity")
def my_tasks(request: HttpRequest) -> HttpResponse:
    return render(request, "crm/tasks.html", {"sections": queries.task_sections(request.user)})


@page("activity", action="change", methods=("POST",))
def task_reschedule(request: HttpRequest, pk: int) -> HttpResponse:
    task = get_object_or_404(Activity, pk=pk, kind=Activity.Kind.TASK)
    form = RescheduleForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Could not reschedule: give the new due date and time.")
        return redirect(safe_next(request, reverse("my_tasks")))
    try:
        do_reschedule_task(by=request.user, activity=task, due_at=form.cleaned_data["due_at"])
    except DomainError as exc:
        if exc.status == 403:
            raise
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Rescheduled “{task.subject or task.body[:40]}” to "
                                  f"{task.due_at:%a %-d %b %Y, %H:%M}.")
    return redirect(safe_next(request, reverse("my_tasks")))
