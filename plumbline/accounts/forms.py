"""HTML forms of the users and set-password pages. They only shape input; the actions validate and write."""

from __future__ import annotations

from typing import Any

from django import forms

from plumbline.accounts.models import Role, Team


def team_field() -> forms.ModelChoiceField:
    return forms.ModelChoiceField(queryset=Team.objects.order_by("name"), required=False, empty_label="— no team —")


class UserCreateForm(forms.Form):
    username = forms.CharField(max_length=150)
    first_name = forms.CharField(max_length=150, required=False)
    last_name = forms.CharField(max_length=150, required=False)
    email = forms.CharField(max_length=254, required=False, help_text="Needed for an invitation.")
    role = forms.ChoiceField(choices=Role.choices, initial=Role.SALES)
    how = forms.ChoiceField(
        label="Sign-in", initial="invite", widget=forms.RadioSelect,
        choices=[("invite", "Email an invitation to set a password"), ("password", "Set a password now")],
    )
    password = forms.CharField(max_length=128, required=False, widget=forms.PasswordInput(render_value=False),
                               help_text="Only when setting a password now.")

    def __init__(self, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.fields["team"] = team_field()
        self.order_fields(["username", "first_name", "last_name", "email", "role", "team", "how", "password"])

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("how") == "password" and not data.get("password"):
            self.add_error("password", "Type the password, or choose to email an invitation.")
        return data


class UserEditForm(forms.Form):
    first_name = forms.CharField(max_length=150, required=False)
    last_name = forms.CharField(max_length=150, required=False)
    email = forms.CharField(max_length=254, required=False)
    role = forms.ChoiceField(choices=Role.choices)
    is_out_of_office = forms.BooleanField(required=False, label="Out of office (gets no new leads)")
    capacity = forms.IntegerField(min_value=0, max_value=10_000, label="Open-lead capacity")

    def __init__(self, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.fields["team"] = team_field()
        self.order_fields(["first_name", "last_name", "email", "role", "team", "is_out_of_office", "capacity"])


class PasswordForm(forms.Form):
    password = forms.CharField(max_length=128, label="New password", widget=forms.PasswordInput)
    password2 = forms.CharField(max_length=128, label="New password again", widget=forms.PasswordInput)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("password") and data.get("password2") and data["password"] != data["password2"]:
            self.add_error("password2", "The two passwords differ.")
        return data
