"""The subscription form of the webhook pages; the actions validate (the SSRF guard included) and write."""

from __future__ import annotations

from typing import Any

from django import forms

from plumbline.webhooks.kinds import ALL, SUBJECT_TYPES, kind_choices


class SubscriptionForm(forms.Form):
    url = forms.CharField(max_length=2000, label="Target URL",
                          help_text="An http or https address on the public internet that accepts POSTs.")
    description = forms.CharField(max_length=200, required=False, help_text="What this webhook feeds, for you.")
    all_events = forms.BooleanField(required=False, label="Every event",
                                    help_text="Also the kinds added in later versions.")
    events = forms.MultipleChoiceField(choices=kind_choices, required=False, widget=forms.CheckboxSelectMultiple,
                                       label="Events")
    subject_type = forms.ChoiceField(choices=[("", "Any subject"), *SUBJECT_TYPES.items()], required=False,
                                     label="Only events about")
    payload_key = forms.CharField(max_length=100, required=False, label="Only when the payload field",
                                  help_text="Optional, with the value below: keeps the events whose payload has it.")
    payload_value = forms.CharField(max_length=200, required=False, label="equals")
    is_active = forms.BooleanField(required=False, initial=True, label="Active",
                                   help_text="A paused webhook records no new deliveries.")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not data.get("all_events") and not data.get("events"):
            self.add_error("events", "Pick at least one event, or Every event.")
        if bool(data.get("payload_key")) != bool(data.get("payload_value")):
            self.add_error("payload_value", "Give both the payload field and its value, or neither.")
        return data

    def action_fields(self) -> dict[str, Any]:
        data = self.cleaned_data
        wanted: dict[str, Any] = {}
        if data["subject_type"]:
            wanted["subject_type"] = data["subject_type"]
        if data["payload_key"]:
            wanted["payload"] = {data["payload_key"]: data["payload_value"]}
        return {"url": data["url"], "description": data["description"], "is_active": data["is_active"],
                "events": [ALL] if data["all_events"] else list(data["events"]), "filter": wanted}

    @staticmethod
    def initial_for(subscription: Any) -> dict[str, Any]:
        wanted = subscription.filter or {}
        payload = wanted.get("payload") or {}
        key, value = next(iter(payload.items()), ("", ""))
        return {"url": subscription.url, "description": subscription.description, "is_active": subscription.is_active,
                "all_events": ALL in subscription.events,
                "events": [k for k in subscription.events if k != ALL],
                "subject_type": wanted.get("subject_type", ""), "payload_key": key,
                "payload_value": "" if value is None else str(value)}
