"""What Northwind's buyers say and what its reps write down: objection verbatims and qualification answers.

The verbatims borrow the phrasing our users use about their own buyers (the seed articles in shared/seeds): the
buzzword fatigue, "leave it with me", total cost of ownership, "just putting our feelers out", the CRM that
already reports. Plain ASCII without tabs, newlines or backslashes, so rows go to COPY as they are.
"""

from __future__ import annotations

VERBATIMS: dict[str, tuple[str, ...]] = {
    "price": (
        "The licence is fine. It's the total cost of ownership I worry about: training, support and the data "
        "engineer we would need.",
        "That's more than we pay for our whole BI stack today.",
        "Can you do anything on price if we sign this quarter?",
        "We asked for dashboards, not the Enterprise Plan. This feels like 'would you like fries with that'.",
        "Finance will ask why we pay per seat when half the seats only look at one report a month.",
        "Our current vendor gives us a loyalty discount. Switching means losing it.",
    ),
    "timing": (
        "We're just putting our feelers out at this point.",
        "Everything is frozen until the new fiscal year.",
        "Leave it with me. I'll come back to you after the quarter closes.",
        "We're in the middle of a CRM migration. Talk to us in six months.",
        "No budget, no urgency and honestly no plan to buy anything before the next World Cup.",
        "Our planning cycle starts in September; anything before that is too early.",
    ),
    "authority": (
        "I'd need to take this to our CFO. She signs off anything over 25k.",
        "I like it, but marketing and sales both have to agree, and they don't agree on much.",
        "Procurement and IT security both have to sign off and I don't know who goes first.",
        "The VP who asked for this has just left; I'm not sure who owns it now.",
        "Send me the deck and I'll share it with the leadership team.",
    ),
    "need": (
        "Our problem is lead quality, not reporting.",
        "Marketing measures clicks and sales measures pipeline. I'm not sure another dashboard fixes that.",
        "We already rebuild the pipeline spreadsheet every Monday. It works well enough.",
        "We don't have the appetite for another 47-slide transformation programme.",
        "Our agency does the marketing reporting for us.",
        "Honestly, we don't know yet what a qualified lead means for us.",
    ),
    "competitor": (
        "HubSpot's reporting already comes with our CRM. Why would we pay for another tool?",
        "Our data team says they can build this on the warehouse in a couple of sprints.",
        "Power BI comes with our Microsoft licence.",
        "We've already done our research and shortlisted two other vendors.",
        "We're trialling Looker with a consultant right now.",
    ),
    "trust": (
        "Your site says our productivity will skyrocket. Every vendor says that. What does it actually do?",
        "We were promised 'unlocking transformation' by the last tool and got a login nobody uses.",
        "Our CRM data is a mess. Your dashboards will just show us garbage faster.",
        "What happens if it doesn't work for us? We can't afford another failed rollout.",
        "Who else our size uses it? I'd want to talk to one of them.",
    ),
    "feature_gap": (
        "Can it pull our Salesforce opportunities? Without that it's a non-starter.",
        "We need row-level security so regional managers only see their region.",
        "There's no connector for our ERP, and that's where the revenue lives.",
        "The forecast has to handle three currencies.",
        "Our marketing team lives in Mailchimp and Brevo. Does it read those?",
    ),
    "contract": (
        "We can't sign a three-year term. We need an annual exit.",
        "Legal will want a DPA and to know where the data is hosted.",
        "Our security questionnaire has 180 questions and it comes before any signature.",
        "Your standard terms put the liability cap far too low for our legal team.",
        "We're locked into our current contract until the end of the year.",
    ),
    "other": (
        "Just send me something by email.",
        "How did you get my number?",
        "I'm not the right person. Try our operations team.",
    ),
}

