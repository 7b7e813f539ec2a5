"""Choosing the rep for an MQL: company owner, then territory rules, then round robin with capacity."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from django.db.models import Count, Q

from plumbline.accounts.models import Role, Team, User
from plumbline.crm.models import Contact
from plumbline.handoff.models import RoundRobinState, Territory

SELLING_ROLES = (Role.SALES, Role.SALES_MANAGER)


@dataclass(frozen=True)
class Choice:
    rep: User
    method: str
    reason: str


def available(
    users: list[User] | None = None, *, team: Team | None = None, exclude: set[int] = frozenset(),
    include_full: bool = False,
):
    """Active, in-office sellers under their capacity (with `include_full`, at it too), with their open-lead
    counts."""
    qs = User.objects.filter(is_active=True, is_out_of_office=False, role__in=SELLING_ROLES).exclude(pk__in=exclude)
    if team is not None:
        qs = qs.filter(team=team)
    if users is not None:
        qs = qs.filter(pk__in=[u.pk for u in users])
    qs = qs.annotate(open_leads=Count("assignments", filter=Q(assignments__status="open")))
    return [u for u in qs.order_by("id") if include_full or u.open_leads < u.capacity]


class CompanyFacts(Protocol):
    """What territory rules read of a company (a Company, or the bulk router's row)."""

    country: str
    industry: str
    employee_count: int | None


def territory_matches(t: Territory, company: CompanyFacts | None) -> bool:
    """Whether a lead of `company` (None: the contact has no company) falls in territory `t`."""
    if company is None:
        return not (t.countries or t.industries or t.min_employees or t.max_employees)
    if t.countries and company.country.upper() not in {c.upper() for c in t.countries}:
        return False
    if t.industries and company.industry.lower() not in {i.lower() for i in t.industries}:
        return False
    size = company.employee_count
    if t.min_employees is not None and (size is None or size < t.min_employees):
        return False
    return not (t.max_employees is not None and (size is None or size > t.max_employees))


def _round_robin(team: Team, exclude: set[int]) -> User | None:
    candidates = available(team=team, exclude=exclude)
    if not candidates:
        return None
    state, _ = RoundRobinState.objects.select_for_update().get_or_create(team=team)
    last = state.last_user_id or 0
    chosen = next((u for u in candidates if u.pk > last), candidates[0])
    state.last_user = chosen
    state.save(update_fields=["last_user"])
    return chosen


def choose_rep(contact: Contact, *, exclude: set[int] = frozenset()) -> Choice | None:
    """The rep for this lead and why, or None when nobody is available. Never an inactive or out-of-office rep."""
    company = contact.company
    if company is not None and company.owner_id and company.owner_id not in exclude:
        if available([company.owner]):
            return Choice(company.owner, "company_owner", f"Owner of {company.name}")
    for territory in Territory.objects.filter(is_active=True).select_related("rep", "team"):
        if not territory_matches(territory, company):
            continue
        if territory.rep_id and territory.rep_id not in exclude and available([territory.rep]):
            return Choice(territory.rep, "territory", f"Territory {territory.name}")
        if territory.team_id:
            rep = _round_robin(territory.team, exclude)
            if rep is not None:
                return Choice(rep, "territory", f"Territory {territory.name}, round robin in {territory.team.name}")
    for team in Team.objects.filter(kind=Team.Kind.SALES).order_by("id"):
        rep = _round_robin(team, exclude)
        if rep is not None:
            return Choice(rep, "round_robin", f"Round robin in {team.name}")
    return None
