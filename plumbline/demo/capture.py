"""The demo company's capture side: its website as a tracking Site, the subscription types, the newsletter/contact
form, a guided flow, a campaign landing page, and some demo contacts' history of visits, submissions and consent.

Everything is written through the apps' own actions, as a real visitor's beacons and submissions would be: hits
go in through `do_collect` (the collect endpoint's insert), submissions through `do_submit_form` with a solved
proof of work and the visitor id the snippet gives the form, so the submission stitches the visitor's earlier page
views to the contact with their real times; a share of the people then confirm their double opt-in
(`do_confirm_opt_in`). The website itself is served at /demo-site/ (plumbline.demo.site)."""

from __future__ import annotations

import base64
import datetime as dt
import json
from dataclasses import dataclass
from urllib.parse import urlsplit

import altcha
import numpy as np
from django.conf import settings
from django.utils import timezone
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from plumbline.consent.actions import do_confirm_opt_in, ensure_default_types
from plumbline.consent.models import ConsentEntry
from plumbline.consent.tasks import send_confirmation_email
from plumbline.crm.models import Contact
from plumbline.marketing.models import Campaign, Channel
from plumbline.playbook.models import MessagingItem
from plumbline.tracking import beacon
from plumbline.tracking.actions import do_collect, do_create_site, do_process_hits
from plumbline.tracking.models import Site
from plumbline.webforms import spam
from plumbline.webforms.actions import do_create_flow, do_create_form, do_create_landing_page
from plumbline.webforms.models import Flow, Form, LandingPage
from plumbline.webforms.submit import Visit, do_submit_form

SITE_NAME = "Northwind Analytics website (demo site)"
FORM_SLUG = "newsletter"
FLOW_SLUG = "find-your-plan"
LANDING_SLUG = "revenue-analytics-guide"
CHROME = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 "
          "Safari/537.36")

NEWSLETTER_TEXT = "Send me the monthly newsletter"
FORM_FIELDS = [
    {"label": "Work email", "key": "email", "type": "email", "maps_to": "contact.email", "required": True},
    {"label": "First name", "key": "first_name", "type": "text", "maps_to": "contact.first_name"},
    {"label": "Last name", "key": "last_name", "type": "text", "maps_to": "contact.last_name"},
    {"label": "Company", "key": "company", "type": "text", "maps_to": "company.name"},
    {"label": "How can we help?", "key": "message", "type": "textarea", "maps_to": ""},
    {"label": NEWSLETTER_TEXT, "key": "newsletter", "type": "consent", "subscription": "newsletter"},
    {"label": "Tell me about new features", "key": "product_news", "type": "consent", "subscription": "product_news"},
    {"label": "Invite me to webinars and events", "key": "events", "type": "consent", "subscription": "events"},
    {"label": "Campaign", "key": "utm_campaign", "type": "hidden", "hidden_source": "utm_campaign"},
]

# The pages of the demo site: (path under /demo-site/, title). The site's views serve the same list.
PAGES = (
    ("", "Northwind Analytics: one funnel for sales and marketing"),
    ("product/", "Product: Northwind Analytics"),
    ("pricing/", "Pricing: Northwind Analytics"),
    ("blog/one-scoreboard/", "Sales and marketing, one scoreboard: Northwind Analytics blog"),
)


@dataclass
class CaptureTotals:
    site: Site
    form: Form
    flow: Flow
    landing: LandingPage | None
    hits: int = 0
    submissions: int = 0
    confirmed: int = 0


def site_origins(base_url: str) -> str:
    """The origin of the served base URL (and its loopback twin: 127.0.0.1 and localhost are the same machine)."""
    parts = urlsplit(base_url)
    origins = [f"{parts.scheme}://{parts.netloc}"]
    twins = {"127.0.0.1": "localhost", "localhost": "127.0.0.1"}
    if parts.hostname in twins:
        port = f":{parts.port}" if parts.port else ""
        origins.append(f"{parts.scheme}://{twins[parts.hostname]}{port}")
    return "\n".join(origins)


def demo_site() -> Site | None:
    """The demo company's tracking Site, or None when the demo is not loaded (or the site is switched off)."""
    if not getattr(settings, "DEMO_SITE", True):
        return None
    return Site.objects.filter(name=SITE_NAME, active=True).order_by("pk").first()


def site_available() -> bool:
    """Whether /demo-site/ is served: DEMO_SITE is on (the default) and the demo's Site and form exist."""
    return demo_site() is not None and Form.objects.filter(slug=FORM_SLUG, is_active=True).exists()


