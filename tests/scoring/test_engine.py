import datetime as dt

from plumbline.definitions.schema import DEFAULT, PlumbLine
from plumbline.scoring.engine import Event, Profile, RuleContext, engagement, explain_rule, fit, seniority

RULES = PlumbLine.model_validate(DEFAULT)
NOW = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)


class Obj:
    def __init__(self, **kw):
        self.__dict__.update(kw)


def test_seniority_from_titles():
    assert [seniority(t) for t in ["CEO", "VP Sales", "Head of Growth", "Marketing Manager", "Analyst", ""]] == [
        "c_level", "vp", "director", "manager", "individual", "unknown",
    ]


def test_fit_sums_matching_rules_and_grades():
    contact = Obj(title="VP Engineering", source="", email="a@acme.com", custom={})
    company = Obj(industry="Software", employee_count=500, annual_revenue=None, country="FR", custom={})
    result = fit(Profile.of(contact, company), RULES.icp)
    assert [c["label"] for c in result.contributions] == ["Target industry", "Mid-market or larger", "Decision maker"]
    assert (result.score, result.grade) == (65, "A")


def test_engagement_halves_every_half_life():
    events = [Event("demo_request", NOW - dt.timedelta(days=30)), Event("form_submit", NOW)]
    result = engagement(events, RULES.engagement, now=NOW)
    assert result.score == 30.0  # 40 halved after 30 days + 10 today
    assert result.kinds == {"demo_request", "form_submit"}


def test_caps_limit_points_per_kind_per_period():
    events = [Event("page_view", NOW - dt.timedelta(minutes=i)) for i in range(40)]
    result = engagement(events, RULES.engagement, now=NOW)
    assert round(result.score, 1) == 15.0


def test_floor_ignores_earlier_events_and_competitors_are_negative():
    rules = RULES.engagement.model_copy(update={"competitor_domains": ["rival.com"]})
    events = [Event("demo_request", NOW - dt.timedelta(days=1)), Event("form_submit", NOW)]
    result = engagement(events, rules, now=NOW, email_domain="rival.com", floor_at=NOW - dt.timedelta(hours=1))
    assert result.score == -90.0


def test_mql_rule_explains_the_branch_that_held():
    ctx = RuleContext(fit_score=45, fit_grade="B", engagement=12.0, kinds=frozenset({"demo_request"}),
                      lifecycle_stage="lead")
    assert explain_rule(RULES.mql.when, ctx) == (True, "hand-raiser Demo request and fit grade B ≥ C")
    cold = RuleContext(fit_score=45, fit_grade="B", engagement=12.0, kinds=frozenset(), lifecycle_stage="lead")
    assert explain_rule(RULES.mql.when, cold)[0] is False
