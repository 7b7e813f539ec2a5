"""The sellers' current work in the demo: open tasks due before, on and after the as-of date, and the in-app
notifications that routing, the SLA clock and rejections send, so My tasks, Home and the notifications menu show
realistic data. Deterministic: contacts are taken in email order and every time is an offset from the as-of date."""

from __future__ import annotations

import datetime as dt

from plumbline.accounts.actions import do_notify
from plumbline.accounts.models import Notification, User
from plumbline.crm.actions import do_log_activity
from plumbline.crm.models import Activity, Contact

# (days from the as-of date, hour, minute UTC, subject)
TASKS = (
    (-3, 11, 0, "Send {first} the pricing sheet"),
    (-1, 16, 0, "Confirm next steps with {first}"),
    (0, 10, 0, "Call {first} back about the rollout"),
    (0, 15, 30, "Send {company} the case study"),
    (1, 9, 30, "Prepare the demo for {company}"),
    (3, 14, 0, "Check in with {first} after the trial"),
    (8, 11, 0, "Review the proposal with {first}"),
)
SELLERS = ("rep1", "rep2", "manager")
CLOSED = ("customer", "evangelist", "past_customer", "disqualified")


def _at(as_of: dt.date, days: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(as_of + dt.timedelta(days=days), dt.time(hour, minute), dt.UTC)


def _notify(user: User, kind: str, message: str, url: str, at: dt.datetime, *, read: bool) -> None:
    do_notify(user=user, kind=kind, message=message, url=url)
    latest = Notification.objects.filter(user=user).order_by("-pk")[:1].get()
    Notification.objects.filter(pk=latest.pk).update(
        created_at=at, read_at=at + dt.timedelta(hours=1) if read else None)


def _contacts_of(rep: User) -> list[Contact]:
    open_ones = Contact.objects.filter(owner=rep).exclude(lifecycle_stage__in=CLOSED).select_related("company")
    return list(open_ones.order_by("email")[: len(TASKS)]) or list(
        Contact.objects.filter(owner=rep).select_related("company").order_by("email")[: len(TASKS)])


def _tasks(rep: User, contacts: list[Contact], as_of: dt.date) -> int:
    for i, (days, hour, minute, subject) in enumerate(TASKS):
        contact = contacts[i % len(contacts)]
        due = _at(as_of, days, hour, minute)
        created = min(due, _at(as_of, 0, 9)) - dt.timedelta(days=2)
        do_log_activity(
            kind="task", contact=contact, owner=rep, due_at=due, occurred_at=created,
            subject=subject.format(first=contact.first_name or contact.email,
                                   company=contact.company.name if contact.company else "them"),
        )
    return len(TASKS)


def _seller_news(rep: User, contacts: list[Contact], as_of: dt.date) -> int:
    made = 0
    for i, contact in enumerate(contacts[:2]):
        at = _at(as_of, -2 + i, 9 + i)
        _notify(rep, "assigned", f"New lead for you: {contact} (Round robin in Sales). First touch due "
                                 f"{at + dt.timedelta(hours=8):%Y-%m-%d %H:%M} UTC.",
                f"/contacts/{contact.pk}/", at, read=i == 0)
        made += 1
    if contacts:
        _notify(rep, "sla_breached", f"SLA breached: {contacts[-1]} has had no first touch from you.",
                f"/contacts/{contacts[-1].pk}/", _at(as_of, 0, 8), read=False)
        made += 1
    return made


def plant_worklist(users: dict[str, User], as_of: dt.date) -> tuple[int, int]:
    """Open tasks for each seller and notifications for sellers, their manager and marketing; returns the number
    of (tasks, notifications) written."""
    tasks = notes = 0
    for username in SELLERS:
        rep = users[username]
        contacts = _contacts_of(rep)
        if contacts:
            tasks += _tasks(rep, contacts, as_of)
        notes += _seller_news(rep, contacts, as_of)
        if username == "rep1" and contacts:
            _notify(users["manager"], "sla_breached",
                    f"SLA breached: {rep.display_name} has not touched {contacts[-1]} "
                    f"(due {_at(as_of, 0, 8):%Y-%m-%d %H:%M} UTC).", f"/contacts/{contacts[-1].pk}/",
                    _at(as_of, 0, 8, 1), read=False)
            notes += 1
    rejections = (Activity.objects.filter(kind="note", subject="Sent back to nurture")
                  .select_related("contact", "owner").order_by("-occurred_at", "contact__email")[:2])
    for i, note in enumerate(rejections):
        who = note.owner.display_name if note.owner else "a rep"
        _notify(users["marketing"], "lead_rejected", f"Rejected by {who}: {note.body} — {note.contact}",
                f"/contacts/{note.contact_id}/", _at(as_of, -1, 10 + i), read=False)
        notes += 1
    return tasks, notes
