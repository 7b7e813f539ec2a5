"""Northwind's playbook, made through the real actions: its qualification frameworks and its messaging library.

Small and hand-written, so it is the same on every load whatever the seed. The wording of personas, responses
and assets follows how our users talk about the sales-and-marketing loop (the seed articles in shared/seeds):
shared definitions, one story from content to call, sales objections feeding the content back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from plumbline.accounts.models import User
from plumbline.crm.models import Pipeline
from plumbline.playbook.actions import (
    do_create_framework,
    do_create_messaging_item,
    do_set_pipeline_framework,
)
from plumbline.playbook.models import Framework, MessagingItem
from plumbline.playbook.templates import template_criteria

SITE = "https://northwind-analytics.example"
FRAMEWORK_NAME = "Northwind MEDDPICC"
# Northwind's sales manager weights the economic buyer, the pain and the champion above the rest.
FRAMEWORK_WEIGHTS = {"economic_buyer": 2.0, "identify_pain": 1.5, "champion": 1.5}

PERSONAS = (
    ("Revenue leader (VP Sales)",
     "Measured on the quarter. Wants a forecast built on qualified deals, not on hope, and less time arguing about "
     "whose spreadsheet is right. Fears tools that add admin for the reps."),
    ("Marketing leader (VP Marketing)",
     "Measured on pipeline, reported on clicks. Has to show that marketing is an investment, not an expense, and "
     "is tired of hearing that the leads are bad without being told why."),
    ("Finance buyer (CFO)",
     "Signs anything over 25k. Thinks in total cost of ownership and payback, distrusts big promises, asks what "
     "happens if it does not work."),
    ("Data and analytics lead",
     "Owns the warehouse and the BI stack. Cares about connectors, security and not building another silo; allergic "
     "to buzzwords."),
    ("Revenue operations lead",
     "Keeps the CRM clean enough for both teams to trust. Wants one definition of a qualified lead, written down "
     "and versioned."),
)

# (title, funnel stage, persona or "", body)
VALUE_PROPOSITIONS = (
    ("One set of numbers for sales and marketing", "awareness", "",
     "Marketing measures clicks, sales measures pipeline, and the Monday meeting argues about whose numbers are "
     "right. Northwind puts both teams on one funnel, from first touch to closed won."),
    ("Show what marketing brings in: revenue, not clicks", "awareness", "Marketing leader (VP Marketing)",
     "Tie every campaign to the pipeline and revenue it produced, so marketing is judged as an investment."),
    ("A forecast built on qualified deals", "consideration", "Revenue leader (VP Sales)",
     "Deals carry their qualification; the forecast weighs them by how much the rep actually knows."),
    ("Your warehouse, your models: no black box", "consideration", "Data and analytics lead",
     "Northwind reads from the warehouse you already run and shows the SQL behind every number."),
    ("Definitions both teams agreed on", "consideration", "Revenue operations lead",
     "What a lead, an MQL and a qualified opportunity mean, written once and versioned, used by every report."),
    ("Pays back within two quarters", "decision", "Finance buyer (CFO)",
     "Customers report fewer hours on month-end reporting and less spend on campaigns that never produce "
     "pipeline; the ROI calculator uses your own figures."),
    ("Sales feedback makes the content sharper", "retention", "",
     "Objections logged by reps show up by campaign and segment, so marketing fixes the message where it breaks."),
)

# (title, objection category, funnel stage or "", persona or "", body)
RESPONSES = (
    ("Total cost of ownership, not licence price", "price", "decision", "Finance buyer (CFO)",
     "Put the licence next to what the status quo costs: analyst hours rebuilding reports, the consultant for the "
     "BI tool, the campaigns nobody can tie to revenue. Training, support and onboarding are included."),
    ("Start with Dashboards, grow into the platform", "price", "consideration", "",
     "A smaller first step: Dashboards on the existing CRM data, with the price of the first year credited if "
     "they move to the platform."),
    ("The cost of waiting a quarter", "timing", "consideration", "",
     "Agree what another quarter of reconciling spreadsheets costs them, then offer a pilot that fits the "
     "planning cycle instead of pushing for a signature."),
    ("Help the champion sell it inside", "authority", "decision", "",
     "Give the champion the one-page business case and offer to join the meeting with the economic buyer; ask "
     "who else has to say yes and when they meet."),
    ("Lead quality is a definitions problem first", "need", "awareness", "Marketing leader (VP Marketing)",
     "When marketing celebrates leads and sales complains about quality, the two teams are counting different "
     "things. Show the shared funnel: the argument turns into a fix."),
    ("Northwind next to the reporting in your CRM", "competitor", "consideration", "",
     "CRM reports see the CRM. Northwind joins campaigns, touches and deals, so attribution and the funnel come "
     "from one place; the comparison sheet lists what each does."),
    ("Build or buy: what an in-house stack really costs", "competitor", "decision", "Data and analytics lead",
     "Count the engineer-months to build and keep attribution, the funnel and forecasting running, then the "
     "months before the first report."),
    ("Plain claims, customer proof", "trust", "consideration", "",
     "No skyrocketing productivity: here is what three customers measured before and after, and a reference call "
     "with one of them."),
    ("Connectors and the roadmap: what exists today", "feature_gap", "consideration", "Data and analytics lead",
     "Say what is there now and what is not; offer the CSV and API route for the missing source and a date only "
     "when the roadmap has one."),
    ("Annual terms with an exit in year one", "contract", "decision", "Finance buyer (CFO)",
     "Annual billing with a 90-day exit in the first year, the DPA and the security pack sent before legal asks."),
    ("Send the short version, then book the call", "other", "awareness", "",
     "When a cold call gets a 'send me something', send two lines and one chart, not the 40-page deck, and "
     "propose a time."),
)

# (title, funnel stage, persona or "", url path, body)
ASSETS = (
    ("State of B2B Analytics report", "awareness", "", "/reports/state-of-b2b-analytics",
     "The yearly survey: how 600 revenue teams measure marketing and sales, and where the numbers disagree."),
    ("Blog: sales and marketing, one scoreboard", "awareness", "Marketing leader (VP Marketing)",
     "/blog/one-scoreboard", "Why a lead means something else to each team, and how to write one definition."),
    ("Explainer video: the funnel on one page", "awareness", "", "/videos/funnel-on-one-page",
     "Two minutes from first touch to closed won."),
    ("Webinar recording: forecasting that works", "consideration", "Revenue leader (VP Sales)",
     "/webinars/forecasting-that-works", "The quarterly webinar: qualification-weighted forecasts in practice."),
    ("Buyer's guide to revenue analytics", "consideration", "", "/guides/buyers-guide",
     "The questions to ask any vendor, including us."),
    ("Security and data protection overview", "consideration", "Data and analytics lead", "/trust",
     "Hosting, SSO, encryption, the DPA and the sub-processors."),
    ("Product tour", "consideration", "", "/product", "Ten screens, no sign-up."),
    ("ROI calculator", "decision", "Finance buyer (CFO)", "/roi",
     "Their figures in, payback month out; the sheet the CFO asks for."),
    ("Customer story: Cedar Logistics", "decision", "Revenue leader (VP Sales)", "/customers/cedar-logistics",
     "Month-end reporting from nine days to two, and a forecast within 6% two quarters running."),
    ("Pricing", "decision", "", "/pricing", "Plans, what each includes, and what onboarding costs (nothing)."),
    ("Mutual action plan template", "decision", "", "/templates/mutual-action-plan",
     "The steps from pilot to signature, with owners and dates on both sides."),
    ("Onboarding guide: the first 30 days", "retention", "Revenue operations lead", "/help/first-30-days",
     "Connect the CRM, agree the definitions, ship the first shared report."),
    ("Quarterly business review template", "retention", "", "/templates/qbr",
     "What changed in the funnel since last quarter and what to do about it."),
    ("Customer office hours", "retention", "", "/community/office-hours",
     "Every other Thursday with a product expert."),
)


@dataclass
class Playbook:
    """What the loader needs from the library: the framework's criteria and the responses reps used."""

    framework: Framework
    criteria: list[str]
    response_by_category: dict[str, str] = field(default_factory=dict)
    frameworks: int = 0
    items: int = 0


