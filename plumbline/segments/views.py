"""Segment pages: the list with counts and trends, a segment's page (rule in words, members paged and searchable,
CSV export, entries and exits, refresh, snapshot, delete, a static list's add/remove/import), and the segments
panel of the contact page. Every change goes through segments.actions; GETs only read."""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Page, Paginator
from django.db.models import OuterRef, QuerySet, Subquery
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from plumbline.core.errors import DomainError, PermissionDenied, ValidationFailed
from plumbline.core.pages import forbidden, page, refuse, safe_next
from plumbline.core.permissions import can, denial
from plumbline.crm.models import Contact, LifecycleStage
from plumbline.crm.queries import search_contacts
from plumbline.segments import queries
from plumbline.segments.actions import (
    ListChange,
    do_add_to_list,
    do_delete_segment,
    do_import_list,
    do_remove_from_list,
    do_request_refresh,
    do_snapshot,
)
from plumbline.segments.charts import sparkline, trend_chart
from plumbline.segments.models import Kind, MembershipChange, Segment, SegmentDailyCount
from plumbline.segments.predicate.explain import describe
from plumbline.segments.predicate.schema import PredicateInvalid, custom_specs, parse

SEGMENTS_PER_PAGE = 50
MEMBERS_PER_PAGE = 50
CHANGES_PER_PAGE = 50
RECENT_CHANGES = 10
TREND_DAYS = 30
CANDIDATES = 20
PANEL_HISTORY = 10
PANEL_LISTS = 200
MAX_ADD = 1000  # contacts named in one "add" box; bigger lists go through the CSV import
MAX_IMPORT_BYTES = 20 * 1024 * 1024
MEMBER_COLUMNS = (
    "Email",
    "First name",
    "Last name",
    "Company",
    "Lifecycle stage",
    "Fit grade",
    "Fit score",
    "Engagement score",
    "Member since",
)
_TOKENS = re.compile(r"[\s,;]+")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


# --- the list ----------------------------------------------------------------------------------------------


def trends(
    segments: list[Segment], *, days: int = TREND_DAYS, today: dt.date | None = None
) -> dict[int, list[tuple[dt.date, int]]]:
    """queries.trend for a page of segments at once (one query): each segment's `count_before` annotation is its
    last count before the window, as `_listing` selects it."""
    today = today or timezone.localdate()
    first = today - dt.timedelta(days=days - 1)
    counts: dict[int, dict[dt.date, int]] = {s.pk: {} for s in segments}
    rows = SegmentDailyCount.objects.filter(segment__in=[s.pk for s in segments], day__range=(first, today))
    for segment_id, day, members in rows.values_list("segment_id", "day", "members"):
        counts[segment_id][day] = members
    out = {}
    for s in segments:
        current, line = getattr(s, "count_before", None) or 0, []
        for i in range(days):
            day = first + dt.timedelta(days=i)
            current = counts[s.pk].get(day, current)
            line.append((day, current))
        out[s.pk] = line
    return out


def _listing(kind: str | None, first_day: dt.date) -> QuerySet[Segment]:
    qs = queries.segments().annotate(
        count_before=Subquery(
            SegmentDailyCount.objects.filter(segment=OuterRef("pk"), day__lt=first_day)
            .order_by("-day")
            .values("members")[:1]
        )
    )
    return qs.filter(kind=kind) if kind else qs


@page("segment")
def segment_list(request: HttpRequest) -> HttpResponse:
    kind = request.GET.get("kind", "")
    kind = kind if kind in Kind.values else ""
    today = timezone.localdate()
    listing = Paginator(_listing(kind, today - dt.timedelta(days=TREND_DAYS - 1)), SEGMENTS_PER_PAGE)
    current = listing.get_page(request.GET.get("page"))
    segments = list(current)
    lines = trends(segments, today=today)
    return render(
        request,
        "segments/segment_list.html",
        {
            "rows": [(s, sparkline(lines[s.pk])) for s in segments],
            "page": current,
            "kinds": Kind.choices,
            "kind": kind,
            "filters": urlencode({"kind": kind}) if kind else "",
            "can_add": can(request.user, "add", "segment"),
        },
    )


# --- a segment's page --------------------------------------------------------------------------------------


def rule_in_words(segment: Segment) -> str:
    """The rule of a dynamic segment or snapshot in words; a rule that no longer parses (a custom field deleted
    since) says so instead of failing the page."""
    if segment.predicate is None:
        return ""
    try:
        custom = custom_specs()
        return describe(parse(segment.predicate, custom=custom), custom=custom)
    except PredicateInvalid as exc:
        return f"This rule no longer holds: {exc.message}"


