"""The public tracking endpoints (/t.js, POST /t/collect, /go/<slug>) and the site pages (list, snippet, channel
rules, human vs bot report)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET
from pydantic import ValidationError

from plumbline.core.forms import form_status, run_action
from plumbline.core.pages import page, refuse
from plumbline.core.permissions import can
from plumbline.marketing.models import Campaign, Channel
from plumbline.tracking import beacon, channels, queries, tasks
from plumbline.tracking.actions import (
    do_add_channel_rule,
    do_collect,
    do_create_site,
    do_delete_channel_rule,
    do_record_scan,
    do_update_site,
    salt_of,
)
from plumbline.tracking.models import ChannelRule

SCRIPT = (Path(__file__).parent / "t.js").read_bytes()
SCRIPT_ETAG = '"' + hashlib.sha256(SCRIPT).hexdigest()[:20] + '"'


@require_GET
def script(request: HttpRequest) -> HttpResponse:
    """The tracking script: the same bytes for every site (the site key is the tag's data-site), cacheable for an
    hour and then revalidated with its ETag."""
    if request.headers.get("If-None-Match") == SCRIPT_ETAG:
        response = HttpResponse(status=304)
    else:
        response = HttpResponse(SCRIPT, content_type="text/javascript; charset=utf-8")
    response["ETag"] = SCRIPT_ETAG
    response["Cache-Control"] = "public, max-age=3600"
    response["Access-Control-Allow-Origin"] = "*"
    response["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response


def _refuse(status: int, message: str, *, code: str, field: str | None = None, origin: str = "",
            errors: list[dict] | None = None) -> JsonResponse:
    response = JsonResponse({"message": message, "errors": errors or [
        {"field": field, "message": message, "code": code}]}, status=status)
    if origin:
        response["Access-Control-Allow-Origin"] = origin
        response["Vary"] = "Origin"
    return response


def _preflight(request: HttpRequest) -> HttpResponse:
    origin = request.headers.get("Origin", "")
    if not origin or not queries.known_origin(origin):
        return _refuse(403, "This origin is not registered for any site.", code="unknown_origin")
    response = HttpResponse(status=204)
    response["Access-Control-Allow-Origin"] = origin
    response["Access-Control-Allow-Methods"] = "POST"
    response["Access-Control-Allow-Headers"] = "Content-Type"
    response["Access-Control-Max-Age"] = "86400"
    response["Vary"] = "Origin"
    return response


# Public and cross-site on purpose: browsers on the registered sites post beacons here (no session, no cookie of
# ours is read or written), so there is no CSRF token to check; the Origin check below is the gate.
@csrf_exempt
def collect(request: HttpRequest) -> HttpResponse:
    """Accept a batch of beacon events: 202 once they are committed; 4xx with the reason and nothing written."""
    if request.method == "OPTIONS":
        return _preflight(request)
    if request.method != "POST":
        return _refuse(405, "POST a batch of events.", code="method_not_allowed")
    origin = request.headers.get("Origin", "")
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > beacon.MAX_BODY:
        return _refuse(413, f"The batch is over {beacon.MAX_BODY // 1024} KiB.", code="too_large", origin=origin)
    body = request.read(beacon.MAX_BODY + 1)
    if len(body) > beacon.MAX_BODY:
        return _refuse(413, f"The batch is over {beacon.MAX_BODY // 1024} KiB.", code="too_large", origin=origin)
    try:
        raw = json.loads(body)
    except ValueError:
        return _refuse(400, "The body is not JSON.", code="malformed_json", origin=origin)
    if not isinstance(raw, dict):
        return _refuse(422, "The body must be a JSON object (a batch).", code="invalid", origin=origin)
    if isinstance(raw.get("events"), list) and len(raw["events"]) > beacon.MAX_EVENTS:
        return _refuse(413, f"Send at most {beacon.MAX_EVENTS} events per batch.", code="too_many_events",
                       field="events", origin=origin)
    site = queries.site_for_key(raw["site"]) if isinstance(raw.get("site"), str) else None
    if site is None:
        return _refuse(403, "No active site has this key.", code="unknown_site", field="site", origin=origin)
    if origin.lower() not in site.origins:
        return _refuse(403, "This origin is not registered for the site.", code="unknown_origin")
    try:
        batch = beacon.BATCH.validate_python(raw)
    except ValidationError as exc:
        errors = [{"field": ".".join(str(p) for p in e["loc"]), "message": e["msg"], "code": e["type"]}
                  for e in exc.errors()[:20]]
        return _refuse(422, "The batch is invalid; nothing was recorded.", code="invalid", origin=origin,
                       errors=errors)
    if _opted_out(request):
        return _accepted(origin, 0, len(batch.events), "The browser asks not to be tracked (GPC or DNT).")
    if site.gdpr_mode and not batch.consent:
        return _refuse(403, "This site records visits only after the visitor's consent.", code="consent_required",
                       field="consent", origin=origin)
    received = timezone.now()
    ip = request.META.get("REMOTE_ADDR", "")
    rows = beacon.rows(batch, site_id=site.id, ua=beacon.classify_agent(request.headers.get("User-Agent", "")[:500]),
                       ip_hash=beacon.hash_ip(ip, salt_of(received.date())) if ip else "", received=received)
    accepted = do_collect(rows=rows)
    tasks.kick()
    return _accepted(origin, accepted, len(rows) - accepted)


def _opted_out(request: HttpRequest) -> bool:
    return request.headers.get("Sec-GPC") == "1" or request.headers.get("DNT") == "1"


def _accepted(origin: str, accepted: int, ignored: int, reason: str = "") -> JsonResponse:
    body: dict[str, Any] = {"accepted": accepted, "duplicates" if not reason else "not_recorded": ignored}
    if reason:
        body["reason"] = reason
    response = JsonResponse(body, status=202)
    response["Access-Control-Allow-Origin"] = origin
    response["Vary"] = "Origin"
    return response


@require_GET
def go(request: HttpRequest, slug: str) -> HttpResponse:
    """A print campaign's vanity link: a tracked `qr_scan` of the visitor (the visitor cookie is set on our own
    domain unless the browser asks not to be tracked), then on to the landing page tagged with the UTM key.
    A GET that writes on purpose: the scan is the event being counted, and a replay counts as another scan."""
    campaign = Campaign.objects.filter(vanity_slug=slug).first()
    if campaign is None or not campaign.landing_url:
        raise Http404("No such link.")
    sep = "&" if "?" in campaign.landing_url else "?"
    target = f"{campaign.landing_url}{sep}utm_source=print&utm_medium=qr&utm_campaign={campaign.utm_campaign}"
    response = HttpResponseRedirect(target)
    if _opted_out(request):
        return response
    visitor_id = queries.visitor_id_from_request(request) or beacon.new_id()
    do_record_scan(campaign=campaign, visitor_id=visitor_id, site=None,
                   user_agent=request.headers.get("User-Agent", "")[:500], ip=request.META.get("REMOTE_ADDR", ""))
    response.set_cookie(queries.COOKIE, visitor_id, max_age=400 * 86400, samesite="Lax",
                        secure=request.is_secure(), httponly=False)
    tasks.kick()
    return response


# --- pages -------------------------------------------------------------------------------------------------

class SiteForm(forms.Form):
    name = forms.CharField(max_length=200)
    origins = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=5000, required=False,
                              help_text="One a line, as browsers send them: https://www.example.com")
    gdpr_mode = forms.BooleanField(required=False, label="Require consent before any cookie (GDPR mode)")


@page("site")
def site_list(request: HttpRequest) -> HttpResponse:
    return render(request, "tracking/site_list.html", {
        "sites": queries.sites(), "can_add": can(request.user, "add", "site"),
        "counts": queries.hit_counts(), "bots": queries.bot_counts(),
    })


@page("site", action="add", methods=("GET", "POST"))
def site_create(request: HttpRequest) -> HttpResponse:
    form = SiteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        site = run_action(form, do_create_site, by=request.user, **form.cleaned_data)
        if site is not None:
            messages.success(request, f"Site {site} registered: embed the snippet below.")
            return redirect("site_detail", pk=site.pk)
    status = form_status(form) if form.is_bound else 200
    return render(request, "tracking/site_form.html", {"form": form, "site": None}, status=status)


@page("site", methods=("GET", "POST"))
def site_detail(request: HttpRequest, pk: int) -> HttpResponse:
    site = get_object_or_404(queries.sites(), pk=pk)
    can_change = can(request.user, "change", "site", site)
    form = SiteForm(request.POST or None, initial={"name": site.name, "origins": site.origins,
                                                    "gdpr_mode": site.gdpr_mode})
    if request.method == "POST" and can_change and form.is_valid():
        if run_action(form, do_update_site, by=request.user, site=site, changes=form.cleaned_data):
            queries.forget_cached_sites()
            messages.success(request, "Site saved.")
            return redirect("site_detail", pk=site.pk)
    status = form_status(form) if form.is_bound else 200
    before = request.GET.get("before", "")
    hits, next_before = queries.recent_hits(site, before=int(before) if before.isdigit() else None)
    return render(request, "tracking/site_detail.html", {
        "site": site, "snippet": queries.snippet(site), "form": form, "can_change": can_change,
        "hits": hits, "next_before": next_before,
        "counts": queries.hit_counts(site), "bots": queries.bot_counts(site),
    }, status=status)


class ChannelRuleForm(forms.Form):
    field = forms.ChoiceField(choices=ChannelRule.Field.choices, label="When")
    value = forms.CharField(max_length=200, help_text="e.g. partner-portal, or news.example.com for a referrer")
    channel = forms.ChoiceField(choices=Channel.choices)


@page("site", methods=("GET", "POST"))
def channel_rules(request: HttpRequest) -> HttpResponse:
    """The rules in the order they are tried: admins' own first (editable), then the built-in table."""
    can_change = can(request.user, "change", "site")
    form = ChannelRuleForm(request.POST if request.POST.get("add") else None)
    if request.method == "POST" and not can_change:
        return refuse(request, "change", "site")
    if request.method == "POST":
        if request.POST.get("delete"):
            rule = get_object_or_404(ChannelRule, pk=request.POST["delete"])
            do_delete_channel_rule(by=request.user, rule=rule)
            messages.success(request, "Rule deleted.")
            return redirect("channel_rules")
        if form.is_valid() and run_action(form, do_add_channel_rule, by=request.user, **form.cleaned_data):
            messages.success(request, "Rule added: it applies to hits processed from now on.")
            return redirect("channel_rules")
    labels = dict(Channel.choices)
    rules = [(n, r.when, "The campaign's channel" if r.channel == "campaign" else labels[r.channel])
             for n, r in enumerate(channels.RULES, 1)]
    status = form_status(form) if form.is_bound else 200
    return render(request, "tracking/channel_rules.html", {
        "rules": rules, "admin_rules": ChannelRule.objects.order_by("pk"), "form": form, "can_change": can_change,
    }, status=status)
