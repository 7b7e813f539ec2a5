"""`plumbline segments ...`: list, show, refresh, members (CSV), create, import."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from plumbline.crm.actions import do_create_contact
from plumbline.segments.actions import do_add_to_list, do_create_segment
from plumbline.segments.models import Segment

MQL = {"field": "lifecycle_stage", "op": "eq", "value": "mql"}


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("segments", *args, stdout=out)
    return out.getvalue()


def test_create_from_a_predicate_file_and_list(people, tmp_path):
    path = tmp_path / "mql.json"
    path.write_text(json.dumps(MQL))

    created = run("create", "--name", "MQLs", "--predicate-file", str(path))
    run("create", "--name", "Booth", "--kind", "static")

    pk = Segment.objects.get(name="MQLs").pk
    assert created == f"Created segment {pk}: MQLs (Dynamic), 1 members.\n"
    listed = run("list").splitlines()
    assert [line.split("  ")[:3] for line in listed] == [
        [str(pk + 1), "Booth", "(Static list)"],
        [str(pk), "MQLs", "(Dynamic)"],
    ]


def test_a_bad_predicate_file_names_the_path(people, tmp_path):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"field": "lifecycle_stage", "op": "gt", "value": "mql"}))

    with pytest.raises(CommandError, match=r"\$\.op: "):
        run("create", "--name", "Bad", "--predicate-file", str(path))


def test_refresh_one_or_all(people):
    segment = do_create_segment(
        name="Leads", predicate={"field": "lifecycle_stage", "op": "eq", "value": "lead"}
    )
    do_create_contact(email="new@x.test", lifecycle_stage="lead")

    assert run("refresh", str(segment.pk)) == "Leads: 1 entered, 0 left, 2 members\n"
    assert run("refresh", "--all") == "Leads: 0 entered, 0 left, 2 members\n"
    with pytest.raises(CommandError):
        run("refresh")


def test_members_as_csv(users, people):
    booth = do_create_segment(name="Booth", kind="static")
    do_add_to_list(segment=booth, contact_ids=[people["ann"].pk])

    lines = run("members", str(booth.pk), "--csv").splitlines()

    assert lines[0] == "email,first_name,last_name,title,company,lifecycle_stage,member_since"
    assert lines[1].startswith("ann@one.test,Ann,Lee,,Acme,mql,")
    assert len(lines) == 2


def test_import_a_file_into_a_static_list(people, tmp_path):
    booth = do_create_segment(name="Booth", kind="static")
    path = tmp_path / "scans.csv"
    path.write_text("email\nann@one.test\nghost@x.test\n")

    assert (
        run("import", str(booth.pk), "--file", str(path))
        == "1 added, 0 already in, 1 unknown.\n  unknown: ghost@x.test\n"
    )


def test_an_unknown_segment_is_an_error(db):
    with pytest.raises(CommandError, match="No segment with id 5"):
        run("show", "5")
