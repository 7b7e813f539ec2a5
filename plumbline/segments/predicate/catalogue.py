"""What the visual builder offers: every field and condition kind of the predicate language, with people's labels,
as JSON. `catalogue()` reads the definitions that change (custom fields, campaigns, subscription types, segments,
pipelines); the rest comes from the models' TextChoices and words.py.

    {"version": 1,
     "groups": ["Contact", "Company", "Score", "Custom fields"],
     "fields": [{"key": "lifecycle_stage", "label": "Lifecycle stage", "group": "Contact", "type": "choice",
                 "ops": [{"op": "eq", "label": "is"}, ...], "choices": [{"value": "mql", "label": "Marketing
                 qualified lead"}, ...]}, ...],
     "conditions": {"touchpoints": {...}, "consent": {...}, "lifecycle": {...}, ...}}

Each entry of `conditions` names its `label`, its `ops` (with labels) and the options of its filter, so the builder
writes exactly the JSON schema.parse accepts.
"""

from __future__ import annotations

from typing import Any

from plumbline.consent.models import Channel as ConsentChannel
from plumbline.consent.models import SubscriptionType
from plumbline.crm.models import Deal, LifecycleStage, Pipeline, PipelineStage
from plumbline.marketing.models import Campaign, Channel, TouchpointKind
from plumbline.segments.models import Segment
from plumbline.segments.predicate import words
from plumbline.segments.predicate.schema import CHOICE, FIELDS, VERSION, FieldSpec, custom_specs

GROUPS = ("Contact", "Company", "Score", "Custom fields")


def _group(spec: FieldSpec) -> str:
    return {"contact": "Contact", "company": "Company", "company_custom": "Company", "score": "Score",
            "custom": "Custom fields"}[spec.source]


def _options(pairs: Any) -> list[dict[str, Any]]:
    return [{"value": value, "label": label} for value, label in pairs]


def _ops(table: dict[str, str]) -> list[dict[str, str]]:
    return [{"op": op, "label": label} for op, label in table.items()]


def field_entry(spec: FieldSpec) -> dict[str, Any]:
    entry: dict[str, Any] = {"key": spec.name, "label": spec.label or words.humanize(spec.name),
                             "group": _group(spec), "type": spec.type, "ops": _ops(words.op_labels(spec.type))}
    if spec.type == CHOICE:
        entry["choices"] = _options(words.choice_labels(spec).items())
    return entry


def _pipelines() -> list[dict[str, Any]]:
    stages: dict[int, list[dict[str, Any]]] = {}
    for pk, name, pipeline, kind in PipelineStage.objects.order_by("pipeline_id", "position").values_list(
            "pk", "name", "pipeline_id", "kind"):
        stages.setdefault(pipeline, []).append({"value": pk, "label": name, "kind": kind})
    return [{"value": pk, "label": name, "stages": stages.get(pk, [])}
            for pk, name in Pipeline.objects.order_by("name").values_list("pk", "name")]


def catalogue(custom: dict[str, FieldSpec] | None = None) -> dict[str, Any]:
    """The builder's vocabulary (see the module docstring). `custom` (schema.custom_specs()) is read when not
    given."""
    custom = custom if custom is not None else custom_specs()
    fields = [field_entry(s) for s in FIELDS.values()] + [field_entry(custom[k]) for k in sorted(custom)]
    count_ops = _ops(words.COUNT_OP_LABELS)
    return {
        "version": VERSION,
        "groups": list(GROUPS),
        "fields": fields,
        "conditions": {
            "touchpoints": {
                "label": "Touchpoints", "ops": count_ops, "value": "count", "within_days": True,
                "kinds": _options(TouchpointKind.choices), "channels": _options(Channel.choices),
                "campaigns": _options(Campaign.objects.order_by("name", "pk").values_list("pk", "name")),
                # Text filters, each optional, compared case-insensitively.
                "filters": [{"key": k, "label": label} for k, label in words.TOUCHPOINT_FILTER_LABELS.items()],
            },
            "consent": {
                "label": "Consent", "ops": _ops(words.CONSENT_OP_LABELS), "channels": _options(ConsentChannel.choices),
                "subscriptions": [{"value": code, "label": label, "channel": channel} for code, label, channel in
                                  SubscriptionType.objects.values_list("code", "label", "channel")],
            },
            "lifecycle": {"label": "Lifecycle history", "ops": [{"op": "became", "label": "became"}],
                          "within_days": True, "stages": _options(LifecycleStage.choices)},
            "segment": {"label": "Segment membership", "ops": _ops(words.MEMBER_OP_LABELS),
                        "segments": _options(Segment.objects.order_by("name").values_list("pk", "name"))},
            "deals": {
                "label": "Deals", "ops": count_ops, "value": "count", "default": {"op": "gte", "value": 1},
                "via": _options(words.DEAL_VIA_LABELS.items()), "statuses": _options(Deal.Status.choices),
                "pipelines": _pipelines(), "amount": ["min_amount", "max_amount"],
            },
        },
    }
