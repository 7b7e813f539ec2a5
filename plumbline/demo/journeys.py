"""One contact's story: lifecycle moves, the deal that follows, the reps' activities and hand-raiser touches.

Everything random comes from arrays drawn per chunk (`Draws`), so a contact's story depends only on the seed.
Times are epoch seconds; the caller formats them column by column.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from plumbline.demo import vocab

DAY = 86_400

OUTCOMES = (
    "subscriber", "lead", "mql", "sal", "sql", "opportunity", "customer", "evangelist", "past_customer",
    "rejected", "disqualified", "lost",
)
OUTCOME_P = (0.22, 0.33, 0.08, 0.03, 0.03, 0.03, 0.06, 0.01, 0.01, 0.07, 0.07, 0.06)
# Touchpoints relative to the mean: engaged contacts leave more traces.
ENGAGEMENT = (0.45, 0.7, 1.3, 1.6, 1.8, 2.0, 2.2, 2.6, 2.0, 1.4, 0.8, 1.9)
# Outcomes a contact with a personal email (no company) can reach: no deals without a company.
PERSONAL_CAP = {"subscriber", "lead", "mql", "disqualified"}

# step -> (lifecycle stage it moves to, mean days since the previous step)
STEPS = {
    "subscriber": ("subscriber", 0), "lead": ("lead", 6), "mql": ("mql", 18), "sal": ("sal", 1.5),
    "sql": ("sql", 8), "opportunity": ("opportunity", 6), "customer": ("customer", 50),
    "evangelist": ("evangelist", 120), "past_customer": ("past_customer", 200), "reject": ("lead", 4),
    "disqualify": ("disqualified", 9), "lose": ("lead", 45),
}
_FUNNEL = ("mql", "sal", "sql", "opportunity")
_TAIL = {
    "subscriber": (), "lead": (), "mql": _FUNNEL[:1], "sal": _FUNNEL[:2], "sql": _FUNNEL[:3],
    "opportunity": _FUNNEL, "customer": (*_FUNNEL, "customer"), "evangelist": (*_FUNNEL, "customer", "evangelist"),
    "past_customer": (*_FUNNEL, "customer", "past_customer"), "rejected": (*_FUNNEL[:2], "reject"),
    "lost": (*_FUNNEL, "lose"),
}
MAX_STEPS = 9


def weighted_labels(groups: np.ndarray, tables: dict, pick: np.ndarray) -> np.ndarray:
    """A label per row, drawn with its group's weights: `tables` maps a group to [(label, weight), ...] and `pick`
    holds one uniform draw per row (rows of groups missing from `tables` stay None)."""
    out = np.empty(len(groups), dtype=object)
    for group, table in tables.items():
        mask = groups == group
        if mask.any():
            labels, weights = zip(*table, strict=True)
            cum = np.cumsum(weights) / sum(weights)
            out[mask] = np.array(labels, dtype=object)[np.minimum(np.searchsorted(cum, pick[mask], side="right"),
                                                                  len(labels) - 1)]
    return out


def path(outcome: str, entry_as_lead: bool, dq_after_mql: bool) -> tuple[str, ...]:
    """The steps a contact with this outcome goes through if time allows."""
    if outcome == "subscriber":
        return ("subscriber",)
    start = ("lead",) if entry_as_lead else ("subscriber", "lead")
    if outcome == "disqualified":
        return (*start, *(("mql",) if dq_after_mql else ()), "disqualify")
    return (*start, *_TAIL[outcome])


@dataclass
class Draws:
    """Per-contact random numbers for one chunk."""

    gaps: np.ndarray  # (n, MAX_STEPS) exponential(1)
    u: np.ndarray  # (n, 12) uniform [0, 1)
    pick: np.ndarray  # (n, 6) integers for picking reasons and products

    @classmethod
    def draw(cls, rng: np.random.Generator, n: int) -> Draws:
        return cls(rng.exponential(1.0, (n, MAX_STEPS)), rng.random((n, 12)), rng.integers(0, 1 << 30, (n, 6)))


@dataclass
class Rows:
    """Column-wise rows for the tables the journeys write."""

    lt: dict[str, list] = field(default_factory=lambda: _cols("contact from to at by reason source"))
    deal: dict[str, list] = field(
        default_factory=lambda: _cols("id name stage amount close_date owner company status closed_at reason created updated")
    )
    dt: dict[str, list] = field(default_factory=lambda: _cols("deal from to at by reason amount"))
    dc: dict[str, list] = field(default_factory=lambda: _cols("deal contact role"))
    act: dict[str, list] = field(
        default_factory=lambda: _cols("kind subject body contact company deal owner at outcome duration due done")
    )
    tp: dict[str, list] = field(default_factory=lambda: _cols("contact campaign kind at"))
    won_amount: int = 0


def _cols(names: str) -> dict[str, list]:
    return {name: [] for name in names.split()}


@dataclass
class Story:
    """What one contact's journey needs to know about the contact."""

    contact_id: int
    company_id: int | None
    owner_id: int | None  # the rep who owns the account
    first_name: str
    last_name: str
    company_name: str
    title: str
    employees: int
    start: int  # first touch, epoch seconds


