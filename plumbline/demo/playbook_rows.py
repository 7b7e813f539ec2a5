"""The playbook's per-deal and per-contact rows of one chunk: qualification answers and objections.

Drawn with numpy from the chunk's own random stream after its journeys are told, column by column, so a million
contacts stay fast and the same seed gives the same rows. Everything an objection records about its moment (deal
stage, lifecycle stage, campaign, channel, segment) is looked up at its time, as `do_log_objection` would have
captured it then: the last campaign touch of the contact at or before it, the deal's stage then.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from plumbline.demo import buyers, vocab
from plumbline.demo.journeys import DAY, Rows, weighted_labels

WON_STAGE, LOST_STAGE = 4, 5  # positions of the closing stages in the pipeline
NOT_CALLED = ("customer", "evangelist", "past_customer", "disqualified")  # SDRs do not log cold calls to these
CHAMPION_TITLES = ("Head of Analytics", "Revenue Operations Lead", "Marketing Manager", "Sales Operations Manager")


@dataclass
class Book:
    """What stays the same for every chunk of one load."""

    as_of: int
    stage_ids: list[int]
    stage_names: list[str]
    criteria: list[str]
    response_by_category: dict[str, str]
    camp_ids: np.ndarray
    camp_channel: np.ndarray
    company_industry: np.ndarray
    rep_ids: list[int]


@dataclass
class People:
    """The chunk's contacts, by position in the chunk."""

    first_id: int
    names: list[str]
    titles: list[str]
    company: np.ndarray  # company index, -1 for a personal address


def qualification(rng: np.random.Generator, book: Book, rows: Rows, people: People) -> dict[str, list]:
    """Answers to the framework's criteria: the further a deal got and the better it ended, the more is known."""
    d = rows.deal
    m = len(d["id"])
    out: dict[str, list] = {k: [] for k in ("deal", "criterion", "value", "status", "by", "at")}
    if not m:
        return out
    ids = np.asarray(d["id"], dtype="int64")
    reached = _stage_reached(book, rows, ids)
    status = np.asarray(d["status"])
    won, lost = status == "won", status == "lost"
    opened = np.asarray(d["created"], dtype="int64")
    end = np.where(won | lost, np.asarray([c or 0 for c in d["closed_at"]], dtype="int64"), book.as_of)
    diligence = rng.beta(2.0, 2.0, m) - 0.5  # some reps write everything down, some nothing
    p_known = np.clip(0.25 + 0.17 * reached + 0.2 * won - 0.1 * lost + 0.5 * diligence, 0.03, 0.97)
    p_sure = np.clip(0.35 + 0.12 * reached + 0.25 * won + 0.4 * diligence, 0.05, 0.95)
    person, buyer = _people_on_deals(rng, rows, people, m)
    n = rng.integers(3, 13, m)
    for key in book.criteria:
        early = buyers.CRITERION_STAGE.get(key, 0)
        u = rng.random((m, 5))
        known = u[:, 0] < np.where(reached >= early, p_known, 0.3 * p_known)
        asked = ~known & (reached >= early) & (u[:, 1] < 0.15)  # asked, no answer yet: an explicit "unknown"
        sure = u[:, 2] < p_sure
        templates = buyers.ANSWERS.get(key, ("{n}",))
        pick = (u[:, 3] * len(templates)).astype(int)
        # Answered while the deal was at the stage where the criterion usually comes up, or soon after.
        frac = np.clip((early + u[:, 4]) / (reached + 2.0), 0.02, 0.98)
        at = opened + (frac * (end - opened)).astype("int64")
        for i in np.flatnonzero(known | asked).tolist():
            if asked[i]:
                value, state = "Asked; no clear answer yet", "unknown"
            else:
                text = templates[pick[i]]
                if "{" in text:
                    text = text.replace("{n}", str(n[i])).replace("{person}", person[i]).replace("{buyer}", buyer[i])
                value, state = (text, "confirmed") if sure[i] else (text + buyers.PARTIAL_NOTE, "partial")
            for name, v in zip(out, (int(ids[i]), key, value, state, d["owner"][i], int(at[i])), strict=True):
                out[name].append(v)
    return out


