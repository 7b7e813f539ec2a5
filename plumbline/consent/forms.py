"""Forms of the consent pages: a staff-recorded change of consent, and a subscription type."""

from __future__ import annotations

from django import forms

from plumbline.consent.models import Basis, Channel
from plumbline.consent.queries import subscription_types


def subscription_choices() -> list[tuple[str, str]]:
    return [("", "The whole channel"), *((t.code, t.label) for t in subscription_types())]


class RecordConsentForm(forms.Form):
    channel = forms.ChoiceField(choices=Channel.choices, initial=Channel.EMAIL)
    subscription = forms.ChoiceField(choices=subscription_choices, required=False, label="Subscription")
    granted = forms.TypedChoiceField(choices=[("1", "Granted"), ("0", "Withdrawn")], coerce=lambda v: v == "1",
                                     label="Consent")
    basis = forms.ChoiceField(choices=Basis.choices, initial=Basis.CONSENT, label="Lawful basis")
    note = forms.CharField(max_length=500, required=False, label="How you know",
                           help_text="E.g. 'asked on the phone, 3 March'. Kept as the proof.")


class SubscriptionTypeForm(forms.Form):
    code = forms.SlugField(max_length=50, help_text="Lowercase letters, digits, _ or -; forms and the API use it.")
    label = forms.CharField(max_length=100)
    description = forms.CharField(max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2}))
    channel = forms.ChoiceField(choices=Channel.choices, initial=Channel.EMAIL)
    double_opt_in = forms.BooleanField(required=False, initial=True, label="Double opt-in",
                                       help_text="A form's checkbox only asks; the confirmation email's button grants.")
    active = forms.BooleanField(required=False, initial=True, label="Active",
                                help_text="Inactive types are not offered anymore; their ledger stays.")
    position = forms.IntegerField(min_value=0, max_value=999, initial=0, label="Order")
