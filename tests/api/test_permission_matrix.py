"""Every endpoint for every role and for anonymous callers, against the policy table in core/permissions.py.

Records named plainly (contact, deal ...) belong to rep2; `own_*` records belong to rep1, so the rep1 column
shows both "a rep edits own records" (2xx) and "a rep cannot edit another rep's record" (403).
"""

from __future__ import annotations

import re

import pytest

ROLES = ("admin", "marketing", "rep1", "manager", "viewer")


def allowed(admin: int, marketing: int, rep1: int, manager: int, viewer: int) -> dict[str, int]:
    return dict(zip(ROLES, (admin, marketing, rep1, manager, viewer), strict=True))


READ = allowed(200, 200, 200, 200, 200)

CASES = [
    # companies: marketing all, sales own, manager all, viewer read
    ("get", "/companies", None, READ),
    ("get", "/companies/{company}", None, READ),
    ("post", "/companies", lambda w: {"name": "Initech", "domain": "initech.com"}, allowed(201, 201, 201, 201, 403)),
    ("patch", "/companies/{company}", lambda w: {"industry": "Software"}, allowed(200, 200, 403, 200, 403)),
    ("patch", "/companies/{own_company}", lambda w: {"industry": "Software"}, allowed(200, 200, 200, 200, 403)),
    ("delete", "/companies/{company}", None, allowed(204, 204, 403, 204, 403)),
    ("delete", "/companies/{own_company}", None, allowed(204, 204, 204, 204, 403)),
    # contacts: the same levels as companies
    ("get", "/contacts", None, READ),
    ("get", "/contacts/{contact}", None, READ),
    ("get", "/contacts/{contact}/timeline", None, READ),
    ("post", "/contacts", lambda w: {"email": "new@example.com"}, allowed(201, 201, 201, 201, 403)),
    ("patch", "/contacts/{contact}", lambda w: {"title": "CFO"}, allowed(200, 200, 403, 200, 403)),
    ("patch", "/contacts/{own_contact}", lambda w: {"title": "CFO"}, allowed(200, 200, 200, 200, 403)),
    ("post", "/contacts/{contact}/lifecycle", lambda w: {"stage": "lead"}, allowed(200, 200, 403, 200, 403)),
    ("post", "/contacts/{own_contact}/lifecycle", lambda w: {"stage": "lead"}, allowed(200, 200, 200, 200, 403)),
    # merges: change the survivor and delete the other; undo changes the survivor and adds a contact
    ("get", "/contacts/{contact}/merge-preview?other={own_contact}", None, READ),
    ("post", "/contacts/{contact}/merge", lambda w: {"other_id": w["spare"].pk}, allowed(201, 201, 403, 201, 403)),
    ("post", "/contacts/{own_contact}/merge", lambda w: {"other_id": w["own_spare"].pk},
     allowed(201, 201, 201, 201, 403)),
    ("get", "/merges", None, READ),
    ("get", "/merges/{merge}", None, READ),
    ("post", "/merges/{merge}/undo", lambda w: {}, allowed(200, 200, 403, 200, 403)),
    ("get", "/duplicates", None, READ),
    ("post", "/duplicates/scan", lambda w: {}, allowed(202, 202, 202, 202, 403)),
    ("post", "/duplicates/{pair}/dismiss", lambda w: {}, allowed(200, 200, 403, 200, 403)),
    # privacy rights: admins only
    ("get", "/contacts/{contact}/export", None, allowed(200, 403, 403, 403, 403)),
    ("post", "/contacts/{contact}/erase", lambda w: {}, allowed(200, 403, 403, 403, 403)),
    ("delete", "/contacts/{contact}", None, allowed(204, 204, 403, 204, 403)),
    ("delete", "/contacts/{own_contact}", None, allowed(204, 204, 204, 204, 403)),
    # deals: marketing read, sales own, manager all
    ("get", "/deals", None, READ),
    ("get", "/deals/{deal}", None, READ),
    ("post", "/deals", lambda w: {"name": "Initech pilot"}, allowed(201, 403, 201, 201, 403)),
    ("patch", "/deals/{deal}", lambda w: {"amount": "15000.00"}, allowed(200, 403, 403, 200, 403)),
    ("patch", "/deals/{own_deal}", lambda w: {"amount": "15000.00"}, allowed(200, 403, 200, 200, 403)),
    ("post", "/deals/{deal}/move", lambda w: {"stage_id": w["stage"].pk}, allowed(200, 403, 403, 200, 403)),
    ("post", "/deals/{own_deal}/move", lambda w: {"stage_id": w["stage"].pk}, allowed(200, 403, 200, 200, 403)),
    ("put", "/deals/{deal}/contacts/{contact}", lambda w: {"role": "decision_maker"},
     allowed(200, 403, 403, 200, 403)),
    ("put", "/deals/{own_deal}/contacts/{own_contact}", lambda w: {"role": "decision_maker"},
     allowed(200, 403, 200, 200, 403)),
    ("delete", "/deals/{deal}/contacts/{contact}", None, allowed(204, 403, 403, 204, 403)),
    ("delete", "/deals/{own_deal}/contacts/{own_contact}", None, allowed(204, 403, 204, 204, 403)),
    ("delete", "/deals/{deal}", None, allowed(204, 403, 403, 204, 403)),
    ("delete", "/deals/{own_deal}", None, allowed(204, 403, 204, 204, 403)),
    # pipelines: only admins and sales managers change them
    ("get", "/pipelines", None, READ),
    ("get", "/pipelines/{pipeline}", None, READ),
    ("post", "/pipelines", lambda w: {"name": "Renewals", "stages": [{"name": "Due"}]},
     allowed(201, 403, 403, 201, 403)),
    ("patch", "/pipelines/{empty_pipeline}", lambda w: {"name": "Channel partners"}, allowed(200, 403, 403, 200, 403)),
    ("delete", "/pipelines/{empty_pipeline}", None, allowed(204, 403, 403, 204, 403)),
    ("post", "/pipelines/{pipeline}/stages", lambda w: {"name": "Legal review"}, allowed(201, 403, 403, 201, 403)),
    ("patch", "/pipelines/{pipeline}/stages/{stage}", lambda w: {"probability": 65}, allowed(200, 403, 403, 200, 403)),
    ("put", "/pipelines/{pipeline}/stage-order",
     lambda w: {"stage_ids": list(w["pipeline"].stages.order_by("-position").values_list("id", flat=True))},
     allowed(200, 403, 403, 200, 403)),
    ("delete", "/pipelines/{pipeline}/stages/{stage}", None, allowed(204, 403, 403, 204, 403)),
    # activities: marketing and sales own, manager all
    ("get", "/activities", None, READ),
    ("get", "/activities/{activity}", None, READ),
    ("post", "/activities", lambda w: {"kind": "note", "contact_id": w["contact"].pk},
     allowed(201, 201, 201, 201, 403)),
    ("patch", "/activities/{activity}", lambda w: {"subject": "Edited"}, allowed(200, 403, 403, 200, 403)),
    ("patch", "/activities/{own_activity}", lambda w: {"subject": "Edited"}, allowed(200, 403, 200, 200, 403)),
    ("delete", "/activities/{activity}", None, allowed(204, 403, 403, 204, 403)),
    ("delete", "/activities/{own_activity}", None, allowed(204, 403, 204, 204, 403)),
    # tasks: everyone who reads activities lists them; completing and rescheduling change the task
    ("get", "/tasks", None, READ),
    ("post", "/tasks/{task}/complete", lambda w: {}, allowed(200, 403, 403, 200, 403)),
    ("post", "/tasks/{own_task}/complete", lambda w: {}, allowed(200, 403, 200, 200, 403)),
    ("post", "/tasks/{task}/reschedule", lambda w: {"due_at": "2027-01-04T10:00:00Z"}, allowed(200, 403, 403, 200, 403)),
    ("post", "/tasks/{own_task}/reschedule", lambda w: {"due_at": "2027-01-04T10:00:00Z"},
     allowed(200, 403, 200, 200, 403)),
    # campaigns and touchpoints: marketing all, sales and managers read
    ("get", "/campaigns", None, READ),
    ("get", "/campaigns/{campaign}", None, READ),
    ("post", "/campaigns", lambda w: {"name": "Autumn ads", "channel": "paid_search"},
     allowed(201, 201, 403, 403, 403)),
    ("patch", "/campaigns/{campaign}", lambda w: {"cost": "1500.00"}, allowed(200, 200, 403, 403, 403)),
    ("delete", "/campaigns/{campaign}", None, allowed(204, 204, 403, 403, 403)),
    ("get", "/touchpoints", None, READ),
    ("get", "/touchpoints/{touchpoint}", None, READ),
    ("post", "/touchpoints", lambda w: {"contact_id": w["contact"].pk, "kind": "page_view", "channel": "seo"},
     allowed(201, 201, 403, 403, 403)),
    ("post", "/touchpoints/batch",
     lambda w: {"items": [{"contact_email": "jane@acme.com", "kind": "page_view", "channel": "seo"}]},
     allowed(201, 201, 403, 403, 403)),
    ("patch", "/touchpoints/{touchpoint}", lambda w: {"source": "newsletter"}, allowed(200, 200, 403, 403, 403)),
    ("delete", "/touchpoints/{touchpoint}", None, allowed(204, 204, 403, 403, 403)),
]

