"""Campaign pages: the list, the campaign page with touchpoint counts and QR code, create and edit."""

from __future__ import annotations

import io

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from plumbline.core.forms import form_status, run_action
from plumbline.core.pages import page, refuse
from plumbline.core.permissions import can
from plumbline.marketing import queries
from plumbline.marketing.actions import do_create_campaign, do_update_campaign
from plumbline.marketing.forms import CampaignForm
from plumbline.marketing.models import Campaign, Channel


def vanity_url(campaign: Campaign) -> str:
    return f"{settings.PUBLIC_BASE_URL.rstrip('/')}/go/{campaign.vanity_slug}"


@page("campaign")
def campaign_list(request: HttpRequest) -> HttpResponse:
    channel = request.GET.get("channel", "")
    qs = queries.campaigns().order_by("-starts_on", "-pk")
    if channel in Channel.values:
        qs = qs.filter(channel=channel)
    return render(request, "marketing/campaign_list.html",
                  {"campaigns": qs, "channels": Channel.choices, "channel": channel})


@page("campaign")
def campaign_detail(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = get_object_or_404(queries.campaigns(), pk=pk)
    counts = queries.touchpoint_counts(campaign)
    return render(request, "marketing/campaign_detail.html", {
        "campaign": campaign,
        "counts": counts,
        "total": sum(n for _, _, n in counts),
        "vanity_url": vanity_url(campaign) if campaign.vanity_slug else "",
        "can_change": can(request.user, "change", "campaign", campaign),
    })


@page("campaign", action="add", methods=("GET", "POST"))
def campaign_create(request: HttpRequest) -> HttpResponse:
    form = CampaignForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        campaign = run_action(form, do_create_campaign, by=request.user, **form.action_fields())
        if campaign is not None:
            messages.success(request, f"Campaign {campaign} created.")
            return redirect("campaign_detail", pk=campaign.pk)
    status = form_status(form) if form.is_bound else 200
    return render(request, "marketing/campaign_form.html", {"form": form, "campaign": None}, status=status)


@page("campaign", methods=("GET", "POST"))
def campaign_edit(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = get_object_or_404(queries.campaigns(), pk=pk)
    if not can(request.user, "change", "campaign", campaign):
        return refuse(request, "change", "campaign")
    initial = {f: getattr(campaign, f) for f in ("name", "channel", "cost", "currency", "starts_on", "ends_on",
                                                 "utm_campaign", "vanity_slug", "landing_url", "description")}
    form = CampaignForm(request.POST or None, initial={**initial, "owner": campaign.owner_id})
    if request.method == "POST" and form.is_valid():
        changes = form.action_fields()
        if not changes["utm_campaign"]:
            changes.pop("utm_campaign")  # keep the current key rather than blanking it
        if run_action(form, do_update_campaign, by=request.user, campaign=campaign, changes=changes):
            messages.success(request, "Campaign saved.")
            return redirect("campaign_detail", pk=campaign.pk)
    status = form_status(form) if form.is_bound else 200
    return render(request, "marketing/campaign_form.html", {"form": form, "campaign": campaign}, status=status)


@page("campaign")
def campaign_qr(request: HttpRequest, pk: int) -> HttpResponse:
    """The campaign's QR code as SVG, pointing at its vanity URL."""
    campaign = get_object_or_404(Campaign, pk=pk)
    if not campaign.vanity_slug:
        raise Http404("This campaign has no vanity URL.")
    import segno  # only this page draws QR codes

    out = io.BytesIO()
    segno.make(vanity_url(campaign), error="m").save(out, kind="svg", scale=6, border=2, xmldecl=False,
                                                       title=campaign.name)
    response = HttpResponse(out.getvalue(), content_type="image/svg+xml")
    response["Content-Disposition"] = f'inline; filename="qr-{campaign.vanity_slug}.svg"'
    return response