def _transition_stages(book: Book, rows: Rows) -> np.ndarray:
    """The position in the pipeline of the stage each deal transition moved to."""
    lut = np.full(max(book.stage_ids) + 1, -1)
    lut[book.stage_ids] = np.arange(len(book.stage_ids))
    return lut[np.asarray(rows.dt["to"], dtype="int64")]


def _stage_reached(book: Book, rows: Rows, ids: np.ndarray) -> np.ndarray:
    """Each deal's furthest open stage (0 Discovery ... 3 Negotiation)."""
    local = np.asarray(rows.dt["deal"], dtype="int64") - ids[0]
    stage = _transition_stages(book, rows)
    reached = np.zeros(len(ids), dtype="int64")
    open_stage = stage < WON_STAGE
    np.maximum.at(reached, local[open_stage], stage[open_stage])
    return reached


def _people_on_deals(rng: np.random.Generator, rows: Rows, people: People, m: int) -> tuple[list[str], list[str]]:
    """The champion and the economic buyer of each deal: its contact is one of them, a colleague the other."""
    contact = np.asarray(rows.dc["contact"], dtype="int64")[:m] - people.first_id
    names = rng.integers(0, 1 << 30, (m, 2))
    champion, buyer = [], []
    for i, k in enumerate(contact.tolist()):
        itself = f"{people.names[k]}, {people.titles[k]}"
        colleague = f"{vocab.FIRST_NAMES[names[i, 0] % len(vocab.FIRST_NAMES)]} " \
                    f"{vocab.LAST_NAMES[names[i, 1] % len(vocab.LAST_NAMES)]}"
        if rows.dc["role"][i] == "decision_maker":
            champion.append(f"{colleague}, {CHAMPION_TITLES[names[i, 0] % len(CHAMPION_TITLES)]}")
            buyer.append(itself)
        else:
            champion.append(itself)
            buyer.append(f"{colleague}, {buyers.BUYER_TITLES[names[i, 1] % len(buyers.BUYER_TITLES)]}")
    return champion, buyer


def objections(rng: np.random.Generator, book: Book, rows: Rows, people: People, touches: dict) -> dict[str, list]:
    """Objections raised on deals, in discovery calls, by leads sent back to nurture and on cold calls."""
    parts = [_on_deals(rng, book, rows, people), *_on_contacts(rng, book, rows, people, touches)]
    cols = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    n = len(cols["contact"])
    campaign = _campaign_at(rows, people, touches, cols["contact"], cols["at"])
    category = cols["category"]
    pick = rng.integers(0, 1 << 30, n)
    verbatim = [buyers.VERBATIMS[c][p % len(buyers.VERBATIMS[c])] for c, p in zip(category.tolist(), pick.tolist(),
                                                                                   strict=True)]
    company = people.company[cols["contact"]]
    segment = np.where(company >= 0, book.company_industry[np.maximum(company, 0)], "")
    resolved = buyers.OUTCOME_NOTES["resolved"]
    note = [
        text or (resolved.format(response=book.response_by_category.get(c, "the playbook"))
                 if outcome == "resolved" else "")
        for c, outcome, text in zip(category.tolist(), cols["outcome"].tolist(), cols["note"].tolist(), strict=True)
    ]
    has = campaign >= 0
    return {
        "deal": cols["deal"].tolist(), "contact": (cols["contact"] + people.first_id).tolist(),
        "category": category.tolist(), "verbatim": verbatim, "deal_stage": cols["deal_stage"].tolist(),
        "lifecycle_stage": cols["lifecycle"].tolist(),
        "campaign": np.where(has, book.camp_ids[np.maximum(campaign, 0)], -1).tolist(),
        "channel": np.where(has, book.camp_channel[np.maximum(campaign, 0)], "").tolist(),
        "segment": segment.tolist(), "outcome": cols["outcome"].tolist(), "note": note,
        "by": cols["by"].tolist(), "at": cols["at"].tolist(),
    }


