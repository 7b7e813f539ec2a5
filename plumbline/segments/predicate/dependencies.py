"""What a predicate reads, so a consumer of the change feed re-evaluates only the segments an event can change.

    >>> from plumbline.segments.predicate.schema import parse
    >>> deps = dependencies(parse({"all": [{"field": "company.industry", "op": "eq", "value": "Retail"},
    ...                                    {"touchpoints": {"kind": "page_view"}, "op": "gte", "value": 3}]}))
    >>> sorted(deps.events)
    ['company.updated', 'contact.updated', 'touchpoint.corrected', 'touchpoint.deleted', 'touchpoint.recorded']
    >>> deps.contact_fields
    frozenset({'company'})

A segment condition names the segment it reads, so a caller can refuse a cycle (a segment whose rule reads
itself, directly or through others) and evaluate the segments read first; a deal condition is `relative`:
deal edits emit no event about the contact, so only a periodic pass sees them.

    >>> deps = dependencies(parse({"any": [{"segment": 7, "op": "not_member"}, {"deals": {"status": "won"}}]},
    ...                           segments={7}))
    >>> deps.segments, deps.relative, deps.affected_by("segment.left", segment=8)
    (frozenset({7}), True, False)
    >>> sorted(deps.events)
    ['deal.created', 'deal.lost', 'deal.moved', 'deal.won', 'segment.entered', 'segment.left']
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from plumbline.segments.predicate.schema import (
    AllOf,
    AnyOf,
    ConsentCondition,
    DealCount,
    FieldCondition,
    LifecycleCondition,
    Not,
    Predicate,
    SegmentCondition,
)

# Every predicate's result can change when the contact appears, disappears or is merged.
ALWAYS = frozenset({"contact.created", "contact.merged", "contact.unmerged", "contact.erased"})


@dataclass(frozen=True)
class Dependencies:
    """`contact_fields`: the Contact fields read (a `contact.updated` event naming none of them changes nothing;
    `company` stands for the company link); `company_fields` and `score_fields` likewise (`custom` for the custom
    JSON); `events`: the event kinds that can change the result, `ALWAYS` aside; `relative`: the result can change
    without an event about the contact, so a periodic re-evaluation is needed: with time alone (a `within_days`
    window, a relative date), or through a deal (a deal's amount, company and contact roles change with no event;
    and deal events name the deal, not its contacts); `segments`: the ids of the segments whose membership is read
    (a segment condition), so a caller can refuse cycles and evaluate those segments first."""

    contact_fields: frozenset[str]
    company_fields: frozenset[str]
    score_fields: frozenset[str]
    events: frozenset[str]
    relative: bool
    segments: frozenset[int] = frozenset()

    def affected_by(self, kind: str, changed_fields: list[str] | None = None, *,
                    segment: int | None = None) -> bool:
        """Whether an event of `kind` (with, for contact.updated, the fields it changed; for segment.entered and
        segment.left, the segment its payload names) can change the result."""
        if kind in ALWAYS:
            return True
        if kind not in self.events:
            return False
        if kind == "contact.updated" and changed_fields is not None:
            return bool(self.contact_fields & set(changed_fields))
        if kind in ("segment.entered", "segment.left") and segment is not None:
            return segment in self.segments
        return True


DEAL_EVENTS = frozenset({"deal.created", "deal.moved", "deal.won", "deal.lost"})


def _walk(node: Any, out: dict[str, set], flags: dict[str, bool]) -> None:
    if isinstance(node, (AnyOf, AllOf)):
        for child in node.any if isinstance(node, AnyOf) else node.all:
            _walk(child, out, flags)
    elif isinstance(node, Not):
        _walk(node.not_, out, flags)
    elif isinstance(node, FieldCondition):
        source, _, rest = node.field.partition(".")
        if node.field in ("created_at", "lifecycle_changed_at", "score.last_event_at"):
            flags["relative"] = True  # compared with {"days_ago": n}: time alone moves the boundary
        if node.field.startswith("company."):
            out["contact"].add("company")
            out["company"].add(rest.partition(".")[0])  # company.custom.<key>: the `custom` JSON
            out["events"] |= {"contact.updated", "company.updated"}
        elif node.field.startswith("score."):
            out["score"].add(rest)
            out["events"].add("score.changed")
        elif node.field.startswith("custom."):
            out["contact"].add("custom")
            out["events"].add("contact.updated")
        else:
            out["contact"].add(node.field)
            out["events"].add("contact.updated")
            if node.field in ("lifecycle_stage", "lifecycle_changed_at"):
                out["events"].add("lifecycle.changed")
            if node.field == "consent_status":
                out["events"] |= {"consent.granted", "consent.withdrawn", "consent.requested"}
    elif isinstance(node, ConsentCondition):
        out["events"] |= {"consent.granted", "consent.withdrawn", "consent.requested"}
    elif isinstance(node, LifecycleCondition):
        out["events"].add("lifecycle.changed")
        flags["relative"] = flags["relative"] or node.within_days is not None
    elif isinstance(node, SegmentCondition):
        out["events"] |= {"segment.entered", "segment.left"}
        out["segments"].add(node.segment)
    elif isinstance(node, DealCount):
        out["events"] |= DEAL_EVENTS
        flags["relative"] = True
        if node.deals.via == "company":
            out["contact"].add("company")
            out["events"].add("contact.updated")
    else:  # TouchpointCount
        out["events"] |= {"touchpoint.recorded", "touchpoint.corrected", "touchpoint.deleted"}
        flags["relative"] = flags["relative"] or node.within_days is not None


def dependencies(predicate: Predicate | Any) -> Dependencies:
    node = predicate.root if isinstance(predicate, Predicate) else predicate
    out: dict[str, set] = {"contact": set(), "company": set(), "score": set(), "events": set(), "segments": set()}
    flags = {"relative": False}
    _walk(node, out, flags)
    return Dependencies(frozenset(out["contact"]), frozenset(out["company"]), frozenset(out["score"]),
                        frozenset(out["events"]), flags["relative"], frozenset(out["segments"]))
