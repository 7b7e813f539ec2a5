"""Background analytics work; every task is safe to run twice."""

from __future__ import annotations

from django_tasks import task


@task()
def scan_duplicates(threshold: float | None = None) -> int:
    """Find likely duplicate contacts and replace the open suggestions; returns how many were found."""
    from plumbline.analytics.contact_duplicates import scan

    return scan(threshold).found