@dataclass
class World:
    """Ids the journeys refer to."""

    as_of: int
    marketing_id: int
    stage_ids: list[int]  # Discovery, Demo, Proposal, Negotiation, Won, Lost
    website_campaign: int  # campaign index of the always-on website
    content_campaign: int  # campaign index of organic search and blog
    next_deal_id: int


def tell(story: Story, outcome: str, k: int, d: Draws, world: World, out: Rows) -> tuple[str, int, int | None]:
    """Write one contact's journey into `out`; returns (final stage, time of last change, owner id)."""
    u, pick = d.u[k], d.pick[k]
    steps = path(outcome, u[0] < 0.5, u[1] < 0.5)
    reached: list[tuple[str, int]] = []
    t = story.start
    for i, step in enumerate(steps):
        if i:
            t += int(STEPS[step][1] * DAY * d.gaps[k, i]) + 3600
        if t > world.as_of:
            break
        reached.append((step, t))
    when = dict(reached)
    owner = story.owner_id if "sal" in when else None
    previous = ""
    for step, at in reached:
        stage = STEPS[step][0]
        reason, source, by = _why(step, pick, previous), _source(step, previous), _by(step, owner, world)
        for key, value in zip(("contact", "from", "to", "at", "by", "reason", "source"),
                              (story.contact_id, previous, stage, at, by, reason, source), strict=True):
            out.lt[key].append(value)
        previous = stage
    _hand_raisers(story, when, world, out)
    if "sal" in when:
        _sales_work(story, when, owner, u, pick, world, out)
    if "opportunity" in when:
        _deal(story, when, owner, u, pick, world, out)
    return previous, reached[-1][1], owner


def _why(step: str, pick: np.ndarray, previous: str) -> str:
    if step == "reject":
        return vocab.REJECT_REASONS[pick[0] % len(vocab.REJECT_REASONS)]
    if step == "disqualify":
        return vocab.DISQUALIFY_REASONS[pick[0] % len(vocab.DISQUALIFY_REASONS)]
    if step == "lose":
        return "Deal lost: " + vocab.LOST_REASONS[pick[1] % len(vocab.LOST_REASONS)]
    if step == "past_customer":
        return "Churned: " + vocab.CHURN_REASONS[pick[1] % len(vocab.CHURN_REASONS)]
    return "Created" if not previous else ""


def _source(step: str, previous: str) -> str:
    if not previous or step == "lead":
        return "form"
    return "scoring" if step == "mql" else "manual"


def _by(step: str, owner: int | None, world: World) -> int | None:
    if step in ("subscriber", "lead", "mql"):
        return None
    return world.marketing_id if step == "disqualify" else owner


def _hand_raisers(story: Story, when: dict[str, int], world: World, out: Rows) -> None:
    """The form fills that turned a visitor into a lead and a lead into an MQL."""
    touches = []
    if "lead" in when and "subscriber" in when:
        touches.append((world.website_campaign, "form_submit", when["lead"] - 600))
    if "mql" in when:
        if "sal" in when:
            touches.append((world.website_campaign, "demo_request", when["mql"] - 1800))
        else:
            touches.append((world.content_campaign, "content_download", when["mql"] - 1800))
    for campaign, kind, at in touches:
        _touch(out, story.contact_id, campaign, kind, at)


def _touch(out: Rows, contact: int, campaign: int, kind: str, at: int) -> None:
    out.tp["contact"].append(contact)
    out.tp["campaign"].append(campaign)
    out.tp["kind"].append(kind)
    out.tp["at"].append(at)


def _activity(out: Rows, story: Story, kind: str, subject: str, at: int, owner: int | None, *, deal: int | None = None,
              body: str = "", outcome: str = "", duration: int | None = None, due: int | None = None,
              done: int | None = None) -> None:
    values = (kind, subject, body, story.contact_id, story.company_id, deal, owner, at, outcome, duration, due, done)
    for key, value in zip(out.act, values, strict=True):
        out.act[key].append(value)


