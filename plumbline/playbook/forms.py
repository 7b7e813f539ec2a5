"""Forms of the playbook pages. They only shape input; the actions decide what is valid."""

from __future__ import annotations

from typing import Any

from django import forms

from plumbline.crm.models import Contact, Deal, Pipeline
from plumbline.playbook.models import (
    AnswerStatus,
    Framework,
    FunnelStage,
    MessagingItem,
    Objection,
    ObjectionCategory,
)
from plumbline.playbook.queries import personas
from plumbline.playbook.templates import ANSWER_TYPES, TEMPLATES


class FromTemplateForm(forms.Form):
    template = forms.ChoiceField(choices=[(k, t["name"]) for k, t in TEMPLATES.items()])
    name = forms.CharField(max_length=100, required=False, help_text="Empty: the template's name.")


class ChooseFrameworkForm(forms.Form):
    pipeline = forms.ModelChoiceField(queryset=Pipeline.objects.order_by("name"))
    framework = forms.ModelChoiceField(queryset=Framework.objects.order_by("name"), required=False,
                                       empty_label="— no qualification —")


class FrameworkForm(forms.Form):
    name = forms.CharField(max_length=100)
    description = forms.CharField(max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2}))


class CriterionForm(forms.Form):
    key = forms.CharField(max_length=50, help_text="Answers are stored under this key.")
    label = forms.CharField(max_length=100)
    question = forms.CharField(max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2}))
    guide = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}), label="Follow-up questions",
                            help_text="One per line.")
    answer_type = forms.ChoiceField(choices=list(ANSWER_TYPES.items()), initial="text")
    weight = forms.FloatField(min_value=0.01, max_value=100, initial=1)

    def criterion(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {"key": data["key"].strip(), "label": data["label"], "question": data["question"],
                "guide": [g.strip() for g in data["guide"].splitlines() if g.strip()][:10],
                "answer_type": data["answer_type"], "weight": data["weight"]}


CriteriaFormSet = forms.formset_factory(CriterionForm, extra=2, can_delete=True, max_num=30, validate_max=True)


def criteria_initial(framework: Framework) -> list[dict[str, Any]]:
    return [{**c, "guide": "\n".join(c.get("guide", []))} for c in framework.criteria]


class QualificationForm(forms.Form):
    """One value and one status input per criterion of the deal's framework: `value_<key>`, `status_<key>`."""

    def __init__(self, *args: Any, rows: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.rows = rows
        for row in rows:
            c = row.criterion
            self.fields[f"value_{c['key']}"] = forms.CharField(
                label=c["label"], required=False, max_length=2000, help_text=c.get("question", ""),
                widget=forms.Textarea(attrs={"rows": 2}),
            )
            self.fields[f"status_{c['key']}"] = forms.ChoiceField(label="Status", choices=AnswerStatus.choices)
            self.initial.setdefault(f"value_{c['key']}", row.value)
            self.initial.setdefault(f"status_{c['key']}", row.status)

    def pairs(self) -> list[tuple[Any, forms.BoundField, forms.BoundField]]:
        return [(r, self[f"value_{r.criterion['key']}"], self[f"status_{r.criterion['key']}"]) for r in self.rows]

    def answers(self) -> list[dict[str, str]]:
        data = self.cleaned_data
        return [{"criterion": r.criterion["key"], "value": data[f"value_{r.criterion['key']}"],
                 "status": data[f"status_{r.criterion['key']}"]} for r in self.rows]


class ObjectionForm(forms.Form):
    category = forms.ChoiceField(choices=ObjectionCategory.choices)
    verbatim = forms.CharField(max_length=2000, widget=forms.Textarea(attrs={"rows": 3}),
                               help_text="The buyer's own words.")
    deal = forms.IntegerField(required=False, widget=forms.HiddenInput)
    contact_email = forms.CharField(max_length=254, required=False, label="Contact email",
                                    help_text="Who said it (optional on a deal).")

    def clean_deal(self) -> Deal | None:
        pk = self.cleaned_data["deal"]
        if pk is None:
            return None
        deal = Deal.objects.select_related("stage", "company").filter(pk=pk).first()
        if deal is None:
            raise forms.ValidationError(f"No deal with id {pk}.")
        return deal

    def clean_contact_email(self) -> Contact | None:
        email = self.cleaned_data["contact_email"].strip().lower()
        if not email:
            return None
        contact = Contact.objects.select_related("company").filter(email=email).first()
        if contact is None:
            raise forms.ValidationError(f"No contact with email {email}.")
        return contact


class OutcomeForm(forms.Form):
    outcome = forms.ChoiceField(choices=Objection.Outcome.choices)
    outcome_note = forms.CharField(max_length=500, required=False, label="Note")


class MessagingItemForm(forms.Form):
    kind = forms.ChoiceField(choices=MessagingItem.Kind.choices)
    title = forms.CharField(max_length=200)
    body = forms.CharField(max_length=10000, required=False, widget=forms.Textarea(attrs={"rows": 6}))
    url = forms.CharField(max_length=500, required=False, label="URL", help_text="For content assets.")
    funnel_stage = forms.ChoiceField(choices=[("", "Any stage"), *FunnelStage.choices], required=False)
    persona = forms.ModelChoiceField(queryset=MessagingItem.objects.none(), required=False, empty_label="Every persona")
    objection_category = forms.ChoiceField(choices=[("", "—"), *ObjectionCategory.choices], required=False,
                                           help_text="For objection responses.")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["persona"].queryset = personas()

    def values(self) -> dict[str, Any]:
        return dict(self.cleaned_data)
