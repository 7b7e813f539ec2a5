"""Scoring reads: a contact's score computed and explained without storing it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from plumbline.crm.models import Contact
from plumbline.definitions.models import DefinitionVersion
from plumbline.definitions.queries import definitions_for, parsed
from plumbline.definitions.schema import PlumbLine
from plumbline.scoring import hot
from plumbline.scoring.engine import Profile, engagement, fit, rule_kinds_text
from plumbline.scoring.models import ContactScore
from plumbline.scoring.predictive.predict import prediction_for


def score_fields(
    state: hot.Loaded, *, now: dt.datetime, explicit_now: bool, version: DefinitionVersion | None,
) -> tuple[DefinitionVersion, PlumbLine, Any, Any, dict[str, Any]]:
    """Fit, engagement and prediction of a loaded contact, and the score fields they make; writes nothing."""
    if version is None:
        version, plumb = definitions_for(state.definitions_key)
    else:
        plumb = parsed(version)
    row = state.contact
    floor_at = state.score[4] if state.score else None
    fit_result = fit(Profile.of(row, state.company), plumb.icp)
    eng = engagement(hot.events(row.id, floor_at), plumb.engagement, now=now,
                     email_domain=row.email.rsplit("@", 1)[-1], floor_at=floor_at)
    explanation = {"fit": fit_result.contributions, "engagement": eng.contributions[:25],
                   "engagement_events": len(eng.contributions)}
    prediction = prediction_for(row.id, now=now, explicit_now=explicit_now, model_key=state.model_key)
    if prediction is not None:
        explanation["predictive"] = prediction.factors
    fields = {
        "fit_score": fit_result.score, "fit_grade": fit_result.grade, "engagement_score": eng.score,
        "definition_version": version.number, "computed_at": now, "explanation": explanation,
        "engagement_floor_at": floor_at, "decay_basis_at": now, "engagement_decaying": eng.decaying,
        "last_event_at": eng.last_event_at, "rule_kinds": rule_kinds_text(plumb.mql.when, eng.kinds),
        "predictive_probability": prediction.probability if prediction else None,
        "model_version": prediction.model_version if prediction else None,
    }
    return version, plumb, fit_result, eng, fields


def explain_score(*, contact: Contact, now: dt.datetime | None = None) -> ContactScore:
    """The contact's score computed now with every rule explained, without storing it: what a page or a GET shows
    for a contact never scored, or rescored in bulk without the detail. Reads never write; the worker stores."""
    explicit_now = now is not None
    state = hot.load(contact.pk, lock=False)
    *_, fields = score_fields(state, now=now or timezone.now(), explicit_now=explicit_now, version=None)
    return hot.score_instance(contact.pk, fields)
