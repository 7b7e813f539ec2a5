"""Controls a new user reads must show their whole text: the qualification status drop-downs are wide enough for
their longest choice ("Confirmed", "Unknown"), at the width of a laptop screen."""

from __future__ import annotations

import pytest

from plumbline.crm.actions import do_create_deal
from plumbline.playbook.actions import do_create_framework, do_set_pipeline_framework
from tests.browser.test_core_flow import sign_in

pytestmark = pytest.mark.browser

WIDEST_OPTION_FITS = """
sel => {
  const ctx = document.createElement('canvas').getContext('2d');
  const style = getComputedStyle(sel);
  ctx.font = style.font;
  const widest = Math.max(...Array.from(sel.options).map(o => ctx.measureText(o.text).width));
  const room = sel.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight) - 16;  // the arrow
  return {widest, room};
}
"""


@pytest.mark.parametrize("width", [1400, 1024])
def test_qualification_status_dropdowns_show_their_longest_choice(live_server, transactional_db, users, pipeline,
                                                                  browser_page, width):
    # given a deal in a pipeline qualified with BANT, and its rep signed in on a screen `width` wide
    do_set_pipeline_framework(pipeline=pipeline, framework=do_create_framework(template="bant"))
    deal = do_create_deal(name="Initech rollout", amount="48000", owner=users["rep1"])
    page, base = browser_page, live_server.url
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, base, "rep1")

    # when they open the deal's qualification
    page.goto(f"{base}/deals/{deal.pk}/qualification/")

    # then every status drop-down has room for its longest choice
    selects = page.locator("table.qualification select")
    assert selects.count() == 4
    for i in range(selects.count()):
        fit = selects.nth(i).evaluate(WIDEST_OPTION_FITS)
        assert fit["room"] >= fit["widest"], fit


def test_pipeline_switch_submits_on_change_without_inline_script(live_server, transactional_db, users, pipeline,
                                                                 browser_page):
    # given a second pipeline and a manager on the board
    from plumbline.crm.actions import do_create_pipeline

    other = do_create_pipeline(name="Renewals", stages=[{"name": "Due", "probability": 50},
                                                        {"name": "Renewed", "probability": 100, "kind": "won"}])
    page, base = browser_page, live_server.url
    sign_in(page, base, "manager")
    page.goto(f"{base}/deals/")
    assert "onchange" not in page.content()

    # when they pick the other pipeline
    page.select_option("#pipeline", str(other.pk))

    # then the board of that pipeline loads
    page.wait_for_url(f"{base}/deals/?pipeline={other.pk}")
    assert page.locator("section.stage-col h2").first.inner_text().startswith("Due")