def make_playbook(*, users: dict[str, User], pipeline: Pipeline) -> Playbook:
    """Frameworks (MEDDPICC tuned and chosen for the pipeline, BANT kept for first calls) and the library."""
    criteria = [{**c, "weight": FRAMEWORK_WEIGHTS.get(c["key"], c["weight"])} for c in template_criteria("meddpicc")]
    framework = do_create_framework(
        by=users["admin"], template="meddpicc", name=FRAMEWORK_NAME, criteria=criteria,
        description="MEDDPICC with the economic buyer counting double and the pain and champion one and a half.",
    )
    do_create_framework(by=users["admin"], template="bant", name="BANT (first calls)",
                        description="Kept for the SDRs' first calls; deals are qualified with MEDDPICC.")
    do_set_pipeline_framework(by=users["manager"], pipeline=pipeline, framework=framework)
    playbook = Playbook(framework, [c["key"] for c in framework.criteria], frameworks=2)
    personas = {}
    for title, body in PERSONAS:
        personas[title] = _item(users["marketing"], kind="persona", title=title, body=body)
    for title, stage, persona, body in VALUE_PROPOSITIONS:
        _item(users["marketing"], kind="value_proposition", title=title, body=body, funnel_stage=stage,
              persona=personas.get(persona))
    for title, category, stage, persona, body in RESPONSES:
        _item(users["manager"], kind="objection_response", title=title, body=body, funnel_stage=stage,
              persona=personas.get(persona), objection_category=category)
        playbook.response_by_category.setdefault(category, title)
    for title, stage, persona, path, body in ASSETS:
        _item(users["marketing"], kind="content_asset", title=title, body=body, funnel_stage=stage,
              persona=personas.get(persona), url=SITE + path)
    playbook.items = len(PERSONAS) + len(VALUE_PROPOSITIONS) + len(RESPONSES) + len(ASSETS)
    return playbook


def _item(by: User, **fields: Any) -> MessagingItem:
    return do_create_messaging_item(by=by, **fields)
