"""`plumbline webhooks list | send-due`: the webhook subscriptions with their delivery counts, and sending every
delivery that is due now (the worker does it on its own; this is for an operator who cleared the task queue)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db.models import Count, Q

from plumbline.webhooks import queries
from plumbline.webhooks.kinds import label
from plumbline.webhooks.models import Delivery
from plumbline.webhooks.sending import send_due


class Command(BaseCommand):
    help = "Outbound webhooks: list the subscriptions, or send the deliveries that are due."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="command", required=True)
        sub.add_parser("list", help="Each subscription with its events and deliveries by status.")
        due = sub.add_parser("send-due", help="Send every delivery that is due now, then say how many.")
        due.add_argument("--limit", type=int, default=1000, help="At most this many (default 1000).")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["command"] == "send-due":
            self.stdout.write(f"Attempted {send_due(limit=options['limit'])} due deliveries.")
            return
        counts = {s: Count("deliveries", filter=Q(deliveries__status=s)) for s in Delivery.Status.values}
        for sub in queries.subscriptions().annotate(**counts).order_by("pk"):
            state = "active" if sub.is_active else "paused"
            tally = ", ".join(f"{getattr(sub, s)} {Delivery.Status(s).label.lower()}" for s in Delivery.Status.values)
            self.stdout.write(f"{sub.pk}  {sub.url}  ({state})  {', '.join(label(k) for k in sub.events)}  [{tally}]")
