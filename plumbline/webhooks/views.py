"""Webhook pages (admins): the subscriptions, a subscription with its delivery log, create and edit, and the
send-test, redeliver and delete buttons."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from plumbline.core.errors import Conflict
from plumbline.core.forms import form_status, run_action
from plumbline.core.pages import page
from plumbline.webhooks import queries
from plumbline.webhooks.actions import (
    RESOURCE,
    do_create_subscription,
    do_delete_subscription,
    do_redeliver,
    do_send_test,
    do_update_subscription,
)
from plumbline.webhooks.forms import SubscriptionForm
from plumbline.webhooks.kinds import SUBJECT_TYPES, label
from plumbline.webhooks.models import Delivery

PER_PAGE = 50
DELIVERIES_PER_PAGE = 25


@page(RESOURCE)
def webhook_list(request: HttpRequest) -> HttpResponse:
    listing = Paginator(queries.with_last_delivery(queries.subscriptions()).order_by("-created_at", "-pk"), PER_PAGE)
    page_obj = listing.get_page(request.GET.get("page"))
    for sub in page_obj:
        sub.event_labels = [label(k) for k in sub.events]
        sub.last_status_label = Delivery.Status(sub.last_status).label if sub.last_status else ""
    return render(request, "webhooks/list.html", {"page_obj": page_obj})


@page(RESOURCE)
def webhook_detail(request: HttpRequest, pk: int) -> HttpResponse:
    subscription = get_object_or_404(queries.subscriptions(), pk=pk)
    log = Paginator(queries.deliveries(subscription).order_by("-created_at", "-pk"), DELIVERIES_PER_PAGE)
    page_obj = log.get_page(request.GET.get("page"))
    for delivery in page_obj:
        delivery.kind_label = label(delivery.kind)
    wanted = subscription.filter or {}
    subject = wanted.get("subject_type", "")
    return render(request, "webhooks/detail.html", {
        "subscription": subscription, "page_obj": page_obj, "event_labels": [label(k) for k in subscription.events],
        "filter_subject": SUBJECT_TYPES.get(subject, subject).lower(),
        "filter_payload": sorted((wanted.get("payload") or {}).items()),
    })


@page(RESOURCE, action="add", methods=("GET", "POST"))
def webhook_create(request: HttpRequest) -> HttpResponse:
    form = SubscriptionForm(request.POST or None, initial={"is_active": True})
    if request.method == "POST" and form.is_valid():
        subscription = run_action(form, do_create_subscription, by=request.user, **form.action_fields())
        if subscription is not None:
            messages.success(request, "Webhook created. Verify its messages with the signing secret below.")
            return redirect("webhook_detail", pk=subscription.pk)
    status = form_status(form) if form.is_bound else 200
    return render(request, "webhooks/form.html", {"form": form, "subscription": None}, status=status)


@page(RESOURCE, action="change", methods=("GET", "POST"))
def webhook_edit(request: HttpRequest, pk: int) -> HttpResponse:
    subscription = get_object_or_404(queries.subscriptions(), pk=pk)
    form = SubscriptionForm(request.POST or None, initial=SubscriptionForm.initial_for(subscription))
    if request.method == "POST" and form.is_valid():
        if run_action(form, do_update_subscription, by=request.user, subscription=subscription,
                      changes=form.action_fields()):
            messages.success(request, "Webhook saved.")
            return redirect("webhook_detail", pk=subscription.pk)
    status = form_status(form) if form.is_bound else 200
    return render(request, "webhooks/form.html", {"form": form, "subscription": subscription}, status=status)


@page(RESOURCE, action="change", methods=("POST",))
def webhook_send_test(request: HttpRequest, pk: int) -> HttpResponse:
    subscription = get_object_or_404(queries.subscriptions(), pk=pk)
    do_send_test(by=request.user, subscription=subscription)
    messages.success(request, "Test message queued: it appears in the delivery log below.")
    return redirect("webhook_detail", pk=subscription.pk)


@page(RESOURCE, action="change", methods=("POST",))
def webhook_redeliver(request: HttpRequest, pk: int, delivery_pk: int) -> HttpResponse:
    subscription = get_object_or_404(queries.subscriptions(), pk=pk)
    delivery = get_object_or_404(queries.deliveries(subscription), pk=delivery_pk)
    try:
        do_redeliver(by=request.user, delivery=delivery)
    except Conflict as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "The message will be sent again now, with the same webhook-id.")
    return redirect("webhook_detail", pk=subscription.pk)


@page(RESOURCE, action="delete", methods=("POST",))
def webhook_delete(request: HttpRequest, pk: int) -> HttpResponse:
    subscription = get_object_or_404(queries.subscriptions(), pk=pk)
    do_delete_subscription(by=request.user, subscription=subscription)
    messages.success(request, "Webhook deleted with its delivery log.")
    return redirect("webhook_list")
