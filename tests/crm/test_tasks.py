"""A rep's tasks: sections by due date, done and rescheduled on the My tasks page, on Home and through /api/v1/tasks."""

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from plumbline.core.errors import Conflict, DomainError, PermissionDenied
from plumbline.crm.actions import do_complete_task, do_create_contact, do_log_activity
from plumbline.crm.actions.activities import do_reschedule_task
from plumbline.crm.models import Activity
from plumbline.crm.queries import task_sections
from tests.api.conftest import Api


def noon(days: int) -> dt.datetime:
    """Noon, `days` from today in the site's time zone: always on that calendar day, whatever the hour now."""
    return timezone.make_aware(dt.datetime.combine(timezone.localdate() + dt.timedelta(days=days), dt.time(12)))


@pytest.fixture
def work(users):
    """rep1: an overdue, a today, an upcoming, an undated and a done task; rep2: one task today."""
    ann = do_create_contact(email="ann@acme.com", first_name="Ann", last_name="Lee", owner=users["rep1"])
    rep1, rep2 = users["rep1"], users["rep2"]
    tasks = {
        "overdue": do_log_activity(by=rep1, kind="task", subject="Send the proposal", contact=ann, due_at=noon(-2)),
        "today": do_log_activity(by=rep1, kind="task", subject="Call Ann back", contact=ann, due_at=noon(0)),
        "upcoming": do_log_activity(by=rep1, kind="task", subject="Check in after trial", contact=ann,
                                    due_at=noon(3)),
        "undated": do_log_activity(by=rep1, kind="task", subject="Read their annual report", contact=ann),
        "done": do_log_activity(by=rep1, kind="task", subject="Book the demo", contact=ann, due_at=noon(-5)),
        "other": do_log_activity(by=rep2, kind="task", subject="Rep two's task", contact=ann, due_at=noon(0)),
    }
    do_complete_task(by=rep1, activity=tasks["done"])
    return tasks


@pytest.mark.django_db
def test_sections_split_open_tasks_by_the_calendar_day(users, work):
    sections = task_sections(users["rep1"])
    assert [(s.key, [t.subject for t in s.tasks], s.count) for s in sections] == [
        ("overdue", ["Send the proposal"], 1),
        ("today", ["Call Ann back"], 1),
        ("upcoming", ["Check in after trial"], 1),
        ("undated", ["Read their annual report"], 1),
    ]


@pytest.mark.django_db
def test_sections_cap_the_items_and_count_them_all(users, work):
    for i in range(4):
        do_log_activity(by=users["rep1"], kind="task", subject=f"Late {i}", contact=work["today"].contact,
                        due_at=noon(-10 + i))
    overdue = task_sections(users["rep1"], limit=3)[0]
    assert ([t.subject for t in overdue.tasks], overdue.count, overdue.more) == (
        ["Late 0", "Late 1", "Late 2"], 5, 2)


@pytest.mark.django_db
def test_reschedule_moves_the_due_date_of_an_open_task_only_for_its_owner(users, work):
    task = do_reschedule_task(by=users["rep1"], activity=work["overdue"], due_at=noon(1))
    assert Activity.objects.get(pk=task.pk).due_at == noon(1)
    with pytest.raises(PermissionDenied):
        do_reschedule_task(by=users["rep2"], activity=work["today"], due_at=noon(1))
    with pytest.raises(Conflict):
        do_reschedule_task(by=users["rep1"], activity=work["done"], due_at=noon(1))
    note = do_log_activity(by=users["rep1"], kind="note", subject="x", contact=work["today"].contact)
    with pytest.raises(DomainError) as caught:
        do_reschedule_task(by=users["rep1"], activity=note, due_at=noon(1))
    assert caught.value.field == "kind"
    do_reschedule_task(by=users["manager"], activity=work["today"], due_at=noon(2))  # managers: "all"


# --- API ----------------------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_api_lists_your_open_tasks_soonest_first_undated_last(tokens, work):
    body = Api(tokens["rep1"]).get("/tasks").json()
    assert [t["subject"] for t in body["items"]] == [
        "Send the proposal", "Call Ann back", "Check in after trial", "Read their annual report"]
    assert body["items"][0]["due_at"] == noon(-2).isoformat().replace("+00:00", "Z")


