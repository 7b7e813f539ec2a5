"""Segments read the change feed: a dynamic segment follows the contacts it can change for.

`segments.membership`: for a batch of events, the contacts each one touches (the subject contact; a touchpoint's
or a form submission's `contact_id`; a company's contacts; a deal's contacts and its company's), and for each dynamic segment the events that can change
its result (`Dependencies.affected_by`; a `segment.entered` / `segment.left` only for the segments reading that
segment's membership). Each segment then re-evaluates just those contacts, set-based
(`evaluation.reconcile`: `Contact.objects.filter(pk__in=ids).filter(predicate)` against their Membership rows),
in dependency order: a segment after the segments it reads, with the contacts evaluated for those added to its own.
The entries and exits it writes are events again, which reach this consumer in a later batch and change nothing
more (a cycle between segments is refused when a predicate is saved, so a chain always ends).

Not atomic: each segment's writes commit in their own short transactions (a batch over many segments would
otherwise hold SQLite's write lock for long), and the whole is idempotent: a batch run again evaluates the same
contacts against the state they are in now, and a contact already in (or out) is written nothing.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable

from django.db.models import Count, Q

from plumbline.crm.models import Contact
from plumbline.events.registry import consumer
from plumbline.events.runner import FeedEvent
from plumbline.segments.evaluation import reconcile
from plumbline.segments.models import Kind, Membership, Segment
from plumbline.segments.predicate.schema import PredicateInvalid, TouchpointCount, custom_specs, leaves
from plumbline.segments.references import Compiled, compiled, evaluation_order

logger = logging.getLogger("plumbline.segments")

CONTACT_SUBJECT = frozenset(
    {
        "contact.created",
        "contact.updated",
        "contact.merged",
        "contact.unmerged",
        "contact.erased",
        "lifecycle.changed",
        "score.changed",
        "consent.granted",
        "consent.withdrawn",
        "consent.requested",
        "segment.entered",
        "segment.left",
    }
)
PAYLOAD_CONTACT = frozenset(
    {"touchpoint.recorded", "touchpoint.corrected", "touchpoint.deleted", "form.submitted"}
)
COMPANY_SUBJECT = frozenset({"company.created", "company.updated"})
DEAL_SUBJECT = frozenset({"deal.created", "deal.moved", "deal.won", "deal.lost"})
SEGMENT_KINDS = frozenset({"segment.entered", "segment.left"})
KINDS = CONTACT_SUBJECT | PAYLOAD_CONTACT | COMPANY_SUBJECT | DEAL_SUBJECT


def contacts_of(event: FeedEvent) -> list[int]:
    """The contacts an event is about (companies are resolved to their contacts by the caller)."""
    if event.kind in CONTACT_SUBJECT:
        ids = [event.subject_id]
        if event.kind == "contact.unmerged":
            ids.append(event.payload.get("restored_id"))
        return [pk for pk in ids if pk is not None]
    if event.kind in PAYLOAD_CONTACT:
        p = event.payload
        return [pk for pk in (p.get("contact_id"), p.get("contact_before")) if pk is not None]
    return []


# score.changed's payload pairs ([before, after]) for the score fields a predicate names; engagement is rounded in
# the payload, so only fit and grade can tell a segment for sure that nothing it reads moved.
SCORE_PAIRS = {"fit_score": "fit", "fit_grade": "grade"}


def _key(event: FeedEvent) -> tuple:
    """What decides whether an event can change a segment: its kind, the fields it changed, the segment it names,
    a new touchpoint's kind, channel and campaign, the score fields that moved."""
    if event.kind == "contact.updated":
        return (event.kind, tuple(sorted(event.payload.get("fields", ()))))
    if event.kind in SEGMENT_KINDS:
        return (event.kind, event.payload.get("segment"))
    if event.kind == "touchpoint.recorded" and "kind" in event.payload:
        p = event.payload
        return (event.kind, (p["kind"], p.get("channel"), p.get("campaign_id")))
    if event.kind == "score.changed" and all(isinstance(event.payload.get(k), list) for k in SCORE_PAIRS.values()):
        pairs = event.payload
        return (event.kind, tuple(sorted(f for f, k in SCORE_PAIRS.items() if pairs[k][0] != pairs[k][1])))
    return (event.kind, None)


