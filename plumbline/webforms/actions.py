"""Every write of the form builder, landing pages and guided flows. Submissions: plumbline.webforms.submit."""

from __future__ import annotations

import datetime as dt
from typing import Any

import nh3
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from plumbline.core.errors import Conflict, DomainError, ValidationFailed
from plumbline.core.permissions import check
from plumbline.core.validation import apply_changes, full_clean
from plumbline.crm.models import CustomField
from plumbline.webforms.fields import CONTACT_TARGETS, target_error
from plumbline.webforms.flows import parse_definition
from plumbline.webforms.models import (
    FieldType,
    Flow,
    Form,
    FormField,
    HiddenSource,
    LandingPage,
    UsedChallenge,
)
from plumbline.webforms.spam import CHALLENGE_TTL
from plumbline.webforms.subscriptions import subscription_codes

FORM_FIELDS = ("name", "slug", "campaign", "notify", "submit_label", "thank_you_message", "redirect_url",
               "profiling_max_fields", "is_active")
FIELD_KEYS = ("label", "key", "type", "maps_to", "required", "options", "help_text", "subscription",
              "hidden_source")
PAGE_FIELDS = ("campaign", "slug", "headline", "body_html", "form", "cta_label", "cta_url", "is_published")
FLOW_FIELDS = ("name", "slug", "form", "definition", "is_active")
MAX_FIELDS = 50


def _slug_taken(slug: str, *, form: Form | None = None, flow: Flow | None = None) -> bool:
    """Forms and flows share /f/<slug>."""
    forms = Form.objects.filter(slug=slug).exclude(pk=getattr(form, "pk", None))
    flows = Flow.objects.filter(slug=slug).exclude(pk=getattr(flow, "pk", None))
    return forms.exists() or flows.exists()


def _unique_slug(base: str, **owner: Any) -> str:
    slug = slugify(base)[:70] or "form"
    candidate, n = slug, 2
    while _slug_taken(candidate, **owner):
        candidate, n = f"{slug}-{n}", n + 1
    return candidate


def _check_slug(slug: str, **owner: Any) -> None:
    if _slug_taken(slug, **owner):
        raise Conflict(f"The address /f/{slug} is taken by another form or flow.", field="slug")


def _clean_fields(rows: list[dict[str, Any]]) -> list[FormField]:
    """The form's fields from the builder's rows, every error named `fields.<index>.<key>`."""
    if len(rows) > MAX_FIELDS:
        raise DomainError(f"A form has at most {MAX_FIELDS} fields.", field="fields", code="max_length")
    custom_keys = set(CustomField.objects.filter(applies_to="contact").values_list("key", flat=True))
    codes = subscription_codes()
    errors: list[DomainError] = []
    made: list[FormField] = []
    seen: set[str] = set()
    for index, row in enumerate(rows):
        def refuse(key: str, message: str, code: str = "invalid", index: int = index) -> None:
            errors.append(DomainError(message, field=f"fields.{index}.{key}", code=code))

        unknown = sorted(set(row) - set(FIELD_KEYS) - {"position", "id"})
        for key in unknown:
            refuse(key, f"Unknown field property {key!r}.")
        label = str(row.get("label") or "").strip()
        key = str(row.get("key") or "").strip() or slugify(label).replace("-", "_")[:50]
        field = FormField(label=label, key=key, type=row.get("type") or FieldType.TEXT,
                          maps_to=str(row.get("maps_to") or "").strip(), required=bool(row.get("required")),
                          options=[str(o).strip() for o in (row.get("options") or []) if str(o).strip()],
                          help_text=str(row.get("help_text") or "").strip(),
                          subscription=str(row.get("subscription") or "").strip(),
                          hidden_source=str(row.get("hidden_source") or "").strip(), position=index)
        if not label:
            refuse("label", "Give the field a label.", "required")
        if key in seen:
            refuse("key", f"Two fields use the key {key!r}.", "duplicate")
        seen.add(key)
        if field.type not in FieldType.values:
            refuse("type", f"Unknown field type {field.type!r}.")
        problem = target_error(field.maps_to, custom_keys)
        if problem:
            refuse("maps_to", problem)
        if field.type == FieldType.SELECT and not field.options:
            refuse("options", "A drop-down needs at least one choice.", "required")
        if field.type == FieldType.CONSENT:
            if field.subscription not in codes:
                refuse("subscription", "Bind a consent checkbox to a subscription type.", "required")
            field.maps_to = ""
        if field.type == FieldType.HIDDEN and field.hidden_source not in HiddenSource.values:
            refuse("hidden_source", "Say where the hidden field's value comes from.", "required")
        if field.maps_to == "contact.email" and field.type != FieldType.EMAIL:
            refuse("type", "The field mapped to the contact's email must be an email field.")
        made.append(field)
    emails = [f for f in made if f.maps_to == "contact.email"]
    if len(emails) != 1:
        errors.append(DomainError("A form needs exactly one email field mapped to the contact's email.",
                                  field="fields", code="email_required"))
    if errors:
        raise ValidationFailed(errors)
    emails[0].required = True
    return made


def _save_fields(form: Form, fields: list[FormField]) -> None:
    form.fields.all().delete()
    for field in fields:
        field.form = form
        full_clean(field, exclude=["form"])
    FormField.objects.bulk_create(fields)


