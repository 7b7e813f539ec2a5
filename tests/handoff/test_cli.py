import io

import pytest
from django.core.management import CommandError, call_command
from django_tasks_db.models import DBTaskResult

from plumbline.crm.actions import do_create_contact
from plumbline.handoff.models import Assignment
from plumbline.marketing.actions import do_record_touchpoints
from plumbline.scoring.models import ContactScore


def run(name, *args):
    out = io.StringIO()
    extra = ["--no-progress"] if name == "score" else []
    call_command(name, *args, *extra, stdout=out, stderr=io.StringIO())
    return out.getvalue()


@pytest.mark.django_db
def test_score_all_scores_everyone_and_routes_new_mqls(users, lead):
    do_create_contact(email="student@gmail.com", title="Student")
    do_record_touchpoints(items=[{"contact_id": lead.pk, "kind": "demo_request", "channel": "seo"}])
    assert run("score", "--all") == "Scored 2 contacts; 1 became MQLs and were routed.\n"
    assert ContactScore.objects.count() == 2
    assert Assignment.objects.get().contact == lead
    with pytest.raises(CommandError):
        call_command("score")


@pytest.mark.django_db
def test_score_all_says_how_many_it_recomputed_and_full_recomputes_everyone(users, lead):
    do_create_contact(email="student@gmail.com", title="Student")
    err = io.StringIO()
    call_command("score", "--all", "--no-progress", stdout=io.StringIO(), stderr=err)
    assert "Scored 2 contacts in" in err.getvalue() and "(2 recomputed from their events" in err.getvalue()
    err = io.StringIO()
    call_command("score", "--all", "--no-progress", stdout=io.StringIO(), stderr=err)
    assert "(0 recomputed from their events, the others decayed in place; 0 changed)" in err.getvalue()
    err = io.StringIO()
    call_command("score", "--all", "--full", "--no-progress", stdout=io.StringIO(), stderr=err)
    assert "(2 recomputed from their events" in err.getvalue()
    with pytest.raises(CommandError, match="--full goes with --all"):
        call_command("score", str(lead.pk), "--full")


@pytest.mark.django_db
def test_sla_check_and_scheduler_once(users):
    assert run("sla", "check") == "Checked 0 running SLA clocks.\n"
    assert run("scheduler", "--once") == (
        "Queued check_slas, rescore_all, prune_events, scan_duplicates, prune_used_challenges and "
        "segments.refresh_relative.\n")
    assert sorted(r.task_path.rsplit(".", 1)[-1] for r in DBTaskResult.objects.all()) == [
        "check_slas", "prune_events", "prune_used_challenges", "refresh_relative", "rescore_all", "scan_duplicates"]