def _counts_touchpoint(rule: Compiled, touchpoint: tuple) -> bool:
    """Whether one of the rule's touchpoint counts can count a touchpoint of this kind, channel and campaign."""
    kind, channel, campaign = touchpoint
    for leaf in leaves(rule.predicate.root):
        if isinstance(leaf, TouchpointCount):
            f = leaf.touchpoints
            if ((f.kind is None or f.kind == kind) and (f.channel is None or f.channel == channel)
                    and (f.campaign is None or f.campaign == campaign)):
                return True
    return False


def group(events: Iterable[FeedEvent], *, with_segments: bool) -> dict[tuple, set[int]]:
    """The batch's contacts, grouped by what can decide a segment's interest in them (`_key`)."""
    groups: dict[tuple, set[int]] = defaultdict(set)
    companies: dict[tuple, set[int]] = defaultdict(set)
    deals: dict[tuple, set[int]] = defaultdict(set)
    for e in events:
        if e.kind in SEGMENT_KINDS and not with_segments:
            continue  # no segment reads another's membership: skip parsing their payloads
        if e.kind in COMPANY_SUBJECT:
            companies[_key(e)].add(e.subject_id)
        elif e.kind in DEAL_SUBJECT:
            deals[_key(e)].add(e.subject_id)
        else:
            groups[_key(e)].update(contacts_of(e))
    for key, company_ids in companies.items():
        groups[key].update(Contact.objects.filter(company_id__in=company_ids).values_list("pk", flat=True))
    for key, deal_ids in deals.items():  # a deal counts for its contacts and its company's contacts
        groups[key].update(
            Contact.objects.filter(Q(deal_roles__deal_id__in=deal_ids) | Q(company__deals__in=deal_ids))
            .values_list("pk", flat=True)
            .distinct()
        )
    return groups


def _interested(rule: Compiled, key: tuple) -> bool:
    kind, detail = key
    if kind in SEGMENT_KINDS:
        return detail in rule.segments
    if kind == "touchpoint.recorded" and detail is not None:
        return rule.deps.affected_by(kind) and _counts_touchpoint(rule, detail)
    if kind == "score.changed" and detail is not None and rule.deps.score_fields <= set(SCORE_PAIRS):
        return rule.deps.affected_by(kind) and bool(rule.deps.score_fields & set(detail))
    return rule.deps.affected_by(kind, list(detail) if kind == "contact.updated" else None)


def _rules(segments: dict[int, Segment], custom: dict) -> dict[int, Compiled]:
    rules = {}
    for pk, segment in segments.items():
        try:
            rules[pk] = compiled(segment, custom)
        except PredicateInvalid as exc:  # a custom field it names was deleted: it waits for an edit
            logger.warning("segment %s: its predicate no longer holds (%s); not evaluated", pk, exc.message)
    return rules


def _recount() -> None:
    """Contacts deleted outright take their Membership rows with them (a cascade): set the counts right."""
    counts = dict(Membership.objects.values("segment").annotate(n=Count("pk")).values_list("segment", "n"))
    for pk, stored in Segment.objects.values_list("pk", "member_count"):
        if counts.get(pk, 0) != stored:
            Segment.objects.filter(pk=pk).update(member_count=counts.get(pk, 0))


@consumer("segments.membership", kinds=KINDS, label="Segment membership", atomic=False)
def membership(events: list[FeedEvent]) -> None:
    """Re-evaluate, per dynamic segment, the contacts the batch touched that it depends on (see the module)."""
    segments = {s.pk: s for s in Segment.objects.filter(kind=Kind.DYNAMIC).exclude(predicate=None)}
    if any(e.kind == "contact.erased" for e in events):
        _recount()
    if not segments:
        return
    custom = custom_specs()
    rules = _rules(segments, custom)
    groups = group(events, with_segments=any(rule.segments for rule in rules.values()))
    edges = {pk: rule.segments for pk, rule in rules.items()}
    evaluated: dict[int, set[int]] = {}
    for pk in evaluation_order(edges):
        rule = rules[pk]
        ids: set[int] = set()
        for key, contact_ids in groups.items():
            if _interested(rule, key):
                ids |= contact_ids
        for ref in rule.segments:  # what the segments it reads were just evaluated for, in this batch
            ids |= evaluated.get(ref, set())
        if ids:
            reconcile(segments[pk], ids, custom=custom)
            evaluated[pk] = ids
