"""Every page for every role and for anonymous visitors, with the exact status each must answer."""

from __future__ import annotations

import pytest
from django.test import Client

ROLES = ("admin", "marketing", "rep1", "manager", "viewer")
ALL_OK = dict.fromkeys(ROLES, 200)

# The record fixture: contact, company and deal owned by rep2; campaign owned by marketing.
PAGES = {
    "/": ALL_OK,
    "/dashboard/": ALL_OK,
    "/contacts/": ALL_OK,
    "/contacts/?q=jane&stage=subscriber": ALL_OK,
    "/contacts/new/": {**ALL_OK, "viewer": 403},
    "/contacts/{contact}/": ALL_OK,
    "/contacts/{contact}/edit/": {**ALL_OK, "rep1": 403, "viewer": 403},
    "/contacts/{contact}/delete/": {**ALL_OK, "rep1": 403, "viewer": 403},
    "/contacts/{contact}/merge/": {**ALL_OK, "rep1": 403, "viewer": 403},
    "/contacts/duplicates/": ALL_OK,
    "/companies/": ALL_OK,
    "/companies/new/": {**ALL_OK, "viewer": 403},
    "/companies/{company}/": ALL_OK,
    "/companies/{company}/edit/": {**ALL_OK, "rep1": 403, "viewer": 403},
    "/companies/{company}/delete/": {**ALL_OK, "rep1": 403, "viewer": 403},
    "/deals/": ALL_OK,
    "/deals/new/": {**ALL_OK, "marketing": 403, "viewer": 403},
    "/deals/{deal}/": ALL_OK,
    "/deals/{deal}/edit/": {**ALL_OK, "marketing": 403, "rep1": 403, "viewer": 403},
    "/deals/{deal}/delete/": {**ALL_OK, "marketing": 403, "rep1": 403, "viewer": 403},
    "/pipelines/": ALL_OK,
    "/campaigns/": ALL_OK,
    "/campaigns/new/": {**ALL_OK, "rep1": 403, "manager": 403, "viewer": 403},
    "/campaigns/{campaign}/": ALL_OK,
    "/campaigns/{campaign}/edit/": {**ALL_OK, "rep1": 403, "manager": 403, "viewer": 403},
    "/campaigns/{campaign}/qr.svg": ALL_OK,
}


def _url(template: str, record) -> str:
    return template.format(contact=record.contact.pk, company=record.company.pk, deal=record.deal.pk,
                           campaign=record.campaign.pk)


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("page", PAGES)
def test_each_role_gets_the_expected_status_on_every_page(record, client_for, page, role):
    # given a signed-in user of that role; when they open the page
    response = client_for(role).get(_url(page, record))
    # then the status is exactly the one the role policy promises
    assert response.status_code == PAGES[page][role]


@pytest.mark.django_db
@pytest.mark.parametrize("page", PAGES)
def test_anonymous_visitors_are_sent_to_sign_in(record, page):
    url = _url(page, record)
    response = Client().get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=")


@pytest.mark.django_db
def test_forbidden_page_explains_the_refusal(record, client_for):
    response = client_for("viewer").get("/contacts/new/")
    assert response.status_code == 403
    assert ("Your role (Viewer) may not create contacts; that needs the Admin, Marketing, Sales rep or Sales "
            "manager role.") in response.content.decode()


@pytest.mark.django_db
def test_a_viewer_refused_an_edit_is_told_the_role_it_needs_not_about_ownership(record, client_for):
    response = client_for("viewer").get(f"/contacts/{record.contact.pk}/edit/")
    html = response.content.decode()
    assert response.status_code == 403
    assert ("Your role (Viewer) may not edit contacts; that needs the Admin, Marketing, Sales rep or Sales manager "
            "role.") in html
    assert "own" not in html.split("<main")[1]


@pytest.mark.django_db
def test_a_rep_refused_another_reps_record_is_told_about_ownership(record, client_for):
    response = client_for("rep1").get(f"/deals/{record.deal.pk}/edit/")
    assert response.status_code == 403
    assert ("You may edit only the deals you own; the Admin and Sales manager roles may edit any."
            in response.content.decode())


@pytest.mark.django_db
def test_viewer_sees_no_write_controls(record, client_for):
    # given a viewer; when they open the contact page and the contacts list
    contact_page = client_for("viewer").get(f"/contacts/{record.contact.pk}/").content.decode()
    contact_list = client_for("viewer").get("/contacts/").content.decode()
    # then no edit link, no lifecycle form, no log form and no "New contact" button is shown
    assert f"/contacts/{record.contact.pk}/edit/" not in contact_page
    assert "/lifecycle/" not in contact_page and "/merge/" not in contact_page
    assert 'id="log-form"' not in contact_page
    assert "/contacts/new/" not in contact_list


@pytest.mark.django_db
def test_rep_sees_write_controls_only_on_own_records(record, client_for, users):
    from plumbline.crm.actions import do_create_contact

    own = do_create_contact(by=users["rep1"], email="own@rep1.test")
    rep1 = client_for("rep1")
    others = rep1.get(f"/contacts/{record.contact.pk}/").content.decode()
    mine = rep1.get(f"/contacts/{own.pk}/").content.decode()
    assert "/lifecycle/" not in others
    assert f"/contacts/{own.pk}/lifecycle/" in mine
    assert f"/contacts/{own.pk}/edit/" in mine


@pytest.mark.django_db
def test_board_cards_are_draggable_only_for_roles_that_may_move_them(record, client_for):
    def draggable(role: str) -> set[int]:
        html = client_for(role).get("/deals/").content.decode()
        return {d.pk for d in (record.deal, record.own_deal)
                if f'draggable="true" data-deal-id="{d.pk}"' in html}

    assert draggable("manager") == {record.deal.pk, record.own_deal.pk}
    assert draggable("rep1") == {record.own_deal.pk}
    assert draggable("viewer") == set()
    assert draggable("marketing") == set()


POSTS = {
    # (url, data) -> {role: status}; 302 means the write happened and the user is sent back to the record
    "lifecycle": ("/contacts/{contact}/lifecycle/", {"to_stage": "lead"},
                  {"admin": 302, "marketing": 302, "rep1": 403, "manager": 302, "viewer": 403}),
    "log": ("/contacts/{contact}/log/", {"kind": "note", "subject": "Hello"},
            {"admin": 302, "marketing": 302, "rep1": 302, "manager": 302, "viewer": 403}),
    "move": ("/deals/{deal}/move/", {"stage": "{demo}"},
             {"admin": 302, "marketing": 403, "rep1": 403, "manager": 302, "viewer": 403}),
}


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", POSTS)
def test_writes_are_rechecked_on_post_for_every_role(record, client_for, pipeline, name, role):
    url, data, expected = POSTS[name]
    demo = pipeline.stages.get(name="Demo").pk
    data = {k: v.format(demo=demo) for k, v in data.items()}
    response = client_for(role).post(_url(url, record), data)
    assert response.status_code == expected[role]


@pytest.mark.django_db
def test_public_vanity_link_redirects_to_the_landing_page_with_utm_tags(record):
    response = Client().get(f"/go/{record.campaign.vanity_slug}")
    assert response.status_code == 302
    assert response["Location"] == (
        "https://example.com/spring?utm_source=print&utm_medium=qr&utm_campaign=spring-flyer"
    )


@pytest.mark.django_db
def test_unknown_vanity_link_is_404(db):
    assert Client().get("/go/no-such-flyer").status_code == 404