# What buyers raise where, (category, weight): on a cold call, in the discovery call with an accepted lead (sal)
# and at each deal stage.
STAGE_CATEGORIES: dict[str, tuple[tuple[str, float], ...]] = {
    "cold": (("need", 3), ("timing", 3), ("competitor", 2), ("trust", 1.5), ("other", 2)),
    "sal": (("need", 3), ("timing", 2.5), ("trust", 2), ("competitor", 1.5), ("authority", 1)),
    "Discovery": (("need", 3), ("timing", 2.5), ("trust", 2), ("competitor", 1.5), ("authority", 1)),
    "Demo": (("feature_gap", 3), ("competitor", 2.5), ("trust", 1.5), ("need", 1.5), ("timing", 1)),
    "Proposal": (("price", 3), ("authority", 2), ("competitor", 2), ("contract", 1), ("timing", 1)),
    "Negotiation": (("price", 3), ("contract", 3), ("authority", 1.5), ("timing", 1)),
}

# A lost deal's last objection is the one that lost it: its category follows the loss reason.
LOST_CATEGORY = {
    "Price": "price", "Chose a competitor": "competitor", "No decision": "authority",
    "Missing feature": "feature_gap", "Budget cut": "timing",
}
# A lead sent back to nurture said why; the reject reason names the category.
REJECT_CATEGORY = {
    "No budget this year": "price", "Not the decision maker": "authority", "Timing: revisit next quarter": "timing",
    "Already under contract": "contract", "No real project yet": "need",
}

# MEDDPICC answers, by criterion key; {n}, {person}, {buyer} are filled per deal.
ANSWERS: dict[str, tuple[str, ...]] = {
    "metrics": (
        "Cut month-end reporting from {n} days to 2",
        "One pipeline number for sales and marketing by the next QBR; today they reconcile {n} spreadsheets",
        "Forecast within 10% of actuals; last quarter they missed by {n}%",
        "Save {n} analyst hours a week of manual reports",
        "Show cost per opportunity by channel to the board every month",
    ),
    "economic_buyer": ("{buyer}",),
    "decision_criteria": (
        "Connects to the CRM and the warehouse without a data engineer",
        "Passes the security review; SSO; data hosted in the EU",
        "Cheaper per seat than the BI tool they have",
        "Sales and marketing both sign off the funnel definitions",
        "Forecast accuracy in a two-week pilot",
    ),
    "decision_process": (
        "Champion demo, team trial, CFO sign-off, then procurement",
        "Steering committee meets monthly; IT security review runs in parallel",
        "Two-week pilot then a go or no-go with the leadership team",
        "Head of department decides; finance only checks the budget line",
    ),
    "paper_process": (
        "Procurement takes about {n} weeks; legal redlines the MSA",
        "Standard order form once the security questionnaire is done",
        "Finance raises the PO after signature; DPA needed",
        "Framework agreement through their reseller",
    ),
    "identify_pain": (
        "Marketing celebrates leads, sales complains about quality; nobody trusts the funnel numbers",
        "The forecast is a spreadsheet rebuilt every Monday",
        "The board asks for acquisition cost by channel and they cannot answer",
        "Month-end reports take {n} days and are out of date when they land",
        "Campaigns cannot be tied to pipeline, so the marketing budget is cut first",
    ),
    "champion": ("{person}",),
    "competition": (
        "Reporting add-on of their CRM", "In-house build on the warehouse", "Power BI with a consultant",
        "Doing nothing: the spreadsheet stays", "Looker trial",
    ),
}
# A partial answer is what the rep believes but has not had confirmed.
PARTIAL_NOTE = " (to confirm)"
# The economic buyer when the deal's contact is not senior enough to be it.
BUYER_TITLES = ("Chief Financial Officer", "Chief Operating Officer", "VP of Sales", "VP of Marketing",
                "Chief Executive Officer")
# (criterion key, stage index from which reps usually know it: 0 Discovery ... 3 Negotiation)
CRITERION_STAGE = {
    "identify_pain": 0, "metrics": 0, "champion": 0, "decision_criteria": 1, "competition": 1,
    "economic_buyer": 1, "decision_process": 2, "paper_process": 3,
}

OUTCOME_NOTES = {
    "resolved": "Answered with: {response}",
    "lost_deal": "Lost: {reason}",
    "nurture": "Back to nurture: {reason}",
    "moved_on": "Handled in the discovery meeting",
}
