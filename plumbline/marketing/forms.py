"""HTML forms of the campaign pages; the campaign actions validate and write."""

from __future__ import annotations

from typing import Any

from django import forms

from plumbline.crm.forms import owner_field
from plumbline.marketing.models import Channel

CAMPAIGN_FIELDS = (
    "name", "channel", "cost", "currency", "starts_on", "ends_on", "utm_campaign", "vanity_slug", "landing_url",
    "description", "owner",
)


class CampaignForm(forms.Form):
    name = forms.CharField(max_length=200)
    channel = forms.ChoiceField(choices=Channel.choices)
    cost = forms.DecimalField(max_digits=14, decimal_places=2, min_value=0, initial=0)
    currency = forms.CharField(max_length=3, initial="USD")
    starts_on = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    ends_on = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    utm_campaign = forms.CharField(max_length=100, required=False, label="UTM campaign key",
                                   help_text="Empty: made from the name.")
    vanity_slug = forms.CharField(max_length=60, required=False, label="Vanity URL slug",
                                  help_text="Print campaigns: /go/<slug>. Empty: made from the name.")
    landing_url = forms.URLField(max_length=500, required=False, assume_scheme="https",
                                 help_text="Where the vanity URL and QR code lead.")
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=5000, required=False)

    def __init__(self, *args: Any, **kw: Any):
        super().__init__(*args, **kw)
        self.fields["owner"] = owner_field()

    def action_fields(self) -> dict[str, Any]:
        data = self.cleaned_data
        fields = {k: data[k] for k in CAMPAIGN_FIELDS}
        fields["currency"] = (fields["currency"] or "").strip().upper()
        fields["vanity_slug"] = fields["vanity_slug"] or None
        return fields
