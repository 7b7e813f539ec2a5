"""Background sending of the double opt-in confirmation; safe to run twice (a second email, never none)."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.db.models import Q
from django_tasks import task

from plumbline.consent.links import CONFIRM_MAX_AGE, confirmation_url, preferences_url
from plumbline.consent.models import ConsentEntry, Status


@task()
def send_confirmation_email(*, entry_id: int) -> bool:
    """Email the contact the link that confirms the requested subscription. The signed link is made here, when
    the mail goes out, so no token waits in the queue."""
    entry = ConsentEntry.objects.select_related("contact", "subscription").filter(
        pk=entry_id, status=Status.REQUESTED).first()
    if entry is None or not entry.contact.email or entry.subscription is None:
        return False
    answered = ConsentEntry.objects.filter(contact_id=entry.contact_id, channel=entry.channel).filter(
        Q(subscription=entry.subscription) | Q(subscription__isnull=True)).filter(
        Q(occurred_at__gt=entry.occurred_at) | Q(occurred_at=entry.occurred_at, pk__gt=entry.pk))
    if answered.exists():  # confirmed, withdrawn or asked again since: this request needs no email any more
        return False
    url = confirmation_url(entry_id=entry.pk, contact_id=entry.contact_id)
    days = CONFIRM_MAX_AGE.days
    body = (f"Please confirm that you want to receive {entry.subscription.label}.\n\n"
            f"Open this link and press the Confirm button (it works for {days} days):\n{url}\n\n"
            "If you did not ask for this, ignore this email: nothing is sent to you without your confirmation.\n\n"
            f"Your email preferences, at any time: {preferences_url(entry.contact_id)}\n")
    send_mail(f"Confirm your subscription: {entry.subscription.label}", body, settings.DEFAULT_FROM_EMAIL,
              [entry.contact.email])
    return True