@transaction.atomic
def do_create_form(*, by: Any = None, name: str, fields: list[dict[str, Any]], **values: Any) -> Form:
    """Create a form with its fields (dicts with FIELD_KEYS); the slug defaults to the slugified name."""
    check(by, "add", "form")
    form = Form()
    apply_changes(form, {"name": (name or "").strip(), **values}, FORM_FIELDS)
    form.slug = form.slug or _unique_slug(form.name or "form")
    _check_slug(form.slug)
    cleaned = _clean_fields(fields)
    full_clean(form)
    form.save()
    _save_fields(form, cleaned)
    return form


@transaction.atomic
def do_update_form(*, by: Any = None, form: Form, changes: dict[str, Any]) -> Form:
    """Change a form; `fields`, when given, replaces every field (past submissions keep their answers)."""
    check(by, "change", "form", form)
    changes = dict(changes)
    rows = changes.pop("fields", None)
    apply_changes(form, changes, FORM_FIELDS)
    _check_slug(form.slug, form=form)
    full_clean(form)
    form.save()
    if rows is not None:
        _save_fields(form, _clean_fields(rows))
    return form


@transaction.atomic
def do_delete_form(*, by: Any = None, form: Form) -> None:
    """Delete a form and its submissions (a flow's contact step cannot be deleted while the flow exists)."""
    check(by, "delete", "form", form)
    if form.flows.exists():
        raise DomainError("A guided flow asks this form as its contact step: delete the flow first.", field="form",
                          code="protected")
    form.delete()


@transaction.atomic
def do_prune_used_challenges(*, now: dt.datetime | None = None) -> int:
    """Forget spent proof-of-work challenges older than a challenge lives: they are refused as expired anyway."""
    cutoff = (now or timezone.now()) - CHALLENGE_TTL * 2
    return UsedChallenge.objects.filter(used_at__lt=cutoff).delete()[0]


# --- landing pages -----------------------------------------------------------------------------------------

ALLOWED_TAGS = {"p", "br", "strong", "em", "b", "i", "u", "a", "ul", "ol", "li", "h2", "h3", "h4", "blockquote",
                "img", "hr", "code", "pre", "span"}


def sanitise(html: str) -> str:
    """Rich text as we store and serve it: nh3 keeps harmless tags, drops scripts, handlers and styles."""
    return nh3.clean(html or "", tags=ALLOWED_TAGS, link_rel="noopener noreferrer nofollow",
                     url_schemes={"http", "https", "mailto"})


def _page_values(values: dict[str, Any]) -> dict[str, Any]:
    values = dict(values)
    if "body_html" in values:
        values["body_html"] = sanitise(values["body_html"])
    return values


@transaction.atomic
def do_create_landing_page(*, by: Any = None, headline: str, **values: Any) -> LandingPage:
    check(by, "add", "form")
    page = LandingPage()
    apply_changes(page, _page_values({"headline": (headline or "").strip(), **values}), PAGE_FIELDS)
    page.slug = page.slug or slugify(page.headline)[:70] or "page"
    if LandingPage.objects.filter(slug=page.slug).exists():
        raise Conflict(f"The address /lp/{page.slug} is taken.", field="slug")
    full_clean(page)
    page.save()
    return page


@transaction.atomic
def do_update_landing_page(*, by: Any = None, page: LandingPage, changes: dict[str, Any]) -> LandingPage:
    check(by, "change", "form", page)
    apply_changes(page, _page_values(changes), PAGE_FIELDS)
    if LandingPage.objects.filter(slug=page.slug).exclude(pk=page.pk).exists():
        raise Conflict(f"The address /lp/{page.slug} is taken.", field="slug")
    full_clean(page)
    page.save()
    return page


@transaction.atomic
def do_delete_landing_page(*, by: Any = None, page: LandingPage) -> None:
    check(by, "delete", "form", page)
    page.delete()


# --- guided flows ------------------------------------------------------------------------------------------


@transaction.atomic
def do_create_flow(*, by: Any = None, name: str, form: Form, definition: dict[str, Any], **values: Any) -> Flow:
    """Create a guided flow: its questions and rules (`definition`, checked as a whole) and its contact step."""
    check(by, "add", "form")
    flow = Flow()
    apply_changes(flow, {"name": (name or "").strip(), "form": form, **values}, FLOW_FIELDS)
    flow.definition = parse_definition(definition).model_dump(mode="json")
    flow.slug = flow.slug or _unique_slug(flow.name or "flow", flow=flow)
    _check_slug(flow.slug, flow=flow)
    full_clean(flow)
    flow.save()
    return flow


@transaction.atomic
def do_update_flow(*, by: Any = None, flow: Flow, changes: dict[str, Any]) -> Flow:
    check(by, "change", "form", flow)
    changes = dict(changes)
    if "definition" in changes:
        changes["definition"] = parse_definition(changes["definition"]).model_dump(mode="json")
    apply_changes(flow, changes, FLOW_FIELDS)
    _check_slug(flow.slug, flow=flow)
    full_clean(flow)
    flow.save()
    return flow


@transaction.atomic
def do_delete_flow(*, by: Any = None, flow: Flow) -> None:
    check(by, "delete", "form", flow)
    flow.delete()


__all__ = ["CONTACT_TARGETS", "do_create_flow", "do_create_form", "do_create_landing_page", "do_delete_flow",
           "do_delete_form", "do_delete_landing_page", "do_update_flow", "do_update_form", "do_update_landing_page",
           "sanitise"]
