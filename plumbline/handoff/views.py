"""Pages: the rep's queue with SLA countdowns and one-click decisions; the lead-quality report."""

from __future__ import annotations

import csv
import datetime as dt

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_date

from plumbline.core.charts import Series, stacked_bars
from plumbline.core.forms import run_action
from plumbline.core.pages import page
from plumbline.definitions.labels import label
from plumbline.handoff.actions import do_accept_lead, do_reject_lead
from plumbline.handoff.backlog import WAIT_REASONS, backlog, wait_reason, waiting_by_reason, waiting_leads
from plumbline.handoff.forms import RejectForm
from plumbline.handoff.models import Assignment
from plumbline.handoff.queries import GROUPINGS, can_decide, lead_quality, queue, sla_status


@page("contact")
def queue_page(request: HttpRequest) -> HttpResponse:
    """A rep sees their own leads; managers, admins and marketing can switch to everyone's."""
    everyone = request.GET.get("who") == "all" and request.user.role != "sales"
    rows = [(a, sla_status(a), can_decide(request.user, a)) for a in queue(None if everyone else request.user)[:200]]
    return render(request, "handoff/queue.html", {
        "rows": rows, "everyone": everyone, "reject_form": RejectForm(), "now": timezone.now(),
    })


def _assignment(pk: int) -> Assignment:
    return get_object_or_404(Assignment.objects.select_related("contact", "rep"), pk=pk)


@page("contact", action="change", methods=("POST",))
def accept(request: HttpRequest, pk: int) -> HttpResponse:
    a = _assignment(pk)
    form = RejectForm()
    if run_action(form, do_accept_lead, by=request.user, assignment=a) is not None:
        messages.success(request, f"Accepted {a.contact}: now a sales accepted lead.")
    else:
        messages.error(request, " ".join(form.non_field_errors()) or "Could not accept this lead.")
    return redirect("handoff_queue")


@page("contact", action="change", methods=("POST",))
def reject(request: HttpRequest, pk: int) -> HttpResponse:
    a = _assignment(pk)
    form = RejectForm(request.POST)
    if form.is_valid() and run_action(form, do_reject_lead, by=request.user, assignment=a,
                                      reason=form.cleaned_data["reason"], note=form.cleaned_data["note"]):
        messages.success(request, f"Rejected {a.contact}; it is back in nurture and marketing has been told.")
        return redirect("handoff_queue")
    errors = [str(e) for errs in form.errors.values() for e in errs]
    messages.error(request, "Could not reject: " + " ".join(errors))
    return redirect("handoff_queue")


def _date(value: str | None) -> dt.datetime | None:
    day = parse_date(value or "") if value else None
    return dt.datetime.combine(day, dt.time(0), tzinfo=dt.UTC) if day else None


@page("contact")
def lead_quality_page(request: HttpRequest) -> HttpResponse:
    group_by = request.GET.get("group_by", "campaign")
    if group_by not in GROUPINGS:
        group_by = "campaign"
    since, until = _date(request.GET.get("since")), _date(request.GET.get("until"))
    rows = lead_quality(group_by=group_by, since=since, until=until)
    if request.GET.get("format") == "csv":
        response = HttpResponse(content_type="text/csv")
        response["Content-Disposition"] = f'attachment; filename="lead-quality-by-{group_by}.csv"'
        writer = csv.writer(response)
        writer.writerow([group_by, "mqls", "accepted", "rejected", "open", "sql", "won", "acceptance_rate",
                         "rejected_by_reason"])
        for r in rows:
            reasons = "; ".join(f"{k}={v}" for k, v in sorted(r["rejected_by_reason"].items()))
            writer.writerow([r["group"], r["mqls"], r["accepted"], r["rejected"],
                             r["waiting"], r["sql"], r["won"],
                             "" if r["acceptance_rate"] is None else r["acceptance_rate"], reasons])
        return response
    chart = stacked_bars(
        [label(r["group"], "channel") if group_by == "channel" else r["group"] for r in rows],
        [Series("Accepted", [r["accepted"] for r in rows]), Series("Rejected", [r["rejected"] for r in rows]),
         Series("Waiting", [r["waiting"] for r in rows])],
        title=f"MQL outcomes by {group_by}",
    )
    return render(request, "handoff/lead_quality.html", {
        "rows": rows, "chart": chart, "group_by": group_by, "groupings": list(GROUPINGS),
        "since": request.GET.get("since", ""), "until": request.GET.get("until", ""),
    })


@page("contact")
def contact_panel(request: HttpRequest, pk: int) -> HttpResponse:
    """The handoff card on a contact page (loaded by HTMX): who has the lead, why, and its SLA clock."""
    assignments = list(Assignment.objects.filter(contact_id=pk).select_related("rep", "campaign")[:5])
    rows = [(a, sla_status(a)) for a in assignments]
    current = next(((a, s) for a, s in rows if a.status == Assignment.Status.OPEN), None)
    return render(request, "handoff/_contact_panel.html", {"rows": rows, "current": current, "now": timezone.now()})


@page("contact")
def backlog_card(request: HttpRequest) -> HttpResponse:
    """The home page's handoff card (loaded by HTMX): every MQL is in a rep's queue or waiting, with the reason."""
    return render(request, "handoff/_backlog.html", {
        "backlog": backlog(),
        "by_reason": [(WAIT_REASONS[code], n) for code, n in waiting_by_reason().items() if n],
    })


WAITING_PAGE = 50


@page("contact")
def waiting_page(request: HttpRequest) -> HttpResponse:
    """MQLs no rep could take yet, the longest-waiting first, each with the reason, 50 to a page."""
    pages = Paginator(waiting_leads(), WAITING_PAGE)
    current = pages.get_page(request.GET.get("page"))
    rows = [(c, WAIT_REASONS[wait_reason(c)]) for c in current.object_list]
    by_reason = [(WAIT_REASONS[code], n) for code, n in waiting_by_reason().items() if n]
    return render(request, "handoff/waiting.html", {"rows": rows, "page": current, "by_reason": by_reason})
