"""Scoring writes: compute and store a contact's scores, promote it to MQL when the rule holds, recycle."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from plumbline.crm.actions import do_change_lifecycle
from plumbline.crm.models import Activity, Contact, LifecycleTransition
from plumbline.definitions.models import DefinitionVersion
from plumbline.definitions.queries import current_version, parsed
from plumbline.marketing.models import Touchpoint
from plumbline.scoring.engine import Event, Profile, RuleContext, engagement, explain_rule, fit
from plumbline.scoring.models import ContactScore, ScoreHistory


@dataclass
class ScoreOutcome:
    score: ContactScore
    mql: LifecycleTransition | None
    rule_reason: str


def events_of(contact: Contact, since: dt.datetime | None = None) -> list[Event]:
    """Touchpoints and the owner's sales activities of a contact, as scoring events."""
    tps = Touchpoint.objects.filter(contact=contact)
    acts = Activity.objects.filter(contact=contact, kind__in=["call", "meeting", "email"])
    if since is not None:
        tps, acts = tps.filter(occurred_at__gte=since), acts.filter(occurred_at__gte=since)
    events = [
        Event(kind=k, occurred_at=t, campaign=u, content=c, ref=pk)
        for pk, k, t, u, c in tps.values_list("pk", "kind", "occurred_at", "utm_campaign", "content")
    ]
    events += [Event(kind=k, occurred_at=t, source="activity", ref=pk)
               for pk, k, t in acts.values_list("pk", "kind", "occurred_at")]
    return events


@transaction.atomic
def do_score_contact(
    *, contact: Contact, now: dt.datetime | None = None, reason: str = "event", promote: bool = True,
    version: DefinitionVersion | None = None,
) -> ScoreOutcome:
    """Recompute fit and engagement for one contact, store them with the definitions version, and promote
    the contact to MQL (recording the rule and version in the transition) when the MQL rule holds."""
    now = now or timezone.now()
    version = version or current_version()
    plumb = parsed(version)
    contact = Contact.objects.select_related("company").select_for_update(of=("self",)).get(pk=contact.pk)
    existing = ContactScore.objects.filter(contact=contact).first()
    floor_at = existing.engagement_floor_at if existing else None
    fit_result = fit(Profile.of(contact, contact.company), plumb.icp)
    eng = engagement(events_of(contact, floor_at), plumb.engagement, now=now,
                     email_domain=contact.email.rsplit("@", 1)[-1], floor_at=floor_at)
    explanation = {"fit": fit_result.contributions, "engagement": eng.contributions[:25],
                   "engagement_events": len(eng.contributions)}
    score, _ = ContactScore.objects.update_or_create(contact=contact, defaults={
        "fit_score": fit_result.score, "fit_grade": fit_result.grade, "engagement_score": eng.score,
        "definition_version": version.number, "computed_at": now, "explanation": explanation,
        "engagement_floor_at": floor_at,
    })
    last = ScoreHistory.objects.filter(contact=contact).first()
    if last is None or (last.fit_score, last.fit_grade, round(last.engagement_score), last.definition_version) != (
        score.fit_score, score.fit_grade, round(score.engagement_score), version.number
    ):
        ScoreHistory.objects.create(
            contact=contact, fit_score=score.fit_score, fit_grade=score.fit_grade,
            engagement_score=score.engagement_score, definition_version=version.number, computed_at=now,
            reason=reason[:100],
        )
    ctx = RuleContext(fit_result.score, fit_result.grade, eng.score, frozenset(eng.kinds), contact.lifecycle_stage)
    held, why = explain_rule(plumb.mql.when, ctx)
    transition = None
    if promote and held and contact.lifecycle_stage in plumb.mql.eligible_stages:
        transition = do_change_lifecycle(
            contact=contact, to_stage="mql", source="automation", definition_version=version.number,
            reason=f"{plumb.mql.name} (definitions v{version.number}): {why}"[:500], occurred_at=now,
        )
    return ScoreOutcome(score, transition, why)


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


def score_many(contact_ids: list[int], *, reason: str = "event", now: Any = None) -> int:
    """Rescore each contact (one transaction each, so one failure does not undo the others)."""
    version = current_version()
    done = 0
    for contact in Contact.objects.filter(pk__in=contact_ids):
        do_score_contact(contact=contact, now=now, reason=reason, version=version)
        done += 1
    return done
