"""A segment's members as CSV (`plumbline segments members ID --csv`, and the members page's export)."""

from __future__ import annotations

import csv
from collections.abc import Iterator

from plumbline.segments.models import Membership, Segment

HEADER = ["email", "first_name", "last_name", "title", "company", "lifecycle_stage", "member_since"]


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_rows(segment: Segment) -> Iterator[str]:
    """A header, then one line per member (latest to enter first), streamed in chunks."""
    writer = csv.writer(_Echo())
    yield writer.writerow(HEADER)
    rows = (
        Membership.objects.filter(segment=segment)
        .select_related("contact__company")
        .order_by("-since", "-contact_id")
    )
    for m in rows.iterator(chunk_size=2000):
        c = m.contact
        yield writer.writerow(
            [
                c.email,
                c.first_name,
                c.last_name,
                c.title,
                c.company.name if c.company_id else "",
                c.lifecycle_stage,
                m.since.isoformat(),
            ]
        )