def _sales_work(story: Story, when: dict[str, int], owner: int | None, u: np.ndarray, pick: np.ndarray,
                world: World, out: Rows) -> None:
    """The rep's follow-up after accepting the lead: call attempts, an email, a task, a discovery meeting."""
    t = when["sal"]
    progressed = "sql" in when or "reject" in when
    attempts = 1 + int(u[2] * 3)
    for i in range(attempts):
        last = i == attempts - 1
        at = t + i * (DAY // 2) + 1800
        if last and progressed:
            _activity(out, story, "call", "Discovery call", at, owner, outcome="connected", duration=15 + int(u[3] * 30),
                      body=f"Spoke with {story.first_name} about reporting needs.")
            _touch(out, story.contact_id, -1, "call", at)
        else:
            outcome = vocab.CALL_OUTCOMES[1 + (pick[2] + i) % 3]
            _activity(out, story, "call", "Intro call", at, owner, outcome=outcome)
    _activity(out, story, "email", f"Following up, {story.first_name}", t + 2 * 3600, owner,
              body="Sent the one-pager and asked for a time to talk.")
    due = t + 2 * DAY
    done = min(when.get("sql", when.get("reject", due)), due) if progressed else None
    if done is None and due < world.as_of and u[4] < 0.6:
        done = due - 3600
    _activity(out, story, "task", f"Follow up with {story.first_name} {story.last_name}", t, owner, due=due, done=done)
    if "reject" in when:
        _activity(out, story, "note", "Sent back to nurture", when["reject"], owner,
                  body=vocab.REJECT_REASONS[pick[0] % len(vocab.REJECT_REASONS)])
    if "sql" in when:
        at = when["sql"] - DAY // 2
        _activity(out, story, "meeting", f"Discovery meeting with {story.company_name}", at, owner, duration=45)
        _touch(out, story.contact_id, -1, "meeting", at)


def _deal(story: Story, when: dict[str, int], owner: int | None, u: np.ndarray, pick: np.ndarray,
          world: World, out: Rows) -> None:
    """The opportunity: created in Discovery, moved stage by stage, closed won or lost with a reason."""
    deal_id = world.next_deal_id
    world.next_deal_id += 1
    product = vocab.PRODUCTS[pick[3] % len(vocab.PRODUCTS)]
    name = f"{product} for {story.company_name} ({story.first_name} {story.last_name})"
    amount = int(round((6_000 + min(story.employees, 20_000) * 14) * (0.6 + u[5] * 0.9), -2))
    opened = when["opportunity"]
    stages = world.stage_ids
    if "customer" in when:
        moves, closed, status, reason = 3, when["customer"], "won", ""
        end = closed
    elif "lose" in when:
        moves, closed, status = int(u[6] * 4), when["lose"], "lost"
        reason = vocab.LOST_REASONS[pick[1] % len(vocab.LOST_REASONS)]
        end = closed
    else:
        end = min(world.as_of, opened + 75 * DAY)
        moves, closed, status, reason = int(u[6] * 4), None, "open", ""
    transitions = [(None, stages[0], opened, "Created")]
    for i in range(1, moves + 1):
        transitions.append((stages[i - 1], stages[i], opened + (end - opened) * i // (moves + 1), ""))
    if closed is not None:
        transitions.append((stages[moves], stages[4 if status == "won" else 5], closed, reason))
    for frm, to, at, why in transitions:
        for key, value in zip(out.dt, (deal_id, frm, to, at, owner, why, amount), strict=True):
            out.dt[key].append(value)
    close_date = closed if closed is not None else world.as_of + int(15 + u[7] * 75) * DAY
    values = (deal_id, name, transitions[-1][1], amount, close_date, owner, story.company_id, status, closed, reason,
              opened, transitions[-1][2])
    for key, value in zip(out.deal, values, strict=True):
        out.deal[key].append(value)
    senior = story.title.startswith(("Chief", "VP", "Head", "Director"))
    out.dc["deal"].append(deal_id)
    out.dc["contact"].append(story.contact_id)
    out.dc["role"].append("decision_maker" if senior else "champion")
    if moves >= 1 or status == "won":
        at = transitions[min(1, len(transitions) - 1)][2] + 3600
        _activity(out, story, "meeting", f"Product demo for {story.company_name}", at, owner, deal=deal_id, duration=60)
        _touch(out, story.contact_id, -1, "meeting", at)
    if status == "won":
        out.won_amount += amount
        _activity(out, story, "note", "Closed won", closed, owner, deal=deal_id, body=f"Signed {product}.")
    elif status == "lost":
        _activity(out, story, "note", "Closed lost", closed, owner, deal=deal_id, body=reason)
