"""A small history with a clear signal, written in bulk, for the page and API tests that need a trained model.

120 contacts known for 200 days, all leads; every fourth (30) became a customer 10 days ago. Everyone saw one
page 150 days ago; customers mostly viewed pricing three times (every eighth contact did not), and every fifth
non-customer viewed it once, so no column alone separates the outcome. The default time cut: 120 days ago.
"""

import datetime as dt

import pytest
from django.utils import timezone

from plumbline.crm.models import Contact, LifecycleTransition
from plumbline.marketing.models import Touchpoint
from plumbline.scoring.training_data import training_rows

CONTACTS = 120


def build_history(now: dt.datetime | None = None) -> list[Contact]:
    now = now or timezone.now()
    contacts = Contact.objects.bulk_create([
        Contact(email=f"c{i}@example.com", title="VP Sales" if i % 3 == 0 else "Engineer", source="Webinar",
                lifecycle_stage="customer" if i % 4 == 0 else "lead") for i in range(CONTACTS)
    ])
    contacts = list(Contact.objects.order_by("pk"))
    Contact.objects.update(created_at=now - dt.timedelta(days=200))
    transitions, touches = [], []
    for i, contact in enumerate(contacts):
        transitions.append(LifecycleTransition(contact=contact, from_stage="", to_stage="lead",
                                               occurred_at=now - dt.timedelta(days=200)))
        touches.append(Touchpoint(contact=contact, channel="seo", kind="page_view",
                                  occurred_at=now - dt.timedelta(days=150)))
        if i % 4 == 0:
            transitions.append(LifecycleTransition(contact=contact, from_stage="lead", to_stage="customer",
                                                   occurred_at=now - dt.timedelta(days=10)))
        pricing_views = (0 if i % 8 == 0 else 3) if i % 4 == 0 else (1 if i % 5 == 0 else 0)
        touches += [Touchpoint(contact=contact, channel="paid_search", kind="pricing_view",
                               occurred_at=now - dt.timedelta(days=140 + d)) for d in range(pricing_views)]
    LifecycleTransition.objects.bulk_create(transitions)
    Touchpoint.objects.bulk_create(touches)
    return contacts


@pytest.mark.django_db
def test_the_small_history_has_120_rows_and_30_customers():
    now = timezone.now()
    build_history(now)
    rows = training_rows(cut_at=now - dt.timedelta(days=120), until=now)
    assert (len(rows.frame), rows.positives) == (120, 30)
    assert rows.frame.groupby("became_customer")["tp_pricing_view_90d"].sum().to_dict() == {0: 18, 1: 45}
