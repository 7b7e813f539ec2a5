"""Segments that read other segments: the references found, cycles refused, the evaluation order."""

from __future__ import annotations

import pytest

from plumbline.segments.models import Segment
from plumbline.segments.predicate.schema import PredicateInvalid
from plumbline.segments.references import (
    check_references,
    evaluation_order,
    reference_paths,
    referenced_segments,
)


def test_references_are_found_with_their_paths():
    raw = {"all": [{"field": "email", "op": "is_set"}, {"not": {"segment": 7, "op": "member"}}]}

    assert referenced_segments(None, raw) == frozenset({7})
    assert reference_paths(raw) == {7: "$.all[1].not.segment"}


def test_an_unknown_segment_is_refused_at_its_path(db):
    with pytest.raises(PredicateInvalid) as exc:
        check_references(None, frozenset({404}), {"any": [{"segment": 404, "op": "member"}]})

    assert [(e.field, e.code) for e in exc.value.errors] == [("$.any[0].segment", "unknown_segment")]


def test_a_cycle_through_another_segment_is_refused(db):
    a = Segment.objects.create(name="A", kind="dynamic", predicate={"field": "email", "op": "is_set"})
    b = Segment.objects.create(name="B", kind="dynamic", predicate={"segment": a.pk, "op": "member"})

    with pytest.raises(PredicateInvalid) as exc:
        check_references(a.pk, frozenset({b.pk}), {"segment": b.pk, "op": "member"})
    assert [e.code for e in exc.value.errors] == ["cycle"]
    with pytest.raises(PredicateInvalid):
        check_references(a.pk, frozenset({a.pk}), {"segment": a.pk, "op": "member"})
    check_references(b.pk, frozenset({a.pk}), {"segment": a.pk, "op": "member"})  # no cycle: accepted


def test_a_segment_is_evaluated_after_those_it_reads():
    assert evaluation_order({1: frozenset({3}), 2: frozenset(), 3: frozenset({2, 99})}) == [2, 3, 1]
