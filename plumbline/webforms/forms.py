"""HTML forms of the staff pages; the webforms actions validate and write."""

from __future__ import annotations

import json
from typing import Any

from django import forms

from plumbline.crm.forms import owner_field
from plumbline.marketing.models import Campaign
from plumbline.webforms.models import Form

SETTINGS = ("name", "slug", "campaign", "notify", "submit_label", "thank_you_message", "redirect_url",
            "profiling_max_fields", "is_active")


def campaign_field() -> forms.ModelChoiceField:
    return forms.ModelChoiceField(queryset=Campaign.objects.order_by("name"), required=False,
                                  empty_label="— no campaign —")


class FormSettingsForm(forms.Form):
    name = forms.CharField(max_length=200)
    slug = forms.SlugField(max_length=80, required=False, label="Address /f/…", help_text="Empty: made from the name.")
    submit_label = forms.CharField(max_length=60, initial="Submit", label="Button text")
    thank_you_message = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), max_length=2000, required=False)
    redirect_url = forms.URLField(max_length=500, required=False, assume_scheme="https",
                                  label="Or send people to", help_text="Instead of the thank-you message.")
    profiling_max_fields = forms.IntegerField(min_value=0, max_value=50, initial=0,
                                              label="Progressive profiling: ask known visitors at most",
                                              help_text="Fields they have not answered yet. 0: always ask every field.")
    is_active = forms.BooleanField(required=False, initial=True, label="Takes submissions")

    def __init__(self, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.fields["campaign"] = campaign_field()
        self.fields["notify"] = owner_field("Tell this person of each submission")

    def values(self) -> dict[str, Any]:
        data = {k: self.cleaned_data[k] for k in SETTINGS}
        if not data["slug"]:
            data.pop("slug")
        return data


class LandingPageForm(forms.Form):
    headline = forms.CharField(max_length=200)
    slug = forms.SlugField(max_length=80, required=False, label="Address /lp/…", help_text="Empty: from the headline.")
    campaign = forms.ModelChoiceField(queryset=Campaign.objects.order_by("name"), required=False,
                                      empty_label="— no campaign —")
    body_html = forms.CharField(widget=forms.Textarea(attrs={"rows": 10}), max_length=50000, required=False,
                                label="Text", help_text="HTML: paragraphs, headings, lists, links, images. Scripts "
                                "and styles are removed.")
    form = forms.ModelChoiceField(queryset=Form.objects.order_by("name"), required=False, empty_label="— no form —")
    cta_label = forms.CharField(max_length=60, required=False, label="Call to action text")
    cta_url = forms.URLField(max_length=500, required=False, assume_scheme="https", label="Call to action link")
    is_published = forms.BooleanField(required=False, initial=True, label="Published")

    def values(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        if not data["slug"]:
            data.pop("slug")
        return data


FLOW_EXAMPLE = {
    "steps": [
        {"key": "role", "question": "What describes you best?", "options": ["Marketing", "Sales", "Founder"],
         "branches": [{"answer": "Founder", "goto": "size"}], "next": "goal"},
        {"key": "goal", "question": "What do you want first?", "options": ["More leads", "Faster follow-up"]},
        {"key": "size", "question": "How big is your team?", "options": ["1-10", "11-50", "51+"]},
    ],
    "results": [
        {"key": "sales", "kind": "sales", "title": "Let's talk", "when": {"size": ["51+"]}, "min_fit_grade": "C"},
        {"key": "guide", "kind": "content", "title": "Read these first", "funnel_stage": "consideration"},
    ],
}


class FlowForm(forms.Form):
    name = forms.CharField(max_length=200)
    slug = forms.SlugField(max_length=80, required=False, label="Address /f/…", help_text="Empty: from the name.")
    form = forms.ModelChoiceField(queryset=Form.objects.order_by("name"), label="Contact step",
                                  help_text="The form asked after the questions (its email and consent boxes).")
    definition = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 22, "class": "mono"}), label="Questions and rules (JSON)",
        help_text="steps: key, question, options, branches (answer → goto), next; results (first that applies "
                  "wins, the last is the fallback): key, kind content|sales, title, message, when {step: [answers]}, "
                  "min_fit_grade A–F, funnel_stage, persona_id.")
    is_active = forms.BooleanField(required=False, initial=True, label="Takes answers")

    def clean_definition(self) -> Any:
        try:
            return json.loads(self.cleaned_data["definition"])
        except ValueError as exc:
            raise forms.ValidationError(f"This is not JSON: {exc}.") from None

    def values(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        if not data["slug"]:
            data.pop("slug")
        return data
