"""The demo company's segments: loaded with the demo, evaluated after scoring (as `make demo` does)."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from plumbline.crm.models import Contact
from plumbline.segments.models import Kind, Membership, Segment
from plumbline.segments.predicate.compile import compile_predicate
from plumbline.segments.predicate.schema import parse


@pytest.mark.django_db
def test_the_demo_loads_its_segments_and_the_refresh_after_scoring_fills_them():
    out = io.StringIO()
    call_command("demo", "--contacts", "120", "--seed", "4", "--no-progress", stdout=out)
    call_command("score", "--all", "--no-progress", stdout=io.StringIO())
    call_command("segments", "refresh", "--all", stdout=io.StringIO())

    assert "Segments: 10 " in out.getvalue()
    assert sorted(Segment.objects.values_list("kind", flat=True)) == sorted(
        [Kind.DYNAMIC] * 8 + [Kind.STATIC, Kind.SNAPSHOT]
    )
    now = timezone.now()
    for segment in Segment.objects.filter(kind=Kind.DYNAMIC):
        expected = set(
            Contact.objects.filter(compile_predicate(parse(segment.predicate), now)).values_list(
                "pk", flat=True
            )
        )
        members = set(Membership.objects.filter(segment=segment).values_list("contact_id", flat=True))
        assert (members, segment.member_count) == (expected, len(expected)), segment.name
    assert Segment.objects.get(kind=Kind.STATIC).member_count == 60
    assert Segment.objects.get(name="Executives").member_count > 0
    assert Segment.objects.get(name="Best fit (grade A or B)").member_count > 0
