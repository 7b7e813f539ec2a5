"""Background segment work; every task is safe to run twice (an evaluation writes only what differs).

- `refresh_segment`: the full evaluation of one dynamic segment, queued after a create or an edit of a big one.
- `refresh_relative`: hourly (plumbline.worker.schedule.register_periodic, from AppConfig.ready()), the dynamic
  segments whose predicate has a time window (`within_days`, `{"days_ago": n}`): time alone moves them, with no
  event to say so. Between two runs such a segment may be up to an hour behind the clock; every event about a
  contact still re-evaluates that contact at once (the feed consumer).
"""

from __future__ import annotations

from django_tasks import task

from plumbline.segments.evaluation import refresh
from plumbline.segments.models import Kind, Segment
from plumbline.segments.predicate.schema import PredicateInvalid
from plumbline.segments.references import compiled, evaluation_order, graph


@task()
def refresh_segment(segment_id: int) -> list[int]:
    """[entered, left]; [0, 0] when the segment was deleted meanwhile."""
    segment = Segment.objects.filter(pk=segment_id, kind=Kind.DYNAMIC).first()
    if segment is None:
        return [0, 0]
    return list(refresh(segment))


def relative_segments() -> list[Segment]:
    """The dynamic segments time alone can change, in evaluation order (a segment after those it reads); a saved
    predicate that no longer parses (a custom field deleted) is skipped."""
    by_id = {s.pk: s for s in Segment.objects.filter(kind=Kind.DYNAMIC)}
    out = []
    for pk in evaluation_order(graph()):
        segment = by_id.get(pk)
        try:
            if segment is not None and compiled(segment).deps.relative:
                out.append(segment)
        except PredicateInvalid:
            continue
    return out


@task()
def refresh_relative() -> int:
    """Re-evaluate every segment with a moving time window; returns how many memberships changed."""
    changed = 0
    for segment in relative_segments():
        entered, left = refresh(segment)
        changed += entered + left
    return changed
