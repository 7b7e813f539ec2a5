"""HTML forms of the CRM pages. Forms only shape input; the actions decide what is valid and write
(`plumbline.core.forms.run_action` puts their refusals on the fields)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms

from plumbline.accounts.models import User
from plumbline.core.errors import DomainError
from plumbline.crm.models import (
    Activity,
    Company,
    ConsentStatus,
    Contact,
    CustomField,
    DealContact,
    LifecycleStage,
    Pipeline,
    PipelineStage,
)


def owner_field(label: str = "Owner") -> forms.ModelChoiceField:
    return forms.ModelChoiceField(
        queryset=User.objects.filter(is_active=True).order_by("first_name", "username"),
        required=False, label=label, empty_label="— nobody —",
    )


class CustomFieldsMixin:
    """Adds one `custom_<key>` input per admin-defined custom field; `custom_values()` collects them."""

    applies_to = ""

    def add_custom_fields(self, current: dict[str, Any]) -> None:
        self.custom_defs = list(CustomField.objects.filter(applies_to=self.applies_to).order_by("label"))
        for d in self.custom_defs:
            name = f"custom_{d.key}"
            if d.type == CustomField.Type.CHOICE:
                field: forms.Field = forms.ChoiceField(
                    choices=[("", "—"), *[(c, c) for c in d.choices]], required=False, label=d.label
                )
            elif d.type == CustomField.Type.BOOLEAN:
                field = forms.ChoiceField(choices=[("", "—"), ("yes", "Yes"), ("no", "No")], required=False,
                                          label=d.label)
            else:
                field = forms.CharField(required=False, label=d.label, max_length=1000)
                if d.type == CustomField.Type.DATE:
                    field.widget.input_type = "date"
            self.fields[name] = field  # type: ignore[attr-defined]
            value = current.get(d.key)
            if isinstance(value, bool):
                value = "yes" if value else "no"
            self.initial.setdefault(name, value)  # type: ignore[attr-defined]

    def custom_values(self) -> dict[str, Any]:
        data = self.cleaned_data  # type: ignore[attr-defined]
        return {d.key: data.get(f"custom_{d.key}") or None for d in self.custom_defs}


class ContactForm(CustomFieldsMixin, forms.Form):
    applies_to = "contact"

    email = forms.CharField(max_length=254)
    first_name = forms.CharField(max_length=100, required=False)
    last_name = forms.CharField(max_length=100, required=False)
    title = forms.CharField(max_length=150, required=False)
    phone = forms.CharField(max_length=40, required=False)
    company = forms.CharField(
        max_length=253, required=False, label="Company",
        help_text="Name or domain of an existing company; empty links it by the email's domain.",
    )
    source = forms.CharField(max_length=100, required=False)
    consent_status = forms.ChoiceField(choices=ConsentStatus.choices, initial=ConsentStatus.UNKNOWN)
    lifecycle_stage = forms.ChoiceField(choices=LifecycleStage.choices, initial=LifecycleStage.SUBSCRIBER)

    def __init__(self, *args: Any, creating: bool = True, custom: dict[str, Any] | None = None, **kw: Any):
        super().__init__(*args, **kw)
        self.fields["owner"] = owner_field()
        if not creating:
            del self.fields["lifecycle_stage"]
        self.add_custom_fields(custom or {})


class CompanyForm(CustomFieldsMixin, forms.Form):
    applies_to = "company"

    name = forms.CharField(max_length=200)
    domain = forms.CharField(max_length=253, required=False)
    industry = forms.CharField(max_length=100, required=False)
    employee_count = forms.IntegerField(min_value=0, required=False)
    annual_revenue = forms.DecimalField(max_digits=16, decimal_places=2, min_value=0, required=False)
    country = forms.CharField(max_length=2, required=False, help_text="Two-letter code, e.g. DE")

    def __init__(self, *args: Any, custom: dict[str, Any] | None = None, **kw: Any):
        super().__init__(*args, **kw)
        self.fields["owner"] = owner_field()
        self.add_custom_fields(custom or {})


class LifecycleForm(forms.Form):
    to_stage = forms.ChoiceField(label="Move to")
    reason = forms.CharField(max_length=500, required=False, help_text="Needed for backward moves and disqualifying.")

    def __init__(self, *args: Any, moves: list[str], **kw: Any):
        super().__init__(*args, **kw)
        self.fields["to_stage"].choices = [(m, LifecycleStage(m).label) for m in moves]


class ActivityForm(forms.Form):
    kind = forms.ChoiceField(choices=Activity.Kind.choices, initial=Activity.Kind.NOTE)
    subject = forms.CharField(max_length=200, required=False)
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=20000, required=False, label="Notes")
    outcome = forms.ChoiceField(choices=[("", "—"), *Activity.Outcome.choices], required=False,
                                label="Call outcome")
    duration_minutes = forms.IntegerField(min_value=0, max_value=24 * 60, required=False, label="Duration (min)")
    due_at = forms.DateTimeField(required=False, label="Due",
                                 widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not (data.get("subject") or data.get("body")):
            self.add_error("subject", "Write a subject or some notes.")
        if data.get("kind") == Activity.Kind.TASK and not data.get("due_at") and "due_at" not in self.errors:
            self.add_error("due_at", "A task needs a due date.")
        return data

    def action_fields(self) -> dict[str, Any]:
        """The cleaned values the activity action takes; empty optional inputs are left out."""
        data = self.cleaned_data
        fields = {"subject": data["subject"], "body": data["body"]}
        for key in ("outcome", "duration_minutes", "due_at"):
            if data.get(key) not in (None, ""):
                fields[key] = data[key]
        return fields


class DealMoveForm(forms.Form):
    stage = forms.ChoiceField(label="Move to stage")
    reason = forms.CharField(max_length=500, required=False, help_text="Needed when the deal is lost.")

    def __init__(self, *args: Any, stages: list[Any], current_id: int | None = None, **kw: Any):
        super().__init__(*args, **kw)
        self.stages = {str(s.pk): s for s in stages}
        self.fields["stage"].choices = [(str(s.pk), s.name) for s in stages if s.pk != current_id]


class DealForm(forms.Form):
    name = forms.CharField(max_length=200)
    pipeline = forms.ModelChoiceField(queryset=Pipeline.objects.order_by("-is_default", "name"), empty_label=None)
    amount = forms.DecimalField(max_digits=16, decimal_places=2, min_value=0, initial=0)
    currency = forms.CharField(max_length=3, initial="USD")
    expected_close_date = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    company = forms.CharField(max_length=253, required=False, help_text="Name or domain of an existing company.")
    contact = forms.CharField(max_length=254, required=False, label="Contact email")
    role = forms.ChoiceField(choices=DealContact.Role.choices, initial=DealContact.Role.DECISION_MAKER,
                             label="Contact role")

    def __init__(self, *args: Any, editing: bool = False, **kw: Any):
        super().__init__(*args, **kw)
        self.fields["owner"] = owner_field()
        if editing:
            # A deal changes pipeline only by a recorded move, and its contacts have their own role links.
            for name in ("pipeline", "contact", "role"):
                del self.fields[name]

    def clean_company(self) -> Company | None:
        from plumbline.crm.queries import find_company

        try:
            return company_choice(self.cleaned_data["company"], find_company)
        except DomainError as exc:
            raise forms.ValidationError(exc.message) from None

    def clean_contact(self) -> Contact | None:
        email = self.cleaned_data["contact"].strip().lower()
        if not email:
            return None
        contact = Contact.objects.filter(email=email).first()
        if contact is None:
            raise forms.ValidationError(f"No contact with email {email}.")
        return contact


class StageForm(forms.Form):
    """A stage's name and win probability (its kind is fixed once added)."""

    name = forms.CharField(max_length=100)
    probability = forms.IntegerField(min_value=0, max_value=100, label="Win probability (%)")