def _part(deal: np.ndarray | None, contact: np.ndarray, category: np.ndarray, deal_stage: np.ndarray | str,
          lifecycle: np.ndarray | str, outcome: np.ndarray | str, note: np.ndarray | str, by: np.ndarray,
          at: np.ndarray) -> dict[str, np.ndarray]:
    n = len(contact)

    def full(v: np.ndarray | str) -> np.ndarray:
        return np.full(n, v, dtype=object) if isinstance(v, str) else np.asarray(v, dtype=object)

    return {
        "deal": np.full(n, None, dtype=object) if deal is None else np.asarray(deal, dtype=object),
        "contact": np.asarray(contact, dtype="int64"), "category": full(category), "deal_stage": full(deal_stage),
        "lifecycle": full(lifecycle), "outcome": full(outcome), "note": full(note),
        "by": np.asarray(by, dtype=object), "at": np.asarray(at, dtype="int64"),
    }


def _on_deals(rng: np.random.Generator, book: Book, rows: Rows, people: People) -> dict[str, np.ndarray]:
    """Objections during each deal, by the stage it was in then; a lost deal's last one is why it was lost."""
    d = rows.deal
    m = len(d["id"])
    if not m:
        return _part(None, np.zeros(0), np.zeros(0), "", "", "", "", np.zeros(0), np.zeros(0))
    ids = np.asarray(d["id"], dtype="int64")
    status = np.asarray(d["status"])
    won, lost = status == "won", status == "lost"
    opened = np.asarray(d["created"], dtype="int64")
    closed = np.asarray([c or book.as_of for c in d["closed_at"]], dtype="int64")
    last_move = np.asarray(d["updated"], dtype="int64")
    reached = _stage_reached(book, rows, ids)
    lam = np.where(won, 0.9, np.where(lost, 0.8, 0.5 + 0.2 * reached))
    which = np.repeat(np.arange(m), rng.poisson(lam))
    span = closed[which] - opened[which]
    at = opened[which] + np.clip((rng.random(len(which)) * span).astype("int64"), np.minimum(600, span // 2),
                                 np.maximum(span - 600, span // 2))
    fatal = np.flatnonzero(lost)
    fatal_at = np.maximum(opened[fatal] + 600, closed[fatal] - (rng.random(len(fatal)) * 3 * DAY).astype("int64"))
    deal = np.concatenate([which, fatal])
    at = np.concatenate([at, np.minimum(fatal_at, closed[fatal] - 60)])
    stage = _deal_stage_at(book, rows, ids, deal, at)
    stage_name = np.asarray(book.stage_names, dtype=object)[stage]
    category = _categories(rng, stage_name[:len(which)])
    reason = np.asarray(d["reason"], dtype=object)
    lost_category = np.array([buyers.LOST_CATEGORY.get(r, "other") for r in reason[fatal].tolist()], dtype=object)
    resolved_p = np.where(won[which], 0.95, np.where(lost[which], 0.5, np.where(at[:len(which)] < last_move[which],
                                                                                0.85, 0.3)))
    outcome = np.where(rng.random(len(which)) < resolved_p, "resolved", "open").astype(object)
    lost_note = np.array([buyers.OUTCOME_NOTES["lost_deal"].format(reason=r) for r in reason[fatal].tolist()],
                         dtype=object)
    contact = np.asarray(rows.dc["contact"], dtype="int64")[:m] - people.first_id
    owner = np.asarray(d["owner"], dtype=object)
    return _part(
        ids[deal], contact[deal], np.concatenate([category, lost_category]), stage_name, "opportunity",
        np.concatenate([outcome, np.full(len(fatal), "lost_deal", dtype=object)]),
        np.concatenate([np.full(len(which), "", dtype=object), lost_note]), owner[deal], at,
    )


def _on_contacts(rng: np.random.Generator, book: Book, rows: Rows, people: People,
                 touches: dict) -> list[dict[str, np.ndarray]]:
    lt = rows.lt
    contact = np.asarray(lt["contact"], dtype="int64") - people.first_id
    frm, to = np.asarray(lt["from"], dtype=object), np.asarray(lt["to"], dtype=object)
    at, by = np.asarray(lt["at"], dtype="int64"), np.asarray(lt["by"], dtype=object)
    reason = np.asarray(lt["reason"], dtype=object)
    u = rng.random(len(contact))
    # A lead sent back to nurture said why, just before.
    back = np.flatnonzero((frm == "sal") & (to == "lead") & (u < 0.8))
    nurture = _part(None, contact[back], np.array([buyers.REJECT_CATEGORY.get(r, "other") for r in reason[back]],
                                                  dtype=object), "", "sal", "open",
                    np.array([buyers.OUTCOME_NOTES["nurture"].format(reason=r) for r in reason[back]], dtype=object),
                    by[back], at[back] - 1800)
    # Some accepted leads objected in discovery and moved on anyway.
    moved = np.flatnonzero((to == "sql") & (u < 0.3))
    discovery = _part(None, contact[moved], _categories(rng, np.full(len(moved), "sal", dtype=object)), "", "sal",
                      "resolved", buyers.OUTCOME_NOTES["moved_on"], by[moved], at[moved] - 1200)
    # Cold calls: the SDRs log what they hear; most of it stays open.
    calls = np.flatnonzero((touches["kind"] == "call") & (rng.random(len(touches["kind"])) < 0.2))
    who, when = touches["owner"][calls], np.minimum(touches["at"][calls] + 120, book.as_of)
    row = _last_at(contact, at, who, when)
    stage = np.where(row >= 0, to[np.maximum(row, 0)], "lead")
    keep = ~np.isin(stage, NOT_CALLED)
    who, when, stage = who[keep], when[keep], stage[keep]
    reps = np.asarray(book.rep_ids, dtype=object)
    caller = reps[np.maximum(people.company[who], 0) % len(reps)]
    outcome = np.where(rng.random(len(who)) < 0.25, "resolved", "open").astype(object)
    cold = _part(None, who, _categories(rng, np.full(len(who), "cold", dtype=object)), "", stage, outcome, "",
                 caller, when)
    return [nurture, discovery, cold]


def _categories(rng: np.random.Generator, where: np.ndarray) -> np.ndarray:
    """A category per row, drawn with the weights of the stage it was raised at."""
    return weighted_labels(where, buyers.STAGE_CATEGORIES, rng.random(len(where)))


def _deal_stage_at(book: Book, rows: Rows, ids: np.ndarray, deal: np.ndarray, at: np.ndarray) -> np.ndarray:
    """The open stage (index) each deal was in at each time."""
    stage = _transition_stages(book, rows)
    keep = stage < WON_STAGE
    row = _last_at(np.asarray(rows.dt["deal"], dtype="int64")[keep] - ids[0],
                   np.asarray(rows.dt["at"], dtype="int64")[keep], deal, at)
    return np.where(row >= 0, stage[keep][np.maximum(row, 0)], 0)


def _campaign_at(rows: Rows, people: People, touches: dict, contact: np.ndarray, at: np.ndarray) -> np.ndarray:
    """The campaign (index) of each contact's last campaign touch at or before each time; -1 when none."""
    extra = np.asarray(rows.tp["campaign"], dtype="int64")
    owner = np.concatenate([touches["owner"], np.asarray(rows.tp["contact"], dtype="int64") - people.first_id])
    when = np.concatenate([touches["at"], np.asarray(rows.tp["at"], dtype="int64")])
    campaign = np.concatenate([touches["campaign"], extra])
    has = campaign >= 0
    row = _last_at(owner[has], when[has], contact, at)
    return np.where(row >= 0, campaign[has][np.maximum(row, 0)], -1)


def _last_at(group: np.ndarray, time: np.ndarray, q_group: np.ndarray, q_time: np.ndarray) -> np.ndarray:
    """For each query, the index of the last row of its group at or before its time; -1 when there is none."""
    if not len(group) or not len(q_group):
        return np.full(len(q_group), -1, dtype="int64")
    key = np.asarray(group, dtype="int64") * (1 << 32) + np.asarray(time, dtype="int64")
    order = np.argsort(key, kind="stable")
    sorted_key = key[order]
    pos = np.searchsorted(sorted_key, np.asarray(q_group, dtype="int64") * (1 << 32) + q_time, side="right") - 1
    found = (pos >= 0) & (sorted_key[np.maximum(pos, 0)] >> 32 == q_group)
    return np.where(found, order[np.maximum(pos, 0)], -1)
