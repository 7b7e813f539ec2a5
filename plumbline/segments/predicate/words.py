"""The predicate language in people's words: operator labels per field type, choice labels, and the sentence of
each condition ("Lifecycle stage is any of Marketing qualified lead, Sales qualified lead", "At least 3 page
views from SEO in the last 14 days"). The catalogue (for the visual builder) and explain/describe share them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from plumbline.consent.models import Channel as ConsentChannel
from plumbline.consent.models import SubscriptionType
from plumbline.crm.models import ConsentStatus, LifecycleStage, Pipeline, PipelineStage
from plumbline.definitions.labels import humanize
from plumbline.marketing.models import Campaign, Channel, TouchpointKind
from plumbline.segments.models import Segment
from plumbline.segments.predicate.schema import BOOLEAN, CHOICE, DATE, MOMENT, NUMBER, OPS, FieldSpec

OP_LABELS = {
    "eq": "is", "neq": "is not", "in": "is any of", "not_in": "is none of", "lt": "is less than",
    "lte": "is at most", "gt": "is more than", "gte": "is at least", "between": "is between", "contains": "contains",
    "starts_with": "starts with", "is_set": "is known", "is_not_set": "is unknown",
}
DATE_OP_LABELS = {**OP_LABELS, "lt": "is before", "lte": "is on or before", "gt": "is after", "gte": "is on or after"}
# Moments compare with {"days_ago": n}: "…" stands for n in the builder.
MOMENT_OP_LABELS = {
    "lt": "more than … days ago", "lte": "at least … days ago", "gt": "less than … days ago",
    "gte": "in the last … days", "between": "between … and … days ago", "is_set": "is known",
    "is_not_set": "is unknown",
}
COUNT_OP_LABELS = {"gte": "at least", "gt": "more than", "eq": "exactly", "lte": "at most", "lt": "fewer than"}
CONSENT_OP_LABELS = {"granted": "is granted", "not_granted": "is not granted"}
MEMBER_OP_LABELS = {"member": "is in", "not_member": "is not in"}
DEAL_VIA_LABELS = {"contact": "The contact's deals", "company": "Their company's deals"}
TOUCHPOINT_FILTER_LABELS = {
    "content": "Page or name is", "content_starts_with": "Page or name starts with", "source": "Source is",
    "medium": "Medium is", "utm_campaign": "UTM campaign is",
}

GRADE_LABELS = {"A": "A", "B": "B", "C": "C", "D": "D"}
# (one, many) for a count's sentence.
KIND_NOUNS = {
    "page_view": ("page view", "page views"), "email_open": ("email open", "email opens"),
    "email_click": ("email click", "email clicks"), "form_submit": ("form submission", "form submissions"),
    "demo_request": ("demo request", "demo requests"), "pricing_view": ("pricing page view", "pricing page views"),
    "content_download": ("content download", "content downloads"), "ad_click": ("ad click", "ad clicks"),
    "event_attended": ("event attended", "events attended"),
    "webinar_registered": ("webinar registration", "webinar registrations"),
    "webinar_attended": ("webinar attended", "webinars attended"), "call": ("call", "calls"),
    "meeting": ("meeting", "meetings"), "sales_email": ("sales email", "sales emails"),
    "qr_scan": ("QR code scan", "QR code scans"), "unsubscribe": ("unsubscribe", "unsubscribes"),
    "bounce": ("bounce", "bounces"),
}


def op_labels(type_: str) -> dict[str, str]:
    """The operators a field of this type takes, with their labels, in the builder's order."""
    table = MOMENT_OP_LABELS if type_ == MOMENT else DATE_OP_LABELS if type_ == DATE else OP_LABELS
    return {op: table[op] for op in OPS[type_]}


def choice_labels(spec: FieldSpec) -> dict[str, str]:
    """A choice field's values with their labels."""
    if spec.name == "lifecycle_stage":
        return dict(LifecycleStage.choices)
    if spec.name == "consent_status":
        return dict(ConsentStatus.choices)
    if spec.name == "score.fit_grade":
        return dict(GRADE_LABELS)
    return {c: str(c) for c in spec.choices}