@pytest.mark.django_db
def test_api_pages_with_a_cursor_across_dated_and_undated_tasks(tokens, work):
    api = Api(tokens["rep1"])
    seen, cursor = [], None
    for _ in range(5):
        body = api.get("/tasks", limit=1, cursor=cursor).json()
        seen += [t["subject"] for t in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == ["Send the proposal", "Call Ann back", "Check in after trial", "Read their annual report"]
    bad = api.get("/tasks", cursor="not-a-cursor")
    assert (bad.status_code, bad.json()["errors"][0]["field"]) == (422, "cursor")


@pytest.mark.django_db
def test_api_filters_by_owner_status_and_due_window(tokens, users, work):
    api = Api(tokens["manager"])
    assert [t["subject"] for t in api.get("/tasks").json()["items"]] == []
    assert [t["subject"] for t in api.get("/tasks", owner=users["rep2"].pk).json()["items"]] == ["Rep two's task"]
    rep1 = Api(tokens["rep1"])
    assert [t["subject"] for t in rep1.get("/tasks", status="done").json()["items"]] == ["Book the demo"]
    overdue = rep1.get("/tasks", due_before=noon(-1).isoformat()).json()["items"]
    assert [t["subject"] for t in overdue] == ["Send the proposal"]
    assert rep1.get("/tasks", owner="99999999999999999999").status_code == 422


@pytest.mark.django_db
def test_api_completes_and_reschedules_with_the_owners_permission(tokens, work):
    rep1, rep2 = Api(tokens["rep1"]), Api(tokens["rep2"])
    today = work["today"].pk
    assert rep2.post(f"/tasks/{today}/complete").status_code == 403
    r = rep1.post(f"/tasks/{today}/complete")
    assert r.status_code == 200 and r.json()["completed_at"] is not None
    r = rep1.post(f"/tasks/{work['upcoming'].pk}/reschedule", {"due_at": noon(7).isoformat()})
    assert r.status_code == 200 and Activity.objects.get(pk=work["upcoming"].pk).due_at == noon(7)
    naive = rep1.post(f"/tasks/{work['upcoming'].pk}/reschedule", {"due_at": "2026-12-24T10:00:00"})
    assert (naive.status_code, naive.json()["errors"][0]["field"]) == (422, "due_at")
    done = rep1.post(f"/tasks/{today}/reschedule", {"due_at": noon(7).isoformat()})
    assert done.status_code == 409
    note = do_log_activity(kind="note", subject="x", contact=work["today"].contact)
    assert rep1.post(f"/tasks/{note.pk}/complete").status_code == 404
    assert Api(tokens["viewer"]).post(f"/tasks/{work['overdue'].pk}/complete").status_code == 403


# --- pages --------------------------------------------------------------------------------------------------

@pytest.fixture
def rep1(users) -> Client:
    client = Client()
    client.force_login(users["rep1"])
    return client


def _section(html: str, key: str) -> str:
    start = html.index(f'id="tasks-{key}"')
    return html[start:html.index("</section>", start)]


@pytest.mark.django_db
def test_my_tasks_page_shows_sections_with_full_dates(rep1, work):
    html = rep1.get("/tasks/").content.decode()
    assert "Send the proposal" in _section(html, "overdue")
    today = _section(html, "today")
    assert "Call Ann back" in today and noon(0).strftime("%a %-d %b %Y, 12:00") in today
    assert "Rep two's task" not in html and "Book the demo" not in html
    assert "Read their annual report" in _section(html, "undated")


@pytest.mark.django_db
def test_done_and_reschedule_buttons_post_and_come_back(rep1, work):
    r = rep1.post(f"/tasks/{work['today'].pk}/complete/", {"next": "/tasks/"})
    assert (r.status_code, r["Location"]) == (302, "/tasks/")
    assert Activity.objects.get(pk=work["today"].pk).completed_at is not None
    due = noon(2).strftime("%Y-%m-%dT%H:%M")
    r = rep1.post(f"/tasks/{work['overdue'].pk}/reschedule/", {"due_at": due, "next": "/"})
    assert (r.status_code, r["Location"]) == (302, "/")
    assert Activity.objects.get(pk=work["overdue"].pk).due_at == noon(2)
    r = rep1.post(f"/tasks/{work['other'].pk}/reschedule/", {"due_at": due})
    assert r.status_code == 403
    assert rep1.get(f"/tasks/{work['overdue'].pk}/reschedule/").status_code == 405


@pytest.mark.django_db
def test_home_lists_my_tasks_with_full_due_dates(rep1, work):
    html = rep1.get("/").content.decode()
    overdue = html[html.index('id="home-tasks-overdue"'):html.index('id="home-tasks-today"')]
    assert "Send the proposal" in overdue and noon(-2).strftime("%a %-d %b %Y, 12:00") in overdue
    assert "Call Ann back" in html and "Check in after trial" in html
    assert "Rep two's task" not in html


@pytest.mark.django_db
def test_home_without_tasks_says_so(users):
    client = Client()
    client.force_login(users["viewer"])
    assert "No open tasks." in client.get("/").content.decode()
