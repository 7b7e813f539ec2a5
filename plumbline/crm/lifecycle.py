"""Which lifecycle moves make sense. Data, so the UI can show the allowed moves and the API can explain refusals."""

from __future__ import annotations

from plumbline.crm.models import LifecycleStage as S

FUNNEL = [S.SUBSCRIBER, S.LEAD, S.MQL, S.SAL, S.SQL, S.OPPORTUNITY, S.CUSTOMER, S.EVANGELIST]
PRE_CUSTOMER = FUNNEL[: FUNNEL.index(S.CUSTOMER)]

# Backward moves that are legitimate, each needing a reason: recycling to nurture, churn, re-engagement.
BACKWARD = {
    S.MQL: {S.LEAD},
    S.SAL: {S.LEAD},
    S.SQL: {S.LEAD},
    S.OPPORTUNITY: {S.LEAD, S.SQL},
    S.CUSTOMER: {S.PAST_CUSTOMER},
    S.EVANGELIST: {S.PAST_CUSTOMER},
    S.PAST_CUSTOMER: {S.OPPORTUNITY, S.CUSTOMER},
    S.DISQUALIFIED: {S.LEAD},
}


def allowed_moves(current: str) -> list[str]:
    """Every stage `current` may move to, in funnel order."""
    moves: set[str] = set(BACKWARD.get(S(current), set()))
    if current in FUNNEL:
        moves.update(FUNNEL[FUNNEL.index(current) + 1 :])
    if current in PRE_CUSTOMER:
        moves.add(S.DISQUALIFIED)
    order = [*FUNNEL, S.PAST_CUSTOMER, S.DISQUALIFIED]
    return [str(s) for s in order if s in moves]


def needs_reason(current: str, target: str) -> bool:
    """Backward moves and disqualification must say why."""
    if target == S.DISQUALIFIED:
        return True
    return target in BACKWARD.get(S(current), set())


def refusal(current: str, target: str) -> str | None:
    """Why the move `current -> target` is refused, or None when it is allowed."""
    if target not in S.values:
        return f"Unknown lifecycle stage {target!r}; choose one of {', '.join(S.values)}."
    if current == target:
        return f"The contact is already a {S(target).label}."
    if target not in allowed_moves(current):
        ok = ", ".join(allowed_moves(current)) or "none"
        return f"A {S(current).label} cannot move to {S(target).label}. Allowed: {ok}."
    return None
