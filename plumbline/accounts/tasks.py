"""Background delivery of notification emails; safe to run twice (an email may arrive twice, never zero times)."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django_tasks import task

from plumbline.accounts.models import User


@task()
def send_notification_email(*, user_id: int, subject: str, body: str, url: str = "") -> bool:
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None or not user.email:
        return False
    link = f"\n\n{settings.PUBLIC_BASE_URL}{url}" if url else ""
    send_mail(f"[Plumbline] {subject}", body + link, settings.DEFAULT_FROM_EMAIL, [user.email])
    return True
