"""A form's submissions as CSV (the form page's export button and `plumbline forms submissions SLUG --csv`)."""

from __future__ import annotations

import csv
from collections.abc import Iterator

from plumbline.webforms import queries
from plumbline.webforms.models import Form


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_rows(form: Form) -> Iterator[str]:
    """The submissions as CSV lines, streamed: a header, then one line per submission (answers by field label)."""
    fields = list(form.fields.all())
    writer = csv.writer(_Echo())
    yield writer.writerow(["submitted_at", "contact_email", *[f.label for f in fields], "utm_source", "utm_medium",
                           "utm_campaign", "page_url"])
    for s in queries.submissions(form).iterator(chunk_size=1000):
        answers = [s.answers.get(f.key, "") for f in fields]
        yield writer.writerow([s.submitted_at.isoformat(), s.contact.email if s.contact_id else "",
                               *["yes" if a is True else "no" if a is False else ("" if a is None else a)
                                 for a in answers],
                               s.utm.get("utm_source", ""), s.utm.get("utm_medium", ""),
                               s.utm.get("utm_campaign", ""), s.page_url])
