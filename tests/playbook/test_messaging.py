import pytest

from plumbline.core.errors import PermissionDenied, ValidationFailed
from plumbline.playbook.actions import (
    do_create_messaging_item,
    do_delete_messaging_item,
    do_update_messaging_item,
)
from plumbline.playbook.models import MessagingItem
from plumbline.playbook.queries import messaging, suggested_responses


@pytest.fixture
def library(users):
    m = users["marketing"]
    cfo = do_create_messaging_item(by=m, kind="persona", title="CFO", body="Cares about payback.")
    items = {
        "roi": do_create_messaging_item(by=m, kind="objection_response", title="ROI in 6 months",
                                        objection_category="price", funnel_stage="decision", persona=cfo),
        "tiers": do_create_messaging_item(by=m, kind="objection_response", title="Start on the small tier",
                                          objection_category="price"),
        "annual": do_create_messaging_item(by=m, kind="objection_response", title="Annual discount",
                                           objection_category="price", funnel_stage="awareness"),
        "security": do_create_messaging_item(by=m, kind="objection_response", title="SOC 2 report",
                                             objection_category="trust", funnel_stage="decision"),
        "vp": do_create_messaging_item(by=m, kind="value_proposition", title="One record for both teams",
                                       funnel_stage="awareness"),
        "asset": do_create_messaging_item(by=m, kind="content_asset", title="ROI calculator",
                                          url="https://example.com/roi", funnel_stage="consideration", persona=cfo),
    }
    return {"cfo": cfo, **items}


@pytest.mark.django_db
def test_suggested_responses_match_the_category_with_the_stage_fit_first(library):
    assert [i.title for i in suggested_responses("price", stage="decision")] == [
        "ROI in 6 months", "Start on the small tier", "Annual discount"]
    assert [i.title for i in suggested_responses("price", stage="awareness")] == [
        "Annual discount", "Start on the small tier", "ROI in 6 months"]
    assert [i.title for i in suggested_responses("trust")] == ["SOC 2 report"]
    assert suggested_responses("contract") == []
    assert suggested_responses("mood") == []


@pytest.mark.django_db
def test_library_filters_by_stage_and_persona_keep_items_for_any(library):
    assert [i.title for i in messaging(stage="awareness")] == [
        "Annual discount", "Start on the small tier", "CFO", "One record for both teams"]
    assert [i.title for i in messaging(persona_id=library["cfo"].pk, kind="content_asset")] == ["ROI calculator"]
    assert [i.title for i in messaging(objection_category="trust")] == ["SOC 2 report"]


@pytest.mark.django_db
def test_responses_need_a_category_and_other_kinds_may_not_have_one(users, library):
    with pytest.raises(ValidationFailed) as exc:
        do_create_messaging_item(by=users["marketing"], kind="objection_response", title="Hm")
    assert [(e.field, e.code) for e in exc.value.errors] == [("objection_category", "required")]
    with pytest.raises(ValidationFailed) as exc:
        do_create_messaging_item(by=users["marketing"], kind="value_proposition", title="Fast",
                                 objection_category="price", persona=library["vp"], url="not a url")
    assert sorted(e.field for e in exc.value.errors) == ["objection_category", "persona"]
    with pytest.raises(ValidationFailed) as exc:
        do_create_messaging_item(by=users["marketing"], kind="content_asset", title="Deck", url="not a url",
                                 funnel_stage="someday")
    assert sorted(e.field for e in exc.value.errors) == ["funnel_stage", "url"]
    assert MessagingItem.objects.count() == 7


@pytest.mark.django_db
def test_marketing_edits_the_library_and_reps_only_read_it(users, library):
    with pytest.raises(PermissionDenied):
        do_create_messaging_item(by=users["rep1"], kind="value_proposition", title="Mine")
    with pytest.raises(PermissionDenied):
        do_update_messaging_item(by=users["rep1"], item=library["vp"], changes={"title": "Mine"})
    with pytest.raises(PermissionDenied):
        do_delete_messaging_item(by=users["viewer"], item=library["vp"])
    do_update_messaging_item(by=users["manager"], item=library["vp"], changes={"title": " One record "})
    library["vp"].refresh_from_db()
    assert library["vp"].title == "One record"
    do_delete_messaging_item(by=users["marketing"], item=library["cfo"])
    library["roi"].refresh_from_db()
    assert library["roi"].persona is None