def number(value: Any) -> str:
    if isinstance(value, Decimal):
        value = float(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return f"{value:,}" if isinstance(value, int) else f"{value:g}"


def days(n: int) -> str:
    return "1 day" if abs(n) == 1 else f"{n} days"


def show(spec: FieldSpec, value: Any) -> str:
    """One value of the field, for people: a choice's label, quoted text, a number, yes/no."""
    if spec.type == CHOICE:
        return choice_labels(spec).get(value, str(value))
    if spec.type == BOOLEAN:
        return "yes" if value else "no"
    if spec.type == NUMBER:
        return number(value)
    if spec.type == DATE:
        return str(value)
    return f'"{value}"'


def field_sentence(spec: FieldSpec, op: str, value: Any) -> str:
    label = spec.label or humanize(spec.name)
    if spec.type == MOMENT and op not in ("is_set", "is_not_set"):
        if op == "between":
            a, b = sorted(v["days_ago"] for v in value)
            return f"{label} between {a} and {days(b)} ago"
        n = value["days_ago"]
        return f"{label} " + {"lt": f"more than {days(n)} ago", "lte": f"at least {days(n)} ago",
                              "gt": f"less than {days(n)} ago", "gte": f"in the last {days(n)}"}[op]
    words = (DATE_OP_LABELS if spec.type == DATE else OP_LABELS)[op]
    if op in ("is_set", "is_not_set"):
        return f"{label} {words}"
    if op in ("in", "not_in"):
        return f"{label} {words} {', '.join(show(spec, v) for v in value)}"
    if op == "between":
        return f"{label} {words} {show(spec, value[0])} and {show(spec, value[1])}"
    return f"{label} {words} {show(spec, value)}"


def count_phrase(op: str, n: int, one: str, many: str) -> str:
    """"At least 3 page views", "No email clicks" (eq 0, lt 1, lte 0), "Exactly 1 page view"."""
    if (op, n) in (("eq", 0), ("lt", 1), ("lte", 0)):
        return f"No {many}"
    if (op, n) in (("gt", 0), ("gte", 1)):
        return f"At least 1 {one}"
    shown = one if n == 1 and op in ("eq", "gte", "lte") else many
    return f"{COUNT_OP_LABELS[op][:1].upper()}{COUNT_OP_LABELS[op][1:]} {n} {shown}"


def campaign_name(pk: int) -> str:
    name = Campaign.objects.filter(pk=pk).values_list("name", flat=True).first()
    return f'campaign "{name}"' if name is not None else f"campaign #{pk} (deleted)"


def subscription_label(code: str) -> str:
    label = SubscriptionType.objects.filter(code=code).values_list("label", flat=True).first()
    return label if label is not None else f"{code} (no such subscription)"


def channel_label(code: str) -> str:
    return dict(Channel.choices).get(code, code)


def consent_channel_label(code: str) -> str:
    return dict(ConsentChannel.choices).get(code, code)


def kind_nouns(kind: str | None) -> tuple[str, str]:
    if kind is None:
        return "touchpoint", "touchpoints"
    return KIND_NOUNS.get(kind, (dict(TouchpointKind.choices).get(kind, kind).lower(),) * 2)


def ago(now: dt.datetime, at: dt.datetime) -> str:
    n = int((now - at).total_seconds() // 86400)
    if n < 0:
        return f"in {days(-n)}"
    return "today" if n == 0 else f"{days(n)} ago"


def lower_first(text: str) -> str:
    """"At least 3 ..." -> "at least 3 ..." inside a sentence; "QR code ..." stays."""
    if len(text) > 1 and text[1].isupper():
        return text
    return text[:1].lower() + text[1:]


def segment_name(pk: int) -> str:
    name = Segment.objects.filter(pk=pk).values_list("name", flat=True).first()
    return f'segment "{name}"' if name is not None else f"segment #{pk} (deleted)"


def pipeline_name(pk: int) -> str:
    name = Pipeline.objects.filter(pk=pk).values_list("name", flat=True).first()
    return f'pipeline "{name}"' if name is not None else f"pipeline #{pk} (deleted)"


def stage_name(stage: int | str) -> str:
    if isinstance(stage, str):
        return f'stage "{stage}"'
    name = PipelineStage.objects.filter(pk=stage).values_list("name", flat=True).first()
    return f'stage "{name}"' if name is not None else f"stage #{stage} (deleted)"


def amount_phrase(low: float | None, high: float | None) -> str:
    if low is not None and high is not None:
        return f" worth between {number(low)} and {number(high)}"
    if low is not None:
        return f" worth at least {number(low)}"
    return "" if high is None else f" worth at most {number(high)}"
