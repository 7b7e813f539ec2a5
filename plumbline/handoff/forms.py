"""Forms for the rep's decisions."""

from __future__ import annotations

from django import forms

from plumbline.definitions.queries import current_version, parsed


class RejectForm(forms.Form):
    reason = forms.ChoiceField(label="Reason")
    note = forms.CharField(label="Note", required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reason"].choices = [
            (r.code, r.label) for r in parsed(current_version()).reject_reasons
        ]