def _flow_definition() -> dict:
    personas = dict(MessagingItem.objects.filter(kind=MessagingItem.Kind.PERSONA).values_list("title", "pk"))
    marketing = personas.get("Marketing leader (VP Marketing)")
    sales = personas.get("Revenue leader (VP Sales)")
    return {
        "steps": [
            {"key": "role", "question": "Which team are you on?",
             "options": ["Marketing", "Sales", "Revenue operations", "Leadership"],
             "branches": [{"answer": "Leadership", "goto": "size"}], "next": "goal"},
            {"key": "goal", "question": "What do you want to fix first?",
             "options": ["Prove marketing's pipeline", "A forecast I can trust", "One definition of a lead"],
             "next": "size"},
            {"key": "size", "question": "How many people sell or market at your company?",
             "options": ["1-10", "11-50", "51-200", "200+"]},
        ],
        "results": [
            {"key": "talk_to_sales", "kind": "sales", "title": "Let's talk: a specialist will call you",
             "message": "Teams your size get the most from a guided pilot. We will be in touch within a day.",
             "when": {"size": ["51-200", "200+"]}},
            {"key": "marketing_reading", "kind": "content", "title": "Reading for marketing leaders",
             "when": {"role": ["Marketing"]}, "funnel_stage": "awareness",
             **({"persona_id": marketing} if marketing else {})},
            {"key": "sales_reading", "kind": "content", "title": "Reading for sales leaders",
             "when": {"role": ["Sales"]}, "funnel_stage": "consideration", **({"persona_id": sales} if sales else {})},
            {"key": "buyers_guide", "kind": "content", "title": "Where to start", "funnel_stage": "consideration"},
        ],
    }


def install_assets(*, base_url: str | None = None) -> CaptureTotals:
    """The site, the subscription types, the form, the flow and the landing page (no visitors yet)."""
    base_url = base_url or settings.PUBLIC_BASE_URL
    ensure_default_types()
    site = do_create_site(name=SITE_NAME, origins=site_origins(base_url))
    form = do_create_form(
        name="Newsletter and contact", slug=FORM_SLUG, fields=FORM_FIELDS, submit_label="Subscribe",
        thank_you_message="Thank you! Check your inbox: one click confirms your subscription.")
    flow = do_create_flow(name="Find your plan", slug=FLOW_SLUG, form=form, definition=_flow_definition())
    campaign = Campaign.objects.filter(channel=Channel.PAID_SEARCH).order_by("pk").first()
    landing = None
    if campaign is not None:
        landing = do_create_landing_page(
            headline="The buyer's guide to revenue analytics", slug=LANDING_SLUG, campaign=campaign, form=form,
            body_html=("<p>Twelve questions to ask any analytics vendor, including us, and what good answers "
                       "sound like.</p><ul><li>Where do the numbers come from?</li><li>Who defines a qualified "
                       "lead?</li><li>How is marketing credited for pipeline?</li></ul>"),
            cta_label="See pricing", cta_url=f"{base_url.rstrip('/')}/demo-site/pricing/")
    return CaptureTotals(site=site, form=form, flow=flow, landing=landing)


def _rid(rng: np.random.Generator) -> str:
    """A visitor or session id as the snippet makes one: 16 random bytes, unpadded base64url (22 characters)."""
    return base64.urlsafe_b64encode(rng.bytes(16)).decode().rstrip("=")


def _solved() -> str:
    """A solved proof of work, as the embed's solver sends it."""
    ch = spam.new_challenge()
    solution = altcha.solve_challenge_v1(ch["challenge"], ch["salt"], "SHA-256", ch["maxNumber"])
    return base64.b64encode(json.dumps({
        "algorithm": "SHA-256", "challenge": ch["challenge"], "number": solution.number, "salt": ch["salt"],
        "signature": ch["signature"]}).encode()).decode()


AGENTS = (CHROME, "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) "
          "Version/17.5 Safari/605.1.15", "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0")
CRAWLER = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"


def _anonymous_traffic(site: Site, base: str, end: dt.datetime, rng: np.random.Generator,
                       visitors: int = 40) -> int:
    """Visitors who never said who they are (they stay anonymous) and a crawler (kept, labelled as a bot)."""
    rows = []
    for v in range(visitors + 1):
        crawler = v == visitors
        family, bot, reason = beacon.classify_agent(CRAWLER if crawler else AGENTS[v % len(AGENTS)])
        visitor, session = _rid(rng), _rid(rng)
        at = end - dt.timedelta(days=int(rng.integers(0, 30)), minutes=int(rng.integers(30, 600)))
        referrer = "" if crawler else str(rng.choice(["", "https://www.google.com/", "https://www.linkedin.com/"]))
        pages = PAGES if crawler else [PAGES[int(i)] for i in rng.choice(4, size=int(rng.integers(1, 4)),
                                                                         replace=False)]
        for p, (path, title) in enumerate(pages):
            when = at + dt.timedelta(minutes=p, seconds=int(rng.integers(0, 60)))
            url = f"{base}/demo-site/{path}"
            rows.append((site.pk, f"demo-{_rid(rng)}", visitor, session, "page_view", url, beacon.path_of(url),
                         title, referrer, "", "", "", "", "", "", {}, family, bot, reason, "", when, when))
    return do_collect(rows=rows)


