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


LINK_SUBJECTS = {
    "invite": "You are invited to Plumbline",
    "reset": "Set a new Plumbline password",
}


@task()
def send_password_link(*, user_id: int, purpose: str = "reset") -> bool:
    """Email a one-time link to set a password. The token is made here, when the mail goes out, so no secret
    waits in the task queue; setting the password (or signing in) makes the link stale, as Django's reset does."""
    from django.contrib.auth.tokens import default_token_generator
    from django.urls import reverse
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None or not user.email:
        return False
    path = reverse("set_password", args=[urlsafe_base64_encode(force_bytes(user.pk)),
                                         default_token_generator.make_token(user)])
    days = max(1, settings.PASSWORD_RESET_TIMEOUT // 86400)
    opening = (f"An account was made for you at Plumbline (username {user.username})."
               if purpose == "invite" else "A new password was requested for your Plumbline account.")
    body = (f"{opening}\n\nSet your password here (the link works once, for {days} day{'s' if days != 1 else ''}):"
            f"\n{settings.PUBLIC_BASE_URL}{path}\n")
    send_mail(f"[Plumbline] {LINK_SUBJECTS.get(purpose, LINK_SUBJECTS['reset'])}", body,
              settings.DEFAULT_FROM_EMAIL, [user.email])
    return True
