"""The qualification frameworks Plumbline ships, as data. `do_create_framework(template=...)` copies one into an
editable `Framework` row; the shipped text here is never changed by an edit.

Each criterion: `key` (stable slug the answers are stored under), `label`, `question` (what the rep asks),
`guide` (follow-up prompts), `answer_type` (how the answer is checked, see ANSWER_TYPES) and `weight`
(its share of the deal's completeness).
"""

from __future__ import annotations

from typing import Any

ANSWER_TYPES = {
    "text": "Free text",
    "yes_no": "Yes / no",
    "amount": "Amount",
    "date": "Date",
    "person": "Person (name and role)",
}


def _c(key: str, label: str, question: str, answer_type: str = "text", weight: float = 1.0,
       guide: tuple[str, ...] = ()) -> dict[str, Any]:
    return {"key": key, "label": label, "question": question, "guide": list(guide), "answer_type": answer_type,
            "weight": weight}


_MEDDIC = [
    _c("metrics", "Metrics", "What measurable result will the customer get, and how do they measure it today?",
       guide=("Which number moves (cost, time, revenue, risk)?", "By how much, by when?")),
    _c("economic_buyer", "Economic buyer", "Who can spend the money and say yes when others say no?", "person",
       guide=("Have we met them?", "What do they care about most?")),
    _c("decision_criteria", "Decision criteria", "On what criteria will they choose (technical, financial, vendor)?",
       guide=("Who wrote the criteria?", "Do they favour us or someone else?")),
    _c("decision_process", "Decision process", "What steps, people and approvals lead to a signed decision?",
       guide=("Who is involved at each step?", "What is the timeline?")),
    _c("identify_pain", "Identify pain", "What pain makes this a priority now, and what does it cost them?",
       guide=("What happens if they do nothing?",)),
    _c("champion", "Champion", "Who inside sells for us when we are not in the room, and why?", "person",
       guide=("Do they have influence?", "What do they gain personally?")),
]

_MEDDPICC_EXTRA = [
    _c("paper_process", "Paper process", "What happens between a verbal yes and a signature (legal, procurement, "
       "security review)?", guide=("Who signs?", "How long does procurement take?")),
    _c("competition", "Competition", "Who else are they considering, including building it themselves or doing "
       "nothing?", guide=("Why might they pick them?",)),
]


def _meddpicc() -> list[dict[str, Any]]:
    by_key = {c["key"]: c for c in _MEDDIC + _MEDDPICC_EXTRA}
    order = ("metrics", "economic_buyer", "decision_criteria", "decision_process", "paper_process",
             "identify_pain", "champion", "competition")
    return [by_key[k] for k in order]


TEMPLATES: dict[str, dict[str, Any]] = {
    "bant": {
        "name": "BANT",
        "description": "Budget, authority, need, timeline: is there money, a decision maker, a need and a date?",
        "criteria": [
            _c("budget", "Budget", "Is there budget set aside for this, and how much?", "amount",
               guide=("Is it approved or still to be requested?",)),
            _c("authority", "Authority", "Who makes the final decision and who else must agree?", "person",
               guide=("Is our contact the decision maker?",)),
            _c("need", "Need", "What problem must be solved, and how badly?",
               guide=("What do they use today?", "What does the problem cost them?")),
            _c("timeline", "Timeline", "By when do they need a solution in place?", "date",
               guide=("What event drives that date?",)),
        ],
    },
    "meddic": {
        "name": "MEDDIC",
        "description": "Metrics, economic buyer, decision criteria, decision process, identify pain, champion.",
        "criteria": _MEDDIC,
    },
    "meddpicc": {
        "name": "MEDDPICC",
        "description": "MEDDIC plus the paper process and the competition.",
        "criteria": _meddpicc(),
    },
    "neat": {
        "name": "NEAT",
        "description": "Core need, economic impact, access to authority, compelling event.",
        "criteria": [
            _c("need", "Core need", "What is the core need behind the request, beyond the symptoms?",
               guide=("Why does it matter to them personally?",)),
            _c("economic_impact", "Economic impact", "What is the economic impact of solving it versus not?",
               "amount", guide=("What does the status quo cost per year?",)),
            _c("access_to_authority", "Access to authority", "Can we reach the person who can authorise this?",
               "yes_no", guide=("Who is it?", "Will our contact introduce us?")),
            _c("timeline", "Compelling event", "What event forces a decision by a date?", "date",
               guide=("What happens if the date passes?",)),
        ],
    },
    "champ": {
        "name": "CHAMP",
        "description": "Challenges, authority, money, prioritisation: start from the challenges.",
        "criteria": [
            _c("challenges", "Challenges", "What challenges are they facing that we could solve?",
               guide=("Which one hurts most?",)),
            _c("authority", "Authority", "Who decides, and who influences the decision?", "person"),
            _c("money", "Money", "Is money available, or can it be found if the case is strong?", "amount"),
            _c("prioritization", "Prioritisation", "Where does solving this rank among their priorities?",
               guide=("What would they drop to do this?",)),
        ],
    },
    "spin": {
        "name": "SPIN",
        "description": "A question guide for discovery calls: situation, problem, implication, need-payoff.",
        "criteria": [
            _c("situation", "Situation", "How do you handle this today: process, tools, team?",
               guide=("How many people work on it?", "Which tools do you use?")),
            _c("problem", "Problem", "What is difficult, slow or costly in the way you do it now?",
               guide=("Where do things go wrong?", "How often?")),
            _c("implication", "Implication", "What does that problem lead to for the team and the business?",
               guide=("What does it cost you each month?", "Who else feels it?")),
            _c("need_payoff", "Need-payoff", "If it were solved, what would that be worth to you?",
               guide=("What would you do with the time saved?", "How would you measure success?")),
        ],
    },
}


def template_criteria(key: str) -> list[dict[str, Any]]:
    """A fresh copy of a template's criteria, safe to edit."""
    return [{**c, "guide": list(c["guide"])} for c in TEMPLATES[key]["criteria"]]
