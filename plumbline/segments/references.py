"""Segments that refer to other segments (`{"segment": id, "op": "member" | "not_member"}`): which ones a predicate
names, the refusal of cycles, and the order in which segments are evaluated so that a segment is evaluated after
every segment it reads. Parsed predicates and their dependencies are cached per segment (`compiled`)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from plumbline.core.errors import DomainError
from plumbline.segments.models import Kind, Segment
from plumbline.segments.predicate.dependencies import Dependencies, dependencies
from plumbline.segments.predicate.schema import FieldSpec, Predicate, PredicateInvalid, parse


def referenced_segments(predicate: Predicate | None, raw: Any = None) -> frozenset[int]:
    """The ids of the segments a predicate reads the membership of: the language's `Dependencies.segments` when it
    has them; else found in the JSON form (`raw`), whose segment conditions are `{"segment": id, ...}`."""
    if predicate is not None:
        found = getattr(dependencies(predicate), "segments", None)
        if found is not None:
            return frozenset(found)
    out: set[int] = set()
    _walk_json(raw, out)
    return frozenset(out)


def _walk_json(node: Any, out: set[int], paths: dict[int, str] | None = None, path: str = "$") -> None:
    if isinstance(node, dict):
        ref = node.get("segment")
        if isinstance(ref, int) and not isinstance(ref, bool):
            out.add(ref)
            if paths is not None:
                paths.setdefault(ref, f"{path}.segment")
        for key, value in node.items():
            _walk_json(value, out, paths, f"{path}.{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            _walk_json(value, out, paths, f"{path}[{i}]")


def reference_paths(raw: Any) -> dict[int, str]:
    """Each segment id a predicate's JSON names, with the JSON path of (its first) naming."""
    paths: dict[int, str] = {}
    _walk_json(raw, set(), paths)
    return paths


@dataclass(frozen=True)
class Compiled:
    """A dynamic segment's predicate, parsed, with what it reads."""

    predicate: Predicate
    deps: Dependencies
    segments: frozenset[int]


_cache: dict[tuple[int, int, str], Compiled] = {}


def compiled(segment: Segment, custom: dict[str, FieldSpec] | None = None) -> Compiled:
    """The segment's parsed predicate and dependencies, cached per (id, predicate_version, the JSON itself: ids
    of deleted rows may come back on SQLite). Raises PredicateInvalid when a saved predicate no longer holds (a
    custom field it names was deleted)."""
    key = (segment.pk, segment.predicate_version, json.dumps(segment.predicate, sort_keys=True))
    hit = _cache.get(key)
    if hit is None:
        parsed = parse(segment.predicate, custom=custom)
        hit = Compiled(parsed, dependencies(parsed), referenced_segments(parsed, segment.predicate))
        if len(_cache) > 10_000:
            _cache.clear()
        _cache[key] = hit
    return hit


def graph() -> dict[int, frozenset[int]]:
    """Every dynamic segment's id and the segments its predicate reads."""
    return {
        pk: referenced_segments(None, raw)
        for pk, raw in Segment.objects.filter(kind=Kind.DYNAMIC).values_list("pk", "predicate")
    }


def check_references(segment_id: int | None, refs: frozenset[int], raw: Any) -> None:
    """Refuse (422, at the condition's JSON path) a predicate naming a segment that does not exist, the segment
    itself, or one that reads (directly or through others) the segment being saved: a cycle would never settle."""
    if not refs:
        return
    paths = reference_paths(raw)
    known = set(Segment.objects.filter(pk__in=refs).values_list("pk", flat=True))
    errors = [
        DomainError(f"There is no segment with id {pk}.", field=paths.get(pk, "$"), code="unknown_segment")
        for pk in sorted(refs - known)
    ]
    if segment_id is not None:
        edges = graph()
        for ref in sorted(refs & known):
            if _reaches(edges, ref, segment_id):
                errors.append(
                    DomainError(
                        "A segment cannot refer to itself."
                        if ref == segment_id
                        else f"Segment {ref} refers back to this segment (directly or through others): a cycle.",
                        field=paths.get(ref, "$"),
                        code="cycle",
                    )
                )
    if errors:
        raise PredicateInvalid(errors)


def _reaches(edges: dict[int, frozenset[int]], start: int, target: int) -> bool:
    seen: set[int] = set()
    stack = [start]
    while stack:
        pk = stack.pop()
        if pk == target:
            return True
        if pk not in seen:
            seen.add(pk)
            stack.extend(edges.get(pk, ()))
    return False


def referring(segment_id: int) -> list[int]:
    """The dynamic segments whose predicate names this one directly."""
    return sorted(pk for pk, refs in graph().items() if segment_id in refs)


def evaluation_order(edges: dict[int, frozenset[int]]) -> list[int]:
    """The segments in an order where each comes after every segment it reads (ids break ties). Edges to
    segments outside `edges` (static lists, snapshots) are ignored; a cycle (refused on save) is broken by id."""
    order: list[int] = []
    state: dict[int, int] = {}

    def visit(pk: int) -> None:
        if state.get(pk) is not None:
            return
        state[pk] = 1
        for ref in sorted(edges.get(pk, ())):
            if ref in edges:
                visit(ref)
        state[pk] = 2
        order.append(pk)

    for pk in sorted(edges):
        visit(pk)
    return order
