"""The MQL rule in the visual builder, in a real browser: an admin changes a condition, adds one, reads the rule
back in the live preview, and publishes a new version of the plumb line."""

from __future__ import annotations

import pytest

from plumbline.definitions.actions import do_publish_definitions
from plumbline.definitions.models import DefinitionVersion
from plumbline.definitions.queries import current_version, parsed
from tests.browser.test_core_flow import sign_in

pytestmark = pytest.mark.browser


def test_admin_edits_the_mql_rule_in_the_builder_and_publishes(
    live_server, transactional_db, users, browser_page
):
    page, base = browser_page, live_server.url
    sign_in(page, base, "admin")
    page.goto(f"{base}/definitions/")
    page.click("a:has-text('Edit the MQL rule')")
    page.wait_for_url(f"{base}/definitions/mql-rule/")
    # the default rule arrives as two groups of two conditions, read back in words
    assert page.locator(".builder-group").count() == 2
    preview = page.locator("#mql-preview")
    preview.locator("text=fit grade B or better and engagement ≥ 50").wait_for()

    page.fill("[aria-label='Group 1, condition 2: value']", "60")
    preview.locator("text=engagement ≥ 60").wait_for()

    page.click("[aria-label='Add a condition to Group 2']")
    page.select_option("[aria-label='Group 2, condition 3: field']", "lifecycle_stage")
    page.get_by_role("group", name="Group 2, condition 3: values").get_by_label("Lead", exact=True).check()
    preview.locator("text=stage is Lead").wait_for()
    page.screenshot(path="/tmp/plumbline_mql_builder.png", full_page=True)

    page.fill("#id_note", "Engagement bar raised; hand-raisers must be leads")
    page.click("button:has-text('Publish new version')")
    page.wait_for_url(f"{base}/definitions/")
    assert "v2" in page.locator("h1").inner_text()
    version = current_version()
    assert (version.number, version.note) == (2, "Engagement bar raised; hand-raisers must be leads")
    assert parsed(version).mql.when.model_dump(exclude_none=True) == {
        "any": [
            {"all": [{"fit_grade_at_least": "B"}, {"engagement_at_least": 60.0}]},
            {
                "all": [
                    {"touchpoint_kind_in": ["demo_request", "pricing_view"]},
                    {"fit_grade_at_least": "C"},
                    {"lifecycle_in": ["lead"]},
                ]
            },
        ]
    }
    assert DefinitionVersion.objects.count() == 2


def test_a_nested_rule_opens_as_json_and_publishes_unchanged_structure(
    live_server, transactional_db, users, browser_page
):
    body = dict(current_version().body)
    body["mql"] = {
        **body["mql"],
        "when": {
            "all": [
                {"fit_score_at_least": 10},
                {"any": [{"fit_grade_at_least": "A"}, {"lifecycle_in": ["lead"]}]},
            ]
        },
    }
    do_publish_definitions(by=None, body=body, note="Nested")
    page, base = browser_page, live_server.url
    sign_in(page, base, "admin")
    page.goto(f"{base}/definitions/mql-rule/")
    area = page.locator("[aria-label='The rule as JSON']")
    assert "nested groups" in page.locator(".builder-advanced").inner_text()
    area.fill(area.input_value().replace('"value": 10', '"value": 20'))
    page.locator("#mql-preview").locator("text=fit score ≥ 20").wait_for()
    page.fill("#id_note", "Higher fit score")
    page.click("button:has-text('Publish new version')")
    page.wait_for_url(f"{base}/definitions/")
    assert parsed(current_version()).mql.when.model_dump(exclude_none=True) == {
        "all": [
            {"fit_score_at_least": 20},
            {"any": [{"fit_grade_at_least": "A"}, {"lifecycle_in": ["lead"]}]},
        ]
    }