class NewStageForm(StageForm):
    kind = forms.ChoiceField(choices=PipelineStage.Kind.choices, initial=PipelineStage.Kind.OPEN,
                             help_text="Open stages go after the last open stage; won and lost stages go last.")
    probability = forms.IntegerField(min_value=0, max_value=100, initial=0, label="Win probability (%)")


class PipelineForm(forms.Form):
    """A pipeline's name and whether new deals go to it by default."""

    name = forms.CharField(max_length=100)
    is_default = forms.BooleanField(required=False, label="Default pipeline for new deals")


# The stages a new pipeline starts with; each can be renamed, reweighted, moved or removed afterwards.
STANDARD_STAGES = [
    {"name": "Discovery", "probability": 10}, {"name": "Qualification", "probability": 25},
    {"name": "Proposal", "probability": 50}, {"name": "Negotiation", "probability": 75},
    {"name": "Won", "probability": 100, "kind": "won"}, {"name": "Lost", "probability": 0, "kind": "lost"},
]


class CompanyLookupError(DomainError):
    """The company named on a contact form does not exist."""


def company_choice(value: str, find: Callable[[str], Company | None]) -> Company | None:
    """The company a contact form names, or None when left empty; unknown names are a field error."""
    value = (value or "").strip()
    if not value:
        return None
    company = find(value)
    if company is None:
        raise CompanyLookupError(f"No company named or at {value!r}; create it first.", field="company")
    return company