def load_capture(*, as_of: dt.date, seed: int = 1, people: int = 24, base_url: str | None = None) -> CaptureTotals:
    """Install the assets, then give `people` demo contacts a history: a few visits to the demo site over the
    weeks before `as_of` (some from the landing page's campaign), then the form (newsletter ticked, sometimes
    more), and for most of them the confirmation of their double opt-in the next day. Three of them answer the
    guided flow instead. Forty visitors who never identify themselves and a crawler browse the site too."""
    base = (base_url or settings.PUBLIC_BASE_URL).rstrip("/")
    totals = install_assets(base_url=base)
    rng = np.random.default_rng([seed, 12])
    end = min(dt.datetime.combine(as_of, dt.time(17, 0), tzinfo=dt.UTC), timezone.now())  # never in the future
    # people already in the CRM a few days before the end: they submit after they became contacts
    ids = list(Contact.objects.exclude(email="").filter(created_at__lt=end - dt.timedelta(days=3))
               .order_by("pk").values_list("pk", flat=True))
    if not ids:
        return totals
    chosen = sorted(rng.choice(ids, size=min(people, len(ids)), replace=False).tolist())
    campaign = totals.landing.campaign if totals.landing else None
    for n, contact in enumerate(Contact.objects.filter(pk__in=chosen).select_related("company").order_by("pk")):
        visitor = _rid(rng)
        earliest = max(end - dt.timedelta(days=45), contact.created_at + dt.timedelta(days=1))
        span = int((end - earliest).total_seconds() // 60)
        submitted = earliest + dt.timedelta(minutes=int(rng.integers(0, max(span, 1))))
        rows, utm = [], {}
        day = submitted - dt.timedelta(days=int(rng.integers(2, 12)))
        for visit in range(int(rng.integers(1, 4))):
            session = _rid(rng)
            tagged = campaign is not None and visit == 0 and rng.random() < 0.4
            utm = ({"utm_source": "google", "utm_medium": "cpc", "utm_campaign": campaign.utm_campaign}
                   if tagged else {})
            referrer = "https://www.google.com/" if tagged or rng.random() < 0.3 else ""
            at = day + dt.timedelta(days=visit * int(rng.integers(1, 4)), hours=int(rng.integers(0, 3)))
            at = min(at, submitted - dt.timedelta(minutes=20))
            pages = [PAGES[0], *[PAGES[int(i)] for i in rng.choice([1, 2, 3], size=int(rng.integers(1, 4)),
                                                                    replace=False)]]
            for p, (path, title) in enumerate(pages):
                when = at + dt.timedelta(minutes=2 * p, seconds=int(rng.integers(0, 60)))
                url = f"{base}/demo-site/{path}"
                rows.append((totals.site.pk, f"demo-{_rid(rng)}", visitor, session, "page_view", url,
                             beacon.path_of(url), title, referrer, utm.get("utm_source", ""),
                             utm.get("utm_medium", ""), utm.get("utm_campaign", ""), "", "", "", {}, "Chrome", "",
                             "", "", when, when))
        totals.hits += do_collect(rows=rows)
        flow_answers = None
        if n % 8 == 3:  # some answer the guided flow instead of the plain form
            flow_answers = {"role": str(rng.choice(["Marketing", "Sales"])), "goal": "Prove marketing's pipeline",
                            "size": str(rng.choice(["11-50", "51-200"]))}
        data = {"email": contact.email, "first_name": contact.first_name, "last_name": contact.last_name,
                "company": contact.company.name if contact.company else "", "newsletter": True,
                "product_news": bool(rng.random() < 0.4), "events": bool(rng.random() < 0.3),
                "message": "" if flow_answers or rng.random() < 0.6 else "Could we see how it works with our CRM?",
                spam.POW_FIELD: _solved()}
        page = f"{base}/demo-site/{'' if flow_answers else 'pricing/'}"
        outcome = do_submit_form(
            form=totals.form, data=data, visit=Visit(visitor_id=visitor, page_url=page, utm=utm),
            at=submitted, flow=totals.flow if flow_answers else None, flow_answers=flow_answers)
        totals.submissions += 1
        if rng.random() < 0.75:  # most people click the confirmation link the next morning
            for entry in ConsentEntry.objects.filter(contact=outcome.contact, status="requested",
                                                     occurred_at=submitted):
                confirmed_at = submitted + dt.timedelta(hours=int(rng.integers(1, 16)))
                do_confirm_opt_in(entry_id=entry.pk, contact_id=outcome.contact.pk, at=confirmed_at,
                                  proof={"page": "confirmation", "at": confirmed_at.isoformat()})
                totals.confirmed += 1
    totals.hits += _anonymous_traffic(totals.site, base, end, rng)
    do_process_hits(now=end)  # what the worker does: the anonymous visitors' hits stay theirs, processed
    # This history's confirmation emails went out back then: the demo does not mail its example addresses now.
    DBTaskResult.objects.filter(task_path=send_confirmation_email.module_path,
                                status=TaskResultStatus.READY).delete()
    return totals