def _members_page(request: HttpRequest, segment: Segment) -> tuple[Page, str]:
    q = request.GET.get("q", "").strip()[:100]
    members = queries.members(segment, search=q or None).select_related("score")
    pages = Paginator(members, MEMBERS_PER_PAGE)
    if not q:
        # The segment keeps its member count with every change: no COUNT over a million-row join to page it.
        pages.__dict__["count"] = segment.member_count
    return pages.get_page(request.GET.get("page")), q


def _detail(
    request: HttpRequest,
    segment: Segment,
    *,
    add_errors: list[str] | None = None,
    import_errors: list[str] | None = None,
    snapshot_errors: list[str] | None = None,
    status: int = 200,
) -> HttpResponse:
    members, q = _members_page(request, segment)
    user = request.user
    is_list = segment.kind == Kind.STATIC
    can_change = can(user, "change", "segment", segment)
    ctx = {
        "segment": segment,
        "members": members,
        "q": q,
        "filters": urlencode({"q": q}) if q else "",
        "can_export": can(user, "view", "contact"),
        "can_edit_list": is_list and can_change,
    }
    if request.headers.get("HX-Request") and request.method == "GET":
        return render(request, "segments/_members.html", ctx)
    trend = queries.trend(segment, days=TREND_DAYS)
    ctx.update(
        {
            "rule": rule_in_words(segment),
            "chart": trend_chart(trend, title=f"Members of {segment.name}, last {TREND_DAYS} days"),
            "changes": list(_changes(segment)[:RECENT_CHANGES]),
            "can_change": can_change,
            "can_delete": can(user, "delete", "segment", segment),
            "can_snapshot": segment.kind != Kind.SNAPSHOT and can(user, "add", "segment"),
            "can_refresh": segment.kind == Kind.DYNAMIC and can_change,
            "is_list": is_list,
            # Errors of a form the page does not show (adding to a dynamic segment) go above the page instead.
            "page_errors": [] if is_list and can_change else [*(add_errors or []), *(import_errors or [])],
            "add_errors": add_errors or [],
            "import_errors": import_errors or [],
            "snapshot_errors": snapshot_errors or [],
            "snapshot_name": request.POST.get("name", "") if snapshot_errors else _snapshot_name(segment),
            "add_text": request.POST.get("contacts", "") if add_errors else "",
        }
    )
    return render(request, "segments/segment_detail.html", ctx, status=status)


def _snapshot_name(segment: Segment) -> str:
    return f"{segment.name} on {timezone.localdate():%Y-%m-%d}"[:200]


def _changes(segment: Segment) -> QuerySet[MembershipChange]:
    return (
        MembershipChange.objects.filter(segment=segment)
        .select_related("contact", "by")
        .order_by("-occurred_at", "-pk")
    )


@page("segment")
def segment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    segment = get_object_or_404(queries.segments(), pk=pk)
    return _detail(request, segment)


@page("segment")
def segment_history(request: HttpRequest, pk: int) -> HttpResponse:
    segment = get_object_or_404(queries.segments(), pk=pk)
    changes = Paginator(_changes(segment), CHANGES_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "segments/segment_history.html", {"segment": segment, "page": changes})


def _cell(value: Any) -> str:
    """A CSV cell; text a spreadsheet would run as a formula gets a leading quote (as interop's exports write),
    numbers and moments are written as they are."""
    if value is None:
        return ""
    if isinstance(value, str):
        return "'" + value if value.startswith(_FORMULA_START) else value
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


class _Line:
    def write(self, value: str) -> str:
        return value


def member_rows(segment: Segment) -> Iterator[str]:
    """Every member of the segment as CSV lines, streamed in chunks: labelled columns, then one line each."""
    writer = csv.writer(_Line())
    yield writer.writerow(MEMBER_COLUMNS)
    rows = queries.members(segment).values_list(
        "email",
        "first_name",
        "last_name",
        "company__name",
        "lifecycle_stage",
        "score__fit_grade",
        "score__fit_score",
        "score__engagement_score",
        "member_since",
    )
    stages = dict(LifecycleStage.choices)
    for values in rows.iterator(chunk_size=2000):
        row = list(values)
        row[4] = stages.get(row[4], row[4])
        yield writer.writerow([_cell(v) for v in row])


