"""Scoring writes: compute and store a contact's scores, promote it to MQL when the rule holds, recycle. The
predictive model's writes (train, store, activate) are in scoring/predictive/actions.py; reads in queries.py."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from plumbline.crm.actions import do_change_lifecycle
from plumbline.crm.models import Contact, LifecycleTransition
from plumbline.definitions.models import DefinitionVersion
from plumbline.definitions.queries import current_version, parsed
from plumbline.events.actions import EventSpec, emit_many
from plumbline.scoring import hot
from plumbline.scoring.engine import RuleContext, explain_rule
from plumbline.scoring.models import ContactScore
from plumbline.scoring.queries import score_fields


@dataclass
class ScoreOutcome:
    score: ContactScore
    mql: LifecycleTransition | None


# No savepoint of its own: it is one transaction when called alone, and part of its caller's otherwise (the
# worker's batch gives each contact a savepoint); a savepoint per call would cost two more round trips per event.
# It runs after every event, so its reads and writes are the hand-written statements of scoring/hot.py.
@transaction.atomic(savepoint=False)
def do_score_contact(
    *, contact: Contact, now: dt.datetime | None = None, reason: str = "event", promote: bool = True,
    version: DefinitionVersion | None = None,
) -> ScoreOutcome:
    """Recompute fit and engagement for one contact, store them with the definitions version, and promote
    the contact to MQL (recording the rule and version in the transition) when the MQL rule holds. With an
    active predictive model, the contact's probability of becoming a customer and its top factors are stored too."""
    explicit_now = now is not None
    now = now or timezone.now()
    state = hot.load(contact.pk)  # one statement: the contact (locked), company, score, definitions and model keys
    version, plumb, fit_result, eng, fields = score_fields(state, now=now, explicit_now=explicit_now, version=version)
    row = state.contact
    # The contact row is locked, so nobody else writes its score meanwhile: one UPDATE or one INSERT.
    hot.save_score(row.id, fields, exists=state.score is not None)
    # History grows when the score moves from the one stored (the bulk rescore follows the same rule).
    now_key = (fit_result.score, fit_result.grade, round(eng.score), version.number)
    if state.score is None or now_key != (state.score[0], state.score[1], round(state.score[2]), state.score[3]):
        hot.append_history(row.id, {
            "fit_score": fit_result.score, "fit_grade": fit_result.grade, "engagement_score": eng.score,
            "definition_version": version.number, "computed_at": now, "reason": reason[:100]})
    ctx = RuleContext(fit_result.score, fit_result.grade, eng.score, frozenset(eng.kinds), row.lifecycle_stage)
    held, why = explain_rule(plumb.mql.when, ctx)
    transition = None
    if promote and held and row.lifecycle_stage in plumb.mql.eligible_stages:
        transition = do_change_lifecycle(
            contact=Contact.objects.get(pk=row.id), to_stage="mql", source="automation",
            definition_version=version.number, reason=f"{plumb.mql.name} (definitions v{version.number}): {why}"[:500],
            occurred_at=now,
        )
    emit_score_events(row.id, state.score, fields, transition, reason=reason, now=now)
    return ScoreOutcome(hot.score_instance(row.id, fields), transition)


def emit_score_events(
    contact_id: int, before: tuple[Any, ...] | None, fields: dict[str, Any], transition: LifecycleTransition | None,
    *, reason: str, now: dt.datetime,
) -> None:
    """`score.changed` when fit, grade or the rounded engagement moved (not for decay of a fraction of a point),
    and `lead.mql_reached` when the contact was promoted: handoff routes it from there."""
    old = (before[0], before[1], round(before[2])) if before else (None, None, None)
    new = (fields["fit_score"], fields["fit_grade"], round(fields["engagement_score"]))
    specs = []
    if old != new:
        specs.append(EventSpec(kind="score.changed", subject_type="contact", subject_id=contact_id, occurred_at=now,
                               payload={"fit": [old[0], new[0]], "grade": [old[1], new[1]],
                                        "engagement": [old[2], new[2]],
                                        "definition_version": fields["definition_version"], "reason": reason[:100]}))
    if transition is not None:
        specs.append(EventSpec(kind="lead.mql_reached", subject_type="contact", subject_id=contact_id, occurred_at=now,
                               payload={"transition_id": transition.pk, "fit": new[0], "grade": new[1],
                                        "engagement": new[2], "definition_version": transition.definition_version}))
    emit_many(specs)


@transaction.atomic
def do_reset_engagement(*, contact: Contact, mode: str, now: dt.datetime | None = None) -> None:
    """Recycle rule: 'zero' ignores every earlier touchpoint, 'halve' ages them by one half-life, 'keep' nothing."""
    if mode == "keep":
        return
    now = now or timezone.now()
    plumb = parsed(current_version())
    score, _ = ContactScore.objects.get_or_create(
        contact=contact, defaults={"definition_version": current_version().number, "computed_at": now}
    )
    if mode == "zero":
        score.engagement_floor_at = now
    elif mode == "halve":
        # Older events already lose half each half-life; dropping those older than one half-life halves the rest.
        score.engagement_floor_at = now - dt.timedelta(days=plumb.engagement.half_life_days)
    score.save(update_fields=["engagement_floor_at"])
    do_score_contact(contact=contact, now=now, reason="recycled", promote=False)
