"""Background webforms work: the nightly prune of spent proof-of-work challenges (safe to run twice)."""

from __future__ import annotations

from django_tasks import task

from plumbline.webforms.actions import do_prune_used_challenges


@task()
def prune_used_challenges() -> int:
    return do_prune_used_challenges()
