import copy

import pytest
from django_tasks_db.models import DBTaskResult

from plumbline.core.errors import DomainError, PermissionDenied, ValidationFailed
from plumbline.definitions.actions import do_publish_definitions
from plumbline.definitions.models import DefinitionVersion
from plumbline.definitions.queries import current_version, diff
from plumbline.events.models import Event
from plumbline.events.runner import drain


@pytest.mark.django_db
def test_fresh_install_starts_at_version_one_with_defaults():
    v = current_version()
    assert v.number == 1
    assert v.body["mql"]["when"]["any"][0]["all"][1] == {
        "all": None, "any": None, "fit_grade_at_least": None, "fit_score_at_least": None,
        "engagement_at_least": 50.0, "touchpoint_kind_in": None, "lifecycle_in": None,
    }


@pytest.mark.django_db
def test_each_change_creates_a_new_version_with_who_and_why(users):
    body = copy.deepcopy(current_version().body)
    body["sla"]["first_touch_hours"] = 2
    v2 = do_publish_definitions(by=users["admin"], body=body, note="Faster follow-up")
    assert (v2.number, v2.created_by, v2.note) == (2, users["admin"], "Faster follow-up")
    assert current_version().number == 2
    assert DefinitionVersion.objects.get(number=1).body["sla"]["first_touch_hours"] == 4


@pytest.mark.django_db
def test_diff_lists_exactly_the_changed_settings(users):
    old = current_version().body
    new = copy.deepcopy(old)
    new["sla"]["first_touch_hours"] = 2
    new["reject_reasons"].append({"code": "no_show", "label": "No show"})
    assert diff(old, new) == [
        {"path": "reject_reasons[No show].code", "change": "added", "old": None, "new": "no_show"},
        {"path": "reject_reasons[No show].label", "change": "added", "old": None, "new": "No show"},
        {"path": "sla.first_touch_hours", "change": "changed", "old": 4.0, "new": 2},
    ]


@pytest.mark.django_db
def test_invalid_definitions_are_refused_with_the_field_path(users):
    body = copy.deepcopy(current_version().body)
    body["engagement"]["points"]["teleport"] = 5
    body["icp"]["grade_thresholds"] = {"A": 10, "B": 40, "C": 20}
    with pytest.raises(ValidationFailed) as exc:
        do_publish_definitions(by=users["admin"], body=body, note="oops")
    fields = sorted(e.field for e in exc.value.errors)
    assert fields == ["engagement.points", "icp"]
    assert DefinitionVersion.objects.count() == 1


@pytest.mark.django_db
def test_only_admins_publish_and_unchanged_bodies_are_refused(users):
    body = current_version().body
    with pytest.raises(PermissionDenied):
        do_publish_definitions(by=users["marketing"], body=body, note="try")
    with pytest.raises(DomainError) as exc:
        do_publish_definitions(by=users["admin"], body=body, note="same")
    assert exc.value.code == "unchanged"


@pytest.mark.django_db
def test_publishing_writes_its_event_and_the_feed_queues_a_rescore_of_every_contact(users):
    body = copy.deepcopy(current_version().body)
    body["icp"]["grade_thresholds"]["A"] += 5
    version = do_publish_definitions(by=users["admin"], body=body, note="Stricter A")
    # The event is written in the version's transaction: committed with it, never after it.
    (event,) = Event.objects.filter(kind="definitions.published")
    assert (event.subject_type, event.subject_id, event.payload, event.actor) == (
        "definitionversion", version.pk, {"version": version.number}, users["admin"])
    # A refused change writes nothing.
    with pytest.raises(DomainError):
        do_publish_definitions(by=users["admin"], body=body, note="Again")
    assert Event.objects.filter(kind="definitions.published").count() == 1
    # The feed queues the set-based rescore of every contact, once, however often it is drained or replayed.
    queued = DBTaskResult.objects.filter(task_path="plumbline.scoring.tasks.rescore_all", status="READY")
    drain()
    assert queued.count() == 1
    drain()
    assert queued.count() == 1


@pytest.mark.django_db
def test_a_nul_anywhere_in_the_body_is_refused_with_its_path(users):
    # given a body whose free-form keys and texts carry a NUL (jsonb on PostgreSQL cannot hold one)
    body = copy.deepcopy(current_version().body)
    body["engagement"]["campaign_points"] = {"spring\x00sale": 5}
    # when it is published, then it is refused naming where, and nothing is written
    with pytest.raises(DomainError) as exc:
        do_publish_definitions(by=users["admin"], body=body, note="Spring")
    assert (exc.value.field, exc.value.code) == ("engagement.campaign_points", "invalid")
    with pytest.raises(DomainError) as exc:
        do_publish_definitions(by=users["admin"], body=current_version().body | {}, note="a\x00b")
    assert exc.value.field == "note"
    assert DefinitionVersion.objects.count() == 1