@page("segment")
def members_csv(request: HttpRequest, pk: int) -> HttpResponse:
    """The members with their personal data: only for roles that may see contacts, as the contacts export."""
    if not can(request.user, "view", "contact"):
        return forbidden(request, denial(request.user, "view", "contact"))
    segment = get_object_or_404(Segment, pk=pk)
    response = StreamingHttpResponse(member_rows(segment), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="segment-{segment.pk}-members.csv"'
    return response


# --- changes -----------------------------------------------------------------------------------------------


def _segment_for(request: HttpRequest, pk: int, action: str) -> Segment:
    """The segment, or PermissionDenied (the 403 page) when the user may not `action` it."""
    segment = get_object_or_404(Segment, pk=pk)
    if not can(request.user, action, "segment", segment):  # type: ignore[arg-type]
        raise PermissionDenied(denial(request.user, action, "segment"))  # type: ignore[arg-type]
    return segment


@page("segment", action="change", methods=("POST",))
def segment_refresh(request: HttpRequest, pk: int) -> HttpResponse:
    segment = _segment_for(request, pk, "change")
    if segment.kind != Kind.DYNAMIC:
        messages.error(
            request,
            f"A {segment.get_kind_display().lower()} is not evaluated; only dynamic segments are refreshed.",
        )
        return redirect("segments_detail", pk=pk)
    try:
        result = do_request_refresh(by=request.user, segment=segment)
    except PermissionDenied:
        raise
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("segments_detail", pk=pk)
    if result is None:
        messages.success(request, f"{segment.name} is queued: the worker evaluates it shortly.")
    else:
        segment.refresh_from_db()
        entered, left = result
        messages.success(
            request,
            f"{segment.name} evaluated: {segment.member_count:,} members ({entered:,} entered, {left:,} left).",
        )
    return redirect("segments_detail", pk=pk)


@page("segment", action="add", methods=("POST",))
def segment_snapshot(request: HttpRequest, pk: int) -> HttpResponse:
    segment = get_object_or_404(queries.segments(), pk=pk)
    name = request.POST.get("name", "").strip()
    if not name:
        return _detail(request, segment, snapshot_errors=["Name the snapshot."], status=400)
    try:
        snapshot = do_snapshot(by=request.user, segment=segment, name=name)
    except PermissionDenied:
        raise
    except DomainError as exc:
        errors = exc.errors if isinstance(exc, ValidationFailed) else [exc]
        return _detail(request, segment, snapshot_errors=[e.message for e in errors], status=exc.status)
    messages.success(request, f"Snapshot {snapshot.name} taken: {snapshot.member_count:,} members.")
    return redirect("segments_detail", pk=snapshot.pk)


@page("segment", action="delete", methods=("POST",))
def segment_delete(request: HttpRequest, pk: int) -> HttpResponse:
    segment = _segment_for(request, pk, "delete")
    if request.POST.get("confirm") != "delete":
        messages.error(request, "Confirm the deletion to delete this segment.")
        return redirect("segments_detail", pk=pk)
    try:
        do_delete_segment(by=request.user, segment=segment)
    except PermissionDenied:
        raise
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("segments_detail", pk=pk)
    messages.success(request, f"Segment {segment.name} deleted.")
    return redirect("segments_list")


def contact_ids_from(text: str) -> tuple[list[int], list[str]]:
    """The contacts named in the add box (emails or contact ids, separated by spaces, commas or lines): their
    ids, and an error per name that is neither or names no contact."""
    tokens = [t for t in _TOKENS.split(text.strip()) if t]
    if len(tokens) > MAX_ADD:
        return [], [f"Name at most {MAX_ADD:,} contacts at once; import a CSV for more."]
    emails = {t.lower() for t in tokens if "@" in t}
    ids = {int(t) for t in tokens if t.isdigit()}
    errors = [
        f"{t!r} is neither an email nor a contact id." for t in tokens if "@" not in t and not t.isdigit()
    ]
    found_emails = dict(Contact.objects.filter(email__in=emails).values_list("email", "pk")) if emails else {}
    found_ids = set(Contact.objects.filter(pk__in=ids).values_list("pk", flat=True)) if ids else set()
    errors += [f"No contact has the email {e}." for e in sorted(emails - set(found_emails))]
    errors += [f"No contact has the id {i}." for i in sorted(ids - found_ids)]
    return sorted(found_ids | set(found_emails.values())), errors


def _picked(request: HttpRequest) -> list[int]:
    return sorted({int(v) for v in request.POST.getlist("contact") if v.isdigit()})


@page("segment", action="change", methods=("POST",))
def list_add(request: HttpRequest, pk: int) -> HttpResponse:
    segment = _segment_for(request, pk, "change")
    named, errors = contact_ids_from(request.POST.get("contacts", ""))
    ids = sorted(set(named) | set(_picked(request)))
    if not errors and not ids:
        errors = ["Pick contacts or name them by email or id."]
    if errors:
        return _detail(request, segment, add_errors=errors, status=422)
    try:
        result = do_add_to_list(by=request.user, segment=segment, contact_ids=ids)
    except PermissionDenied:
        raise
    except DomainError as exc:
        failed = exc.errors if isinstance(exc, ValidationFailed) else [exc]
        return _detail(request, segment, add_errors=[e.message for e in failed], status=exc.status)
    messages.success(request, change_summary(result, done="added", already="in the list already"))
    return redirect("segments_detail", pk=pk)


@page("segment", action="change", methods=("POST",))
def list_remove(request: HttpRequest, pk: int) -> HttpResponse:
    segment = _segment_for(request, pk, "change")
    ids = _picked(request)
    if not ids:
        messages.error(request, "Tick the members to remove.")
        return redirect(safe_next(request, reverse("segments_detail", args=[pk])))
    try:
        result = do_remove_from_list(by=request.user, segment=segment, contact_ids=ids)
    except PermissionDenied:
        raise
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("segments_detail", pk=pk)
    messages.success(request, change_summary(result, done="removed", already="not in the list"))
    return redirect(safe_next(request, reverse("segments_detail", args=[pk])))


@page("segment", action="change", methods=("POST",))
def list_import(request: HttpRequest, pk: int) -> HttpResponse:
    segment = _segment_for(request, pk, "change")
    upload = request.FILES.get("file")
    if upload is None:
        return _detail(request, segment, import_errors=["Choose a CSV file."], status=400)
    if upload.size > MAX_IMPORT_BYTES or upload.size > settings.IMPORT_MAX_BYTES:
        limit = min(MAX_IMPORT_BYTES, settings.IMPORT_MAX_BYTES) // (1024 * 1024)
        return _detail(request, segment, import_errors=[f"The file is larger than {limit} MB."], status=413)
    try:
        result = do_import_list(by=request.user, segment=segment, file=upload)
    except PermissionDenied:
        raise
    except DomainError as exc:
        failed = exc.errors if isinstance(exc, ValidationFailed) else [exc]
        return _detail(request, segment, import_errors=[e.message for e in failed], status=exc.status)
    messages.success(request, change_summary(result, done="added", already="in the list already"))
    return redirect("segments_detail", pk=pk)


def _n(count: int, noun: str) -> str:
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def change_summary(result: ListChange, *, done: str, already: str) -> str:
    """What an add, remove or import did, in a sentence, naming a few of the emails that matched no contact."""
    text = f"{_n(result.changed, 'contact')} {done}"
    if result.unchanged:
        text += f", {result.unchanged:,} {already}"
    if result.unknown:
        shown = ", ".join(result.unknown[:5]) + (", …" if len(result.unknown) > 5 else "")
        text += f"; {_n(len(result.unknown), 'email')} matched no contact ({shown})"
    return text + "."


@page("segment", action="change")
def list_candidates(request: HttpRequest, pk: int) -> HttpResponse:
    """HTMX: contacts matching the search box of a static list's add form, those already in it left out."""
    segment = get_object_or_404(Segment, pk=pk, kind=Kind.STATIC)
    q = request.GET.get("q", "").strip()[:100]
    rows = []
    if q:
        members = queries.member_ids(segment)
        rows = list(
            search_contacts(Contact.objects.select_related("company"), q)
            .exclude(pk__in=members)
            .order_by("email")[:CANDIDATES]
        )
    return render(request, "segments/_candidates.html", {"rows": rows, "q": q})


# --- the contact page's panel ------------------------------------------------------------------------------


def _addable_lists(user: Any, contact: Contact, current: list[int]) -> list[Segment]:
    lists = Segment.objects.filter(kind=Kind.STATIC).exclude(pk__in=current).order_by("name")[:PANEL_LISTS]
    return [s for s in lists if can(user, "change", "segment", s)]


def contact_panel(request: HttpRequest, contact: Contact) -> str:
    """The contact page's segments panel (registered in crm.hooks): where the contact is now, how it got there
    and left, and adding it to a static list."""
    if not can(request.user, "view", "segment"):
        return ""
    memberships = queries.segments_of_contact(contact)
    may_add = can(request.user, "change", "segment") or can(request.user, "add", "segment")
    lists = _addable_lists(request.user, contact, [m.segment_id for m in memberships]) if may_add else []
    return render_to_string(
        "segments/_contact_panel.html",
        {
            "contact": contact,
            "memberships": memberships,
            "changes": queries.history_of_contact(contact, PANEL_HISTORY),
            "lists": lists,
        },
        request=request,
    )


@page("segment", action="change", methods=("POST",))
def contact_add_to_list(request: HttpRequest, pk: int) -> HttpResponse:
    contact = get_object_or_404(Contact, pk=pk)
    back = reverse("contact_detail", args=[contact.pk])
    try:
        segment = Segment.objects.get(pk=int(request.POST.get("segment", "")), kind=Kind.STATIC)
    except (ValueError, Segment.DoesNotExist):
        messages.error(request, "Pick a static list to add the contact to.")
        return redirect(back)
    if not can(request.user, "change", "segment", segment):
        return refuse(request, "change", "segment")
    try:
        do_add_to_list(by=request.user, segment=segment, contact_ids=[contact.pk])
    except PermissionDenied:
        raise
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect(back)
    messages.success(request, f"{contact} added to {segment.name}.")
    return redirect(back)