PARAMS = [
    pytest.param(method, path, body, who, expected.get(who, 401), id=f"{method.upper()} {path} as {who or 'anonymous'}")
    for method, path, body, expected in CASES
    for who in (*ROLES, None)
]


@pytest.mark.django_db
@pytest.mark.parametrize(("method", "path", "body", "who", "status"), PARAMS)
def test_permission_matrix(api, merge_world, method, path, body, who, status):
    # given the world's records and a caller with one role (or none)
    world = merge_world
    url = path.format(**{name: obj.pk for name, obj in world.items()})
    client = api(who)
    # when the caller hits the endpoint
    if method in ("get", "delete"):
        response = getattr(client, method)(url)
    else:
        response = getattr(client, method)(url, body(world))
    # then the status is exactly the policy's answer, and refusals use the one error body
    assert response.status_code == status, response.content
    if status in (401, 403):
        code = {401: "unauthorized", 403: "forbidden"}[status]
        assert response.json()["errors"][0]["code"] == code


def test_the_matrix_covers_every_endpoint_in_the_schema(client):
    # every (method, path) the CRM and marketing routers serve in the OpenAPI document has a row above
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    documented = {
        (method, path.removeprefix("/api/v1")) for path, ops in paths.items() for method, op in ops.items()
        if op["operationId"].startswith(("plumbline_crm_api_", "plumbline_marketing_api_"))
    }
    covered = {(m, re.sub(r"\{(own_)?(\w+?)\}", lambda x: "{" + _param(x.group(2)) + "}", p.partition("?")[0]))
               for m, p, _, _ in CASES}
    assert documented == covered


def _param(name: str) -> str:
    return {"empty_pipeline": "pipeline_id"}.get(name, f"{name}_id")
