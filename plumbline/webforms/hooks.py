"""What webforms adds to the CRM below it (crm.hooks): submissions and flow answers on the contact's timeline,
and its part of the privacy export and erasure. (A merge moves both tables with every other table that belongs to a
contact, and its undo moves them back: crm.actions.merges.)"""

from __future__ import annotations

from typing import Any

from plumbline.crm.hooks import (
    TimelineEntry,
    TimelineSource,
    register_eraser,
    register_exporter,
    register_timeline_source,
)
from plumbline.webforms.models import FlowAnswer, Submission
from plumbline.webforms.queries import timeline_flow_answers, timeline_submissions


def _shown(value: Any) -> str:
    return "yes" if value is True else str(value)


def _submission_entry(s: Submission) -> TimelineEntry:
    labels = {f.key: f.label for f in s.form.fields.all()}
    detail = " · ".join(f"{labels.get(k, k)}: {_shown(v)}" for k, v in s.answers.items()
                        if v not in ("", None, False))[:300]
    return TimelineEntry("form_submission", s.submitted_at, f"Submitted the form {s.form.name}", detail, s)


def _flow_entry(a: FlowAnswer) -> TimelineEntry:
    definition = a.flow.definition or {}
    questions = {s["key"]: s["question"] for s in definition.get("steps", [])}
    results = {r["key"]: r["title"] for r in definition.get("results", [])}
    detail = " · ".join(f"{questions.get(k, k)} {v}" for k, v in a.answers.items())[:300]
    return TimelineEntry("flow_answer", a.answered_at, f"Answered {a.flow.name}: {results.get(a.result, a.result)}",
                         detail, a)


def export_contact(contact: Any) -> dict:
    """Everything webforms holds about the contact, for the privacy export."""
    return {
        "submissions": [
            {"form": s.form.name, "answers": s.answers, "utm": s.utm, "page_url": s.page_url,
             "submitted_at": s.submitted_at.isoformat()}
            for s in Submission.objects.filter(contact=contact).select_related("form").order_by("submitted_at")
        ],
        "flow_answers": [
            {"flow": a.flow.name, "answers": a.answers, "result": a.result, "answered_at": a.answered_at.isoformat()}
            for a in FlowAnswer.objects.filter(contact=contact).select_related("flow").order_by("answered_at")
        ],
    }


def erase_contacts(contact_ids: list[int]) -> None:
    """Erasure: the submissions and flow answers stay on the anonymised contact (so per-form and per-result
    counts do not change) without anything personal: no answers, visitor id, page or hashed address."""
    Submission.objects.filter(contact_id__in=contact_ids).update(
        answers={}, visitor_id="", page_url="", ip_hash="", idempotency_key=None)
    FlowAnswer.objects.filter(contact_id__in=contact_ids).update(answers={})


def register() -> None:
    register_timeline_source(TimelineSource("form_submission", 60, timeline_submissions, _submission_entry))
    register_timeline_source(TimelineSource("flow_answer", 65, timeline_flow_answers, _flow_entry))
    register_eraser("webforms", erase_contacts)
    register_exporter("webforms", export_contact)
