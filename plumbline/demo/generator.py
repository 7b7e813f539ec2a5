"""The demo company, Northwind Analytics: a deterministic, realistic B2B book of business.

Small objects (users, teams, the pipeline, campaigns, the qualification frameworks and the messaging library) go
through the real actions. The big tables (companies, contacts, touchpoints, lifecycle and deal transitions, deals,
activities, the deals' qualification answers, objections) are generated in chunks with numpy and bulk-inserted
(COPY on PostgreSQL, executemany on SQLite), one transaction per chunk, so memory stays bounded at a million
contacts; each chunk's touchpoints update their contacts' first touches in one statement, as the actions do. The same seed and as-of date give the same data.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from django.contrib.auth.hashers import make_password
from django.db import transaction

from plumbline.accounts.actions import check_password_rules, do_create_user
from plumbline.accounts.models import Team, User
from plumbline.core import bulk
from plumbline.crm.actions import do_create_pipeline
from plumbline.crm.models import (
    Activity,
    Company,
    Contact,
    Deal,
    DealContact,
    DealTransition,
    LifecycleTransition,
)
from plumbline.demo import playbook_rows, vocab
from plumbline.demo.campaigns import CHANNEL_BEHAVIOUR, CONTENT_BY_KIND, SOURCE_LABEL, CampaignSpec, catalogue
from plumbline.demo.journeys import (
    DAY,
    ENGAGEMENT,
    OUTCOME_P,
    OUTCOMES,
    PERSONAL_CAP,
    Draws,
    Rows,
    Story,
    World,
    tell,
    weighted_labels,
)
from plumbline.demo.library import Playbook, make_playbook
from plumbline.demo.worklist import plant_worklist
from plumbline.marketing import first_touch
from plumbline.marketing.actions import do_create_campaign
from plumbline.marketing.models import Campaign, FirstTouchpoint, Touchpoint
from plumbline.playbook.models import DealQualification, Objection

DEMO_PASSWORD = "northwind-demo"
DEMO_USERS = (
    ("admin", "admin", "Ada", "Admin"), ("marketing", "marketing", "Maya", "Marketer"),
    ("rep1", "sales", "Ravi", "Rep"), ("rep2", "sales", "Rosa", "Rep"),
    ("manager", "sales_manager", "Max", "Manager"), ("viewer", "viewer", "Vic", "Viewer"),
)
WINDOW_DAYS = 540
CHUNK = 20_000
CONTACTS_PER_COMPANY = 8
BULK_MODE_CONTACTS = 50_000  # from here on, rebuilding indexes once beats maintaining them row by row
PIPELINE_STAGES = [
    {"name": "Discovery", "probability": 10}, {"name": "Demo", "probability": 25},
    {"name": "Proposal", "probability": 50}, {"name": "Negotiation", "probability": 75},
    {"name": "Closed won", "probability": 100, "kind": "won"}, {"name": "Closed lost", "probability": 0, "kind": "lost"},
]
_DIAL = {"US": "1", "CA": "1", "GB": "44", "DE": "49", "FR": "33", "NL": "31", "SE": "46", "ES": "34", "AU": "61",
         "IN": "91", "JP": "81", "BR": "55"}
_TLDS = ("com", "io", "co", "net", "ai", "tech", "app", "dev", "biz", "cloud", "online")

Progress = Callable[[int, int], None]


@dataclass
class DemoTotals:
    """What the loader wrote; the tests compare it with the database."""

    users: int = 0
    campaigns: int = 0
    companies: int = 0
    contacts: int = 0
    touchpoints: int = 0
    lifecycle_transitions: int = 0
    deals: int = 0
    deal_transitions: int = 0
    deal_contacts: int = 0
    activities: int = 0
    frameworks: int = 0
    messaging_items: int = 0
    qualification_answers: int = 0
    objections: int = 0
    notifications: int = 0
    won_amount: int = 0
    final_stages: Counter = field(default_factory=Counter)
    deal_status: Counter = field(default_factory=Counter)
    objection_categories: Counter = field(default_factory=Counter)


def demo_users_exist() -> bool:
    return User.objects.filter(username__in=[u[0] for u in DEMO_USERS]).exists()


def load_demo(
    *, contacts: int = 2000, seed: int = 1, as_of: dt.date | None = None, touchpoints_per_contact: float = 20.0,
    progress: Progress | None = None,
) -> DemoTotals:
    """Load the demo company; `as_of` (default today, UTC) is the last day of its history."""
    as_of = as_of or dt.datetime.now(dt.UTC).date()
    totals = DemoTotals()
    with transaction.atomic():
        users = _users()
        pipeline = do_create_pipeline(name="New business", stages=PIPELINE_STAGES, is_default=True)
        stage_ids = list(pipeline.stages.order_by("position").values_list("pk", flat=True))
        specs = catalogue(as_of, WINDOW_DAYS, np.random.default_rng([seed, 1]))
        campaigns = _campaigns(specs, users)
        playbook = make_playbook(users=users, pipeline=pipeline)
    totals.users, totals.campaigns = len(users), len(campaigns)
    totals.frameworks, totals.messaging_items = playbook.frameworks, playbook.items
    plan = _Plan.make(contacts, seed, as_of, specs, campaigns, users, stage_ids, touchpoints_per_contact, pipeline.pk,
                      playbook)
    with transaction.atomic():
        totals.companies = _companies(plan)
    big = (Touchpoint, FirstTouchpoint, LifecycleTransition, Activity, DealTransition, DealContact, Deal, Contact,
           DealQualification, Objection)
    with bulk.indexes_deferred(big if contacts >= BULK_MODE_CONTACTS else ()):
        for start in range(0, contacts, CHUNK):
            with transaction.atomic():
                _chunk(plan, start, min(start + CHUNK, contacts), totals)
            if progress:
                progress(min(start + CHUNK, contacts), contacts)
    bulk.reset_sequences([Company, Contact, Deal])
    with transaction.atomic():
        worklist_tasks, totals.notifications = plant_worklist(users, as_of)
        totals.activities += worklist_tasks
    if contacts >= BULK_MODE_CONTACTS:
        bulk.analyze((Company, *big))
    return totals


def _users() -> dict[str, User]:
    marketing = Team.objects.create(name="Marketing", kind=Team.Kind.MARKETING)
    sales = Team.objects.create(name="Sales", kind=Team.Kind.SALES)
    made = {}
    for username, role, first, last in DEMO_USERS:
        team = marketing if role == "marketing" else sales if role in ("sales", "sales_manager") else None
        made[username] = do_create_user(
            username=username, password=None, role=role, email=f"{username}@northwind-analytics.example",
            first_name=first, last_name=last, team=team,
        )
    sales.manager = made["manager"]
    sales.save(update_fields=["manager"])
    # One shared demo password: hashing it once instead of six times saves seconds on every `make demo`.
    # It is checked by the validators once, without a user: it is published (README, `make demo`), so its
    # likeness to the demo addresses (northwind-...) is no secret to keep; every other path checks with the user.
    check_password_rules(DEMO_PASSWORD)
    User.objects.filter(pk__in=[u.pk for u in made.values()]).update(password=make_password(DEMO_PASSWORD))
    return made


def _campaigns(specs: list[CampaignSpec], users: dict[str, User]) -> list[Campaign]:
    made = []
    for spec in specs:
        owner = users["manager"] if spec.channel == "outbound" else users["marketing"]
        made.append(do_create_campaign(
            name=spec.name, channel=spec.channel, cost=spec.cost, starts_on=spec.starts_on, ends_on=spec.ends_on,
            owner=owner, landing_url="https://northwind-analytics.example/" + ("go" if spec.channel == "print" else ""),
            description=f"{SOURCE_LABEL[spec.channel]} campaign of Northwind Analytics.",
        ))
    return made


@dataclass
class _Plan:
    """Everything the chunks share: ids, campaign tables and the company book."""

    contacts: int
    seed: int
    as_of: int
    window_start: int
    tp_mean: float
    pipeline_id: int
    world: World
    rep_ids: list[int]
    first_contact_id: int
    first_company_id: int
    n_companies: int
    camp_ids: np.ndarray
    camp_channel: list[str]
    camp_cum: np.ndarray  # (days, campaigns) cumulative choice probabilities of the campaigns active that day
    camp_cols: dict[str, np.ndarray]  # per campaign: source, medium, utm_campaign
    book: playbook_rows.Book
    company_names: list[str] = field(default_factory=list)
    company_domains: list[str] = field(default_factory=list)
    company_employees: np.ndarray | None = None
    company_country: list[str] = field(default_factory=list)

    @classmethod
    def make(cls, contacts: int, seed: int, as_of: dt.date, specs: list[CampaignSpec], campaigns: list[Campaign],
             users: dict[str, User], stage_ids: list[int], tp_mean: float, pipeline_id: int,
             playbook: Playbook) -> _Plan:
        end = int(dt.datetime.combine(as_of, dt.time(18), dt.UTC).timestamp())
        # Day d of the window is the calendar date as_of - WINDOW_DAYS + d (UTC), so campaign dates line up.
        window_start = int(dt.datetime.combine(as_of, dt.time(0), dt.UTC).timestamp()) - WINDOW_DAYS * DAY
        days = WINDOW_DAYS + 1
        weights = np.zeros((days, len(specs)))
        for c, spec in enumerate(specs):
            first = (spec.starts_on - as_of).days + WINDOW_DAYS
            last = WINDOW_DAYS if spec.ends_on is None else (spec.ends_on - as_of).days + WINDOW_DAYS
            weights[max(first, 0):last + 1, c] = spec.weight
        cum = np.cumsum(weights, axis=1)
        cum /= cum[:, -1:]
        behaviour = [CHANNEL_BEHAVIOUR[s.channel] for s in specs]
        names = [s.name for s in specs]
        world = World(
            as_of=end, marketing_id=users["marketing"].pk, stage_ids=stage_ids,
            website_campaign=names.index("Website"), content_campaign=names.index("Organic search and blog"),
            next_deal_id=bulk.next_id(Deal),
        )
        rep_ids = [users[u].pk for u in ("rep1", "rep2", "rep1", "rep2", "manager")]
        book = playbook_rows.Book(
            as_of=end, stage_ids=stage_ids, stage_names=[s["name"] for s in PIPELINE_STAGES],
            criteria=playbook.criteria, response_by_category=playbook.response_by_category,
            camp_ids=np.array([c.pk for c in campaigns]), camp_channel=np.array([s.channel for s in specs]),
            company_industry=np.array([], dtype=str), rep_ids=rep_ids,
        )
        return cls(
            contacts=contacts, seed=seed, as_of=end, window_start=window_start, tp_mean=tp_mean, world=world,
            pipeline_id=pipeline_id, book=book, rep_ids=rep_ids,
            first_contact_id=bulk.next_id(Contact), first_company_id=bulk.next_id(Company),
            n_companies=max(1, -(-contacts // CONTACTS_PER_COMPANY)),
            camp_ids=np.array([c.pk for c in campaigns]), camp_channel=[s.channel for s in specs], camp_cum=cum,
            camp_cols={
                "source": np.array([b[1] for b in behaviour]), "medium": np.array([b[2] for b in behaviour]),
                "utm": np.array([c.utm_campaign if b[3] else "" for c, b in zip(campaigns, behaviour, strict=True)]),
            },
        )


def _ts(epochs: np.ndarray | list) -> list[str]:
    """Epoch seconds -> 'YYYY-MM-DD HH:MM:SS' (UTC), the text both databases read for a timestamp."""
    text = np.asarray(epochs, dtype="int64").astype("datetime64[s]").astype("S19")
    text.view("S1").reshape(-1, 19)[:, 10] = b" "
    return text.astype("U19").tolist()


def _ts_or_null(values: list[int | None]) -> list[str | None]:
    present = [v for v in values if v is not None]
    formatted = iter(_ts(present)) if present else iter(())
    return [None if v is None else next(formatted) for v in values]


def _text(values: list | np.ndarray) -> list[str | None]:
    return [None if v is None else str(v) for v in (values.tolist() if isinstance(values, np.ndarray) else values)]


def _weighted(rng: np.random.Generator, table: tuple[tuple[str, int], ...], n: int) -> np.ndarray:
    labels, weights = zip(*table, strict=True)
    p = np.array(weights, dtype=float)
    return np.array(labels)[rng.choice(len(labels), size=n, p=p / p.sum())]


def _companies(plan: _Plan) -> int:
    n = plan.n_companies
    rng = np.random.default_rng([plan.seed, 2])
    order = rng.permutation(n)
    nh, nt, ns = len(vocab.COMPANY_HEADS), len(vocab.COMPANY_TAILS), len(vocab.COMPANY_SUFFIXES)
    names, domains = [], []
    for k in order.tolist():
        head, tail = vocab.COMPANY_HEADS[k % nh], vocab.COMPANY_TAILS[(k // nh) % nt]
        suffix, generation = vocab.COMPANY_SUFFIXES[(k // (nh * nt)) % ns], k // (nh * nt * ns)
        names.append(f"{head} {tail} {suffix}".strip())
        tld = _TLDS[generation % len(_TLDS)]
        number = str(generation // len(_TLDS) + 1) if generation >= len(_TLDS) else ""
        domains.append(f"{head}{tail}{suffix}{number}.{tld}".lower())
    employees = np.clip(np.round(rng.lognormal(4.6, 1.5, n)), 5, 80_000).astype(int)
    revenue = np.round(employees * rng.uniform(60_000, 260_000, n), -3).astype("int64")
    country = _weighted(rng, vocab.COUNTRIES, n)
    industry = np.array(vocab.INDUSTRIES)[rng.integers(0, len(vocab.INDUSTRIES), n)]
    created = _ts(plan.window_start - rng.integers(30, 900, n) * DAY)
    ids = np.arange(plan.first_company_id, plan.first_company_id + n)
    owners = np.array(plan.rep_ids)[np.arange(n) % len(plan.rep_ids)]
    plan.company_names, plan.company_domains = names, domains
    plan.company_employees, plan.company_country = employees, country.tolist()
    plan.book.company_industry = industry
    return bulk.insert_columns(
        Company._meta.db_table,
        ["id", "name", "domain", "industry", "employee_count", "annual_revenue", "country", "owner_id", "custom",
         "created_at", "updated_at"],
        [_text(ids), names, domains, industry.tolist(), _text(employees), [f"{r}.00" for r in revenue.tolist()],
         country.tolist(), _text(owners), ["{}"] * n, created, created],
    )


def _chunk(plan: _Plan, start: int, stop: int, totals: DemoTotals) -> None:
    n = stop - start
    rng = np.random.default_rng([plan.seed, 3, start])
    idx = np.arange(start, stop)
    company = idx % plan.n_companies
    ordinal = idx // plan.n_companies
    nf, nl = len(vocab.FIRST_NAMES), len(vocab.LAST_NAMES)
    # Distinct names within a company by construction: 104729 is prime, so ordinals map to distinct pairs.
    pair = (company * 7919 + ordinal * 104729) % (nf * nl)
    firsts, lasts = (pair % nf).tolist(), (pair // nf).tolist()
    personal = rng.random(n) < 0.04
    outcome = rng.choice(len(OUTCOMES), size=n, p=OUTCOME_P)
    start_at = plan.window_start + (rng.random(n) * (WINDOW_DAYS - 3) * DAY).astype("int64")
    titles = np.array(vocab.TITLES)[rng.integers(0, len(vocab.TITLES), n)].tolist()
    draws = Draws.draw(rng, n)
    touches = _touchpoints(plan, rng, outcome, start_at)
    rows = Rows()
    contact_cols: dict[str, list] = {k: [] for k in ("email", "first", "last", "company", "stage", "changed", "owner")}
    for k in range(n):
        c = int(company[k])
        first, last = vocab.FIRST_NAMES[firsts[k]], vocab.LAST_NAMES[lasts[k]]
        out = OUTCOMES[outcome[k]]
        if personal[k]:
            domain = vocab.PERSONAL_DOMAINS[(start + k) % len(vocab.PERSONAL_DOMAINS)]
            email, company_id = f"{first}.{last}{start + k}@{domain}".lower(), None
            out = out if out in PERSONAL_CAP else "lead"
        else:
            email, company_id = f"{first}.{last}@{plan.company_domains[c]}".lower(), plan.first_company_id + c
        story = Story(
            contact_id=plan.first_contact_id + start + k, company_id=company_id,
            owner_id=plan.rep_ids[c % len(plan.rep_ids)], first_name=first, last_name=last,
            company_name=plan.company_names[c], title=titles[k], employees=int(plan.company_employees[c]),
            start=int(start_at[k]),
        )
        stage, changed, owner = tell(story, out, k, draws, plan.world, rows)
        for key, value in zip(contact_cols, (email, first, last, company_id, stage, changed, owner), strict=True):
            contact_cols[key].append(value)
    _write_contacts(plan, rng, start, n, contact_cols, titles, touches["first_channel"], start_at)
    _write_journeys(plan, start, rows, touches, totals)
    people = playbook_rows.People(
        first_id=plan.first_contact_id + start, titles=titles,
        names=[f"{f} {last}" for f, last in zip(contact_cols["first"], contact_cols["last"], strict=True)],
        company=np.where(personal, -1, company),
    )
    _write_playbook(plan, start, rows, people, touches, totals)
    totals.contacts += n
    totals.final_stages.update(contact_cols["stage"])


def _touchpoints(plan: _Plan, rng: np.random.Generator, outcome: np.ndarray, start_at: np.ndarray) -> dict:
    """Each contact's marketing touches over its journey; the first one, at the journey's start, made the contact."""
    n = len(outcome)
    norm = float(np.dot(OUTCOME_P, ENGAGEMENT))
    counts = np.maximum(1, rng.poisson(plan.tp_mean * np.array(ENGAGEMENT)[outcome] / norm))
    owner = np.repeat(np.arange(n), counts)
    firsts = np.cumsum(counts) - counts
    u = rng.random(len(owner))
    u[firsts] = 0.0
    at = start_at[owner] + (u * (plan.as_of - start_at[owner])).astype("int64")
    day = np.clip((at - plan.window_start) // DAY, 0, plan.camp_cum.shape[0] - 1)
    r = rng.random(len(owner))
    campaign = np.minimum((plan.camp_cum[day] < r[:, None]).sum(axis=1), len(plan.camp_channel) - 1)
    channel = np.array(plan.camp_channel)[campaign]
    kind = weighted_labels(channel, {name: kinds for name, (kinds, *_rest) in CHANNEL_BEHAVIOUR.items()},
                           rng.random(len(owner)))
    return {"owner": owner, "at": at, "campaign": campaign, "kind": kind, "first_channel": channel[firsts]}


def _write_contacts(plan: _Plan, rng: np.random.Generator, start: int, n: int, cols: dict[str, list],
                    titles: list[str], first_channel: np.ndarray, start_at: np.ndarray) -> None:
    countries = [plan.company_country[c] for c in (np.arange(start, start + n) % plan.n_companies).tolist()]
    numbers = rng.integers(2_000_000, 9_999_999, n).tolist()
    areas = rng.integers(200, 999, n).tolist()
    has_phone = (rng.random(n) < 0.7).tolist()
    phones = [f"+{_DIAL[c]} {a} {num}" if p else "" for c, a, num, p in zip(countries, areas, numbers, has_phone,
                                                                             strict=True)]
    consent = _weighted(rng, vocab.CONSENT, n).tolist()
    sources = [SOURCE_LABEL[c] for c in first_channel.tolist()]
    ids = np.arange(plan.first_contact_id + start, plan.first_contact_id + start + n)
    created, changed = _ts(start_at), _ts(cols["changed"])
    bulk.insert_columns(
        Contact._meta.db_table,
        ["id", "email", "first_name", "last_name", "title", "phone", "company_id", "owner_id", "source",
         "consent_status", "lifecycle_stage", "lifecycle_changed_at", "custom", "created_at", "updated_at"],
        [_text(ids), cols["email"], cols["first"], cols["last"], titles, phones, _text(cols["company"]),
         _text(cols["owner"]), sources, consent, cols["stage"], changed, ["{}"] * n, created, changed],
    )


def _write_journeys(plan: _Plan, start: int, rows: Rows, touches: dict, totals: DemoTotals) -> None:
    lt = rows.lt
    totals.lifecycle_transitions += bulk.insert_columns(
        LifecycleTransition._meta.db_table,
        ["contact_id", "from_stage", "to_stage", "occurred_at", "by_id", "reason", "source"],
        [_text(lt["contact"]), lt["from"], lt["to"], _ts(lt["at"]), _text(lt["by"]), lt["reason"], lt["source"]],
    )
    d = rows.deal
    n = len(d["id"])
    totals.deals += bulk.insert_columns(
        Deal._meta.db_table,
        ["id", "name", "pipeline_id", "stage_id", "amount", "currency", "expected_close_date", "owner_id",
         "company_id", "status", "closed_at", "close_reason", "created_at", "updated_at"],
        [_text(d["id"]), d["name"], [str(plan.pipeline_id)] * n, _text(d["stage"]), [f"{a}.00" for a in d["amount"]],
         ["USD"] * n, [s[:10] for s in _ts(d["close_date"])], _text(d["owner"]), _text(d["company"]), d["status"],
         _ts_or_null(d["closed_at"]), d["reason"], _ts(d["created"]), _ts(d["updated"])],
    )
    totals.deal_status.update(d["status"])
    totals.won_amount += rows.won_amount
    t = rows.dt
    totals.deal_transitions += bulk.insert_columns(
        DealTransition._meta.db_table,
        ["deal_id", "from_stage_id", "to_stage_id", "occurred_at", "by_id", "reason", "amount"],
        [_text(t["deal"]), _text(t["from"]), _text(t["to"]), _ts(t["at"]), _text(t["by"]), t["reason"],
         [f"{a}.00" for a in t["amount"]]],
    )
    totals.deal_contacts += bulk.insert_columns(
        DealContact._meta.db_table, ["deal_id", "contact_id", "role"],
        [_text(rows.dc["deal"]), _text(rows.dc["contact"]), rows.dc["role"]],
    )
    a = rows.act
    at = _ts(a["at"])
    totals.activities += bulk.insert_columns(
        Activity._meta.db_table,
        ["kind", "subject", "body", "contact_id", "company_id", "deal_id", "owner_id", "occurred_at", "outcome",
         "duration_minutes", "due_at", "completed_at", "created_at", "updated_at"],
        [a["kind"], a["subject"], a["body"], _text(a["contact"]), _text(a["company"]), _text(a["deal"]),
         _text(a["owner"]), at, a["outcome"], _text(a["duration"]), _ts_or_null(a["due"]), _ts_or_null(a["done"]),
         at, at],
    )
    totals.touchpoints += _write_touchpoints(plan, start, rows, touches)


def _write_touchpoints(plan: _Plan, start: int, rows: Rows, touches: dict) -> int:
    """Marketing touches from numpy plus the hand-raisers and sales touches of the journeys (campaign -1: none)."""
    extra = rows.tp
    contact = np.concatenate([touches["owner"] + plan.first_contact_id + start, np.array(extra["contact"], dtype="int64")])
    campaign = np.concatenate([touches["campaign"], np.array(extra["campaign"], dtype="int64")])
    kind = np.concatenate([touches["kind"], np.array(extra["kind"], dtype=object)]).tolist()
    at = _ts(np.concatenate([touches["at"], np.array(extra["at"], dtype="int64")]))
    n = len(contact)
    # Index -1 picks the appended "no campaign" entry: sales touches are outbound and belong to no campaign.
    ids = np.array([*map(str, plan.camp_ids.tolist()), None], dtype=object)
    channel = np.array([*plan.camp_channel, "outbound"], dtype=object)
    source = np.array([*plan.camp_cols["source"].tolist(), "sales"], dtype=object)
    medium = np.array([*plan.camp_cols["medium"].tolist(), ""], dtype=object)
    utm = np.array([*plan.camp_cols["utm"].tolist(), ""], dtype=object)
    content = [CONTENT_BY_KIND.get(k, "Sales meeting") for k in kind]
    first_id = bulk.next_id(Touchpoint)
    written = bulk.insert_columns(
        Touchpoint._meta.db_table,
        ["contact_id", "campaign_id", "channel", "kind", "source", "medium", "utm_campaign", "utm_content", "utm_term",
         "content", "occurred_at", "value", "created_at"],
        [_text(contact), ids[campaign].tolist(), channel[campaign].tolist(), kind, source[campaign].tolist(),
         medium[campaign].tolist(), utm[campaign].tolist(), [""] * n, [""] * n, content, at, ["0"] * n, at],
    )
    if written:
        # The database numbers the rows: every new one lies between the first free id before and the last id after.
        first_touch.note_inserted(first_id, bulk.next_id(Touchpoint) - 1)
    return written


def _write_playbook(plan: _Plan, start: int, rows: Rows, people: playbook_rows.People, touches: dict,
                    totals: DemoTotals) -> None:
    """The deals' qualification answers and the objections, from the chunk's own random stream."""
    rng = np.random.default_rng([plan.seed, 5, start])
    q = playbook_rows.qualification(rng, plan.book, rows, people)
    totals.qualification_answers += bulk.insert_columns(
        DealQualification._meta.db_table, ["deal_id", "criterion", "value", "status", "updated_by_id", "updated_at"],
        [_text(q["deal"]), q["criterion"], q["value"], q["status"], _text(q["by"]), _ts(q["at"])],
    )
    o = playbook_rows.objections(rng, plan.book, rows, people, touches)
    at = _ts(o["at"])
    campaign = [None if c < 0 else str(c) for c in o["campaign"]]
    totals.objections += bulk.insert_columns(
        Objection._meta.db_table,
        ["deal_id", "contact_id", "category", "verbatim", "deal_stage", "lifecycle_stage", "campaign_id", "channel",
         "segment", "outcome", "outcome_note", "logged_by_id", "occurred_at", "created_at", "updated_at"],
        [_text(o["deal"]), _text(o["contact"]), o["category"], o["verbatim"], o["deal_stage"], o["lifecycle_stage"],
         campaign, o["channel"], o["segment"], o["outcome"], o["note"], _text(o["by"]), at, at, at],
    )
    totals.objection_categories.update(o["category"])
