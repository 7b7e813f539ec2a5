"""Second records of some demo people, as real CRMs have them: the same person signing up with a personal
address, a rep typing the surname wrong, a form that only asked for an initial. They give the duplicates page
and the merge something to show; `plumbline demo --duplicates N` plants them after the company is loaded."""

from __future__ import annotations

import datetime as dt

import numpy as np

from plumbline.crm.actions import do_create_contact
from plumbline.crm.models import Contact
from plumbline.marketing.actions import do_record_touchpoints

PERSONAL = ("gmail.com", "outlook.com", "yahoo.com", "proton.me")


def _typo(name: str, rng: np.random.Generator) -> str:
    """One letter doubled or swapped with its neighbour: the usual slip."""
    if len(name) < 3:
        return name + name[-1]
    i = int(rng.integers(1, len(name) - 1))
    return name[:i] + name[i + 1] + name[i] + name[i + 2:] if rng.random() < 0.5 else name[:i] + name[i] + name[i:]


def plant_duplicates(n: int, *, seed: int, as_of: dt.date) -> int:
    """Create `n` second records of distinct demo people (each with a touchpoint of its own); returns how many."""
    if n <= 0:
        return 0
    rng = np.random.default_rng([seed, 7])
    ids = np.asarray(Contact.objects.exclude(phone="").order_by("pk").values_list("pk", flat=True))
    picked = Contact.objects.filter(pk__in=rng.choice(ids, size=min(n, len(ids)), replace=False).tolist())
    at = dt.datetime.combine(as_of, dt.time(12), dt.UTC)
    made, touches = 0, []
    for k, person in enumerate(picked.order_by("pk")):
        first, last = person.first_name, person.last_name
        domain = PERSONAL[k % len(PERSONAL)]
        if k % 3 == 0:  # the same person with a personal address
            fields = {"email": f"{first}{last}{k}@{domain}".lower(), "first_name": first, "last_name": last,
                      "phone": person.phone}
        elif k % 3 == 1:  # a surname typed wrong, at the same company, same phone
            fields = {"email": f"{first[0]}.{_typo(last, rng)}.{k}@{domain}".lower(), "first_name": first,
                      "last_name": _typo(last, rng), "phone": person.phone, "company": person.company}
        else:  # an initial instead of the first name, and the work address's name at a personal domain
            local = person.email.split("@")[0]
            fields = {"email": f"{local}@{domain}", "first_name": first[0], "last_name": last}
        if Contact.objects.filter(email=fields["email"]).exists():
            continue
        twin = do_create_contact(lifecycle_stage="subscriber", transition_source="demo", owner=person.owner, **fields)
        touches.append({"contact_id": twin.pk, "kind": "form_submit", "channel": "seo",
                        "occurred_at": (at - dt.timedelta(days=int(rng.integers(1, 60)))).isoformat()})
        made += 1
    if touches:
        do_record_touchpoints(items=touches)
    return made
