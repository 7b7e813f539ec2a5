"""Managing users: admins only, passwords validated, the last admin kept, a leaver's leads rerouted."""

import pytest

from plumbline.accounts.actions import (
    do_create_api_token,
    do_create_user,
    do_deactivate_user,
    do_reactivate_user,
    do_revoke_api_token,
    do_set_password,
    do_update_user,
    user_for_token,
)
from plumbline.accounts.models import User
from plumbline.core.errors import Conflict, DomainError, PermissionDenied, ValidationFailed
from plumbline.crm.actions import do_create_company, do_create_contact
from plumbline.events.runner import drain
from plumbline.handoff.actions import do_route_lead
from plumbline.handoff.models import Assignment


@pytest.mark.django_db
def test_admin_creates_a_user_who_can_sign_in(users):
    user = do_create_user(by=users["admin"], username="nina", password="a-long-enough-secret", role="sales",
                          email=" Nina@Example.ORG ", team=users["rep1"].team)
    user.refresh_from_db()
    assert (user.role, user.email, user.team.name, user.is_active) == ("sales", "nina@example.org", "Sales", True)
    assert user.check_password("a-long-enough-secret")


@pytest.mark.parametrize("who", ["marketing", "rep1", "manager", "viewer"])
@pytest.mark.django_db
def test_only_admins_create_users(users, who):
    with pytest.raises(PermissionDenied):
        do_create_user(by=users[who], username="nina", password="a-long-enough-secret", role="admin")
    assert not User.objects.filter(username="nina").exists()


@pytest.mark.django_db
def test_a_weak_password_is_refused_on_the_password_field_and_nothing_is_written(users):
    with pytest.raises(ValidationFailed) as caught:
        do_create_user(by=users["admin"], username="nina", password="password", role="sales")
    assert {(e.field, e.code) for e in caught.value.errors} == {("password", "password_too_weak")}
    assert "too common" in " ".join(e.message for e in caught.value.errors)
    assert not User.objects.filter(username="nina").exists()


@pytest.mark.django_db
def test_set_password_validates_too(users):
    with pytest.raises(ValidationFailed) as caught:
        do_set_password(by=users["admin"], user=users["rep1"], password="short")
    assert caught.value.field == "password"
    assert "at least 8 characters" in caught.value.message
    users["rep1"].refresh_from_db()
    assert users["rep1"].check_password("correct-horse-battery")


@pytest.mark.django_db
def test_a_taken_username_in_another_case_is_a_conflict(users):
    with pytest.raises(Conflict) as caught:
        do_create_user(by=users["admin"], username="REP1", password=None, role="sales")
    assert caught.value.field == "username"


@pytest.mark.django_db
def test_an_invitation_needs_an_email(users):
    with pytest.raises(DomainError) as caught:
        do_create_user(by=users["admin"], username="nina", password=None, role="sales", invite=True)
    assert (caught.value.field, caught.value.code) == ("email", "required")


@pytest.mark.django_db
def test_nobody_deactivates_themselves(users):
    with pytest.raises(DomainError) as caught:
        do_deactivate_user(by=users["admin"], user=users["admin"])
    assert (caught.value.field, caught.value.code) == ("is_active", "self")
    users["admin"].refresh_from_db()
    assert users["admin"].is_active


@pytest.mark.django_db
def test_the_last_active_admin_is_neither_deactivated_nor_demoted(users):
    # given: a second admin, then the first is deactivated, leaving one
    other = do_create_user(by=users["admin"], username="root2", password=None, role="admin")
    do_deactivate_user(by=other, user=users["admin"])
    # when/then: the remaining admin cannot be deactivated (by the system) or demoted
    with pytest.raises(Conflict) as caught:
        do_deactivate_user(user=other)
    assert caught.value.field == "is_active"
    with pytest.raises(Conflict) as caught:
        do_update_user(by=other, user=other, changes={"role": "sales"})
    assert caught.value.field == "role"
    other.refresh_from_db()
    assert (other.is_active, other.role) == (True, "admin")
    # and: once the first is back, the demotion goes through
    do_reactivate_user(by=other, user=users["admin"])
    do_update_user(by=other, user=other, changes={"role": "sales"})
    assert User.objects.get(pk=other.pk).role == "sales"


@pytest.mark.django_db
def test_deactivating_a_rep_reroutes_their_open_leads_and_locks_them_out(users):
    # given: rep1 owns Acme and has two of its leads waiting, one already accepted, and an API token
    rep1 = users["rep1"]
    do_create_company(name="Acme", domain="acme.com", owner=rep1)
    leads = [do_create_contact(email=f"{n}@acme.com", lifecycle_stage="mql") for n in ("ann", "bob", "cy")]
    assignments = [do_route_lead(contact=c) for c in leads]
    assert {a.rep for a in assignments} == {rep1}
    Assignment.objects.filter(pk=assignments[2].pk).update(status="accepted")
    _, raw = do_create_api_token(user=rep1)

    # when: an admin deactivates rep1, and the worker runs the feed
    assert do_deactivate_user(by=users["admin"], user=rep1) == rep1
    drain()

    # then: the two waiting leads went through routing to other reps, the accepted one stays
    for a in assignments[:2]:
        a.refresh_from_db()
        assert a.status == "reassigned"
    new = Assignment.objects.filter(status="open").order_by("contact__email")
    assert [a.contact.email for a in new] == ["ann@acme.com", "bob@acme.com"]
    assert {a.rep.username for a in new} <= {"rep2", "manager"}
    assert all(a.contact.owner_id == a.rep_id for a in new)
    assert Assignment.objects.get(pk=assignments[2].pk).status == "accepted"
    # and: rep1 can neither sign in nor use the token
    rep1.refresh_from_db()
    assert rep1.is_active is False
    assert user_for_token(raw) is None


@pytest.mark.django_db
def test_deactivating_with_nobody_to_take_the_leads_tells_the_managers(users):
    for name in ("rep2", "manager"):
        users[name].is_out_of_office = True
        users[name].save(update_fields=["is_out_of_office"])
    a = do_route_lead(contact=do_create_contact(email="ann@acme.com", lifecycle_stage="mql"))
    assert a.rep == users["rep1"]
    do_deactivate_user(by=users["admin"], user=users["rep1"])
    drain()
    a.refresh_from_db()
    assert a.status == "reassigned"
    assert users["manager"].notifications.filter(kind="unrouted").count() == 1


@pytest.mark.django_db
def test_admin_changes_role_and_team(users):
    do_update_user(by=users["admin"], user=users["viewer"], changes={"role": "sales", "team": users["rep1"].team})
    viewer = User.objects.get(pk=users["viewer"].pk)
    assert (viewer.role, viewer.team.name) == ("sales", "Sales")
    with pytest.raises(PermissionDenied):
        do_update_user(by=users["manager"], user=users["rep1"], changes={"role": "admin"})


@pytest.mark.django_db
def test_admin_revokes_anyones_token_others_only_their_own(users):
    token, raw = do_create_api_token(user=users["rep1"])
    with pytest.raises(PermissionDenied):
        do_revoke_api_token(by=users["rep2"], user=users["rep1"], token_id=token.pk)
    do_revoke_api_token(by=users["admin"], user=users["rep1"], token_id=token.pk)
    assert user_for_token(raw) is None
