"""Where a form field's value can go, and how one answer is checked and normalised."""

from __future__ import annotations

from typing import Any

from email_validator import EmailNotValidError, validate_email

from plumbline.crm.models import CustomField
from plumbline.webforms.models import FieldType, FormField

CONTACT_TARGETS = {
    "contact.email": "Email",
    "contact.first_name": "First name",
    "contact.last_name": "Last name",
    "contact.title": "Job title",
    "contact.phone": "Phone",
}
COMPANY_TARGET = "company.name"
MAX_ANSWER = 2000


def targets() -> list[tuple[str, str]]:
    """Every place a field can map to, as (code, label), for the builder's drop-down."""
    custom = [(f"custom.{f.key}", f"Custom: {f.label}")
              for f in CustomField.objects.filter(applies_to="contact").order_by("label")]
    return [("", "Nothing (kept in the submission)"), *CONTACT_TARGETS.items(), (COMPANY_TARGET, "Company name"),
            *custom]


def target_error(maps_to: str, custom_keys: set[str]) -> str | None:
    if not maps_to or maps_to in CONTACT_TARGETS or maps_to == COMPANY_TARGET:
        return None
    if maps_to.startswith("custom.") and maps_to[7:] in custom_keys:
        return None
    return f"Unknown target {maps_to!r}: a contact field, company.name or custom.<key> of a contact custom field."


def normalise_email(raw: str) -> str:
    """email-validator's normalised form (lowercased: the CRM keeps emails lowercase); ValueError if invalid."""
    try:
        return validate_email(raw.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise ValueError(str(exc)) from None


def clean_answer(field: FormField, raw: Any) -> Any:
    """The field's value from a raw answer (None when blank); ValueError with the reason when it is invalid."""
    if field.type in (FieldType.CHECKBOX, FieldType.CONSENT):
        return str(raw).strip().lower() in ("on", "true", "1", "yes") if raw not in (None, "") else False
    text = ("" if raw is None else str(raw)).strip()
    if not text:
        return None
    if len(text) > MAX_ANSWER:
        raise ValueError(f"is longer than {MAX_ANSWER} characters")
    if field.type == FieldType.EMAIL:
        return normalise_email(text)
    if field.type == FieldType.PHONE:
        digits = sum(c.isdigit() for c in text)
        if digits < 6 or any(c not in "0123456789 +-().x/" for c in text.lower()):
            raise ValueError("is not a phone number")
        return text[:40]
    if field.type == FieldType.SELECT and text not in [str(o) for o in field.options]:
        raise ValueError("is not one of the choices")
    if field.type != FieldType.TEXTAREA and len(text) > 300:
        raise ValueError("is longer than 300 characters")
    return text
