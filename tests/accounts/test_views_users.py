"""The Users page (admins): list, create or invite, change, deactivate, reset passwords, revoke tokens."""

import datetime as dt
import re

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import Client

from plumbline.accounts.actions import do_create_api_token
from plumbline.accounts.models import ApiToken, User


@pytest.fixture
def admin_client(users) -> Client:
    client = Client()
    client.force_login(users["admin"])
    return client


@pytest.mark.django_db
def test_admin_sees_every_user_with_role_label_team_status_and_full_last_sign_in(admin_client, users):
    User.objects.filter(pk=users["rep1"].pk).update(last_login=dt.datetime(2026, 11, 3, 14, 5, tzinfo=dt.UTC))
    User.objects.filter(pk=users["viewer"].pk).update(is_active=False)
    html = admin_client.get("/users/").content.decode()
    row = re.search(rf'<tr id="user-{users["rep1"].pk}">(.*?)</tr>', html, re.S).group(1)
    assert "Sales rep" in row and "Sales" in row and "Active" in row and "Tue 3 Nov 2026, 14:05" in row
    viewer_row = re.search(rf'<tr id="user-{users["viewer"].pk}">(.*?)</tr>', html, re.S).group(1)
    assert "Deactivated" in viewer_row and "Never" in viewer_row
    assert html.count('<tr id="user-') == 6
    assert 'href="/users/"' in html  # the nav link


@pytest.mark.django_db
def test_the_list_pages_fifty_at_a_time(admin_client, users):
    User.objects.bulk_create([User(username=f"bulk{i:03}", role="viewer") for i in range(60)])
    first = admin_client.get("/users/").content.decode()
    second = admin_client.get("/users/?page=2").content.decode()
    assert first.count('<tr id="user-') == 50 and second.count('<tr id="user-') == 16
    assert "Page 1 of 2 · 66 in all" in first


@pytest.mark.parametrize("who", ["marketing", "rep1", "manager", "viewer"])
@pytest.mark.django_db
def test_other_roles_get_403_and_no_nav_link(users, who):
    client = Client()
    client.force_login(users[who])
    assert client.get("/users/").status_code == 403
    assert client.post(f"/users/{users['rep2'].pk}/deactivate/").status_code == 403
    assert 'href="/users/"' not in client.get("/").content.decode()
    assert User.objects.get(pk=users["rep2"].pk).is_active


@pytest.mark.django_db
def test_create_form_shows_the_password_validators_message_on_the_field(admin_client):
    r = admin_client.post("/users/new/", {"username": "nina", "role": "sales", "how": "password",
                                          "password": "qwerty123"})
    assert r.status_code == 400
    assert re.search(r'id_password-error" role="alert"><li>This password is too common', r.content.decode())
    assert not User.objects.filter(username="nina").exists()


@pytest.mark.django_db
def test_create_with_a_password_then_change_role_and_team(admin_client, users):
    r = admin_client.post("/users/new/", {"username": "nina", "role": "viewer", "how": "password",
                                          "password": "a-long-enough-secret", "first_name": "Nina"})
    nina = User.objects.get(username="nina")
    assert r.status_code == 302 and r["Location"] == f"/users/{nina.pk}/"
    r = admin_client.post(f"/users/{nina.pk}/", {"first_name": "Nina", "role": "sales", "capacity": 20,
                                                 "team": users["rep1"].team_id, "email": ""})
    assert r.status_code == 302
    nina.refresh_from_db()
    assert (nina.role, nina.team.name, nina.capacity) == ("sales", "Sales", 20)


@pytest.mark.django_db
def test_deactivate_and_reactivate_buttons_and_no_self_deactivation(admin_client, users):
    rep2 = users["rep2"].pk
    r = admin_client.post(f"/users/{rep2}/deactivate/", follow=True)
    assert "Deactivated Rep2: they can no longer sign in" in r.content.decode()
    assert not User.objects.get(pk=rep2).is_active
    admin_client.post(f"/users/{rep2}/reactivate/")
    assert User.objects.get(pk=rep2).is_active
    r = admin_client.post(f"/users/{users['admin'].pk}/deactivate/", follow=True)
    assert "You cannot deactivate yourself" in r.content.decode()
    assert User.objects.get(pk=users["admin"].pk).is_active


@pytest.mark.django_db
def test_admin_sets_a_password_and_a_weak_one_is_refused(admin_client, users):
    rep1 = users["rep1"].pk
    r = admin_client.post(f"/users/{rep1}/password/", {"password": "abc", "password2": "abc"})
    assert r.status_code == 400 and "at least 8 characters" in r.content.decode()
    r = admin_client.post(f"/users/{rep1}/password/", {"password": "new-secret-words", "password2": "new-secret-words"})
    assert r.status_code == 302
    assert User.objects.get(pk=rep1).check_password("new-secret-words")


@pytest.mark.django_db
def test_tokens_are_listed_and_revoked(admin_client, users):
    token, _ = do_create_api_token(user=users["rep1"], name="laptop")
    html = admin_client.get(f"/users/{users['rep1'].pk}/").content.decode()
    assert f"<code>{token.prefix}…</code>" in html and "laptop" in html
    admin_client.post(f"/users/{users['rep1'].pk}/tokens/{token.pk}/revoke/")
    assert ApiToken.objects.get(pk=token.pk).revoked_at is not None
    assert admin_client.post(f"/users/{users['rep2'].pk}/tokens/{token.pk}/revoke/").status_code == 404


@pytest.mark.django_db(transaction=True)
def test_an_invitation_email_link_sets_the_password_once_and_the_user_signs_in(users, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    admin = Client()
    admin.force_login(users["admin"])
    # given: an admin invites Nina
    admin.post("/users/new/", {"username": "nina", "role": "sales", "how": "invite", "email": "nina@example.org"})
    nina = User.objects.get(username="nina")
    assert not nina.has_usable_password()
    # when: the worker sends the mail
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)
    assert [m.to for m in mail.outbox] == [["nina@example.org"]]
    assert mail.outbox[0].subject == "[Plumbline] You are invited to Plumbline"
    link = re.search(r"\S+/set-password/\S+/", mail.outbox[0].body).group(0)
    assert link.startswith(settings.PUBLIC_BASE_URL)
    path = link[len(settings.PUBLIC_BASE_URL):]
    # then: the link's page asks for a password, refuses a weak one, accepts a good one
    visitor = Client()
    assert visitor.get(path).status_code == 200
    weak = visitor.post(path, {"password": "nina", "password2": "nina"})
    assert weak.status_code == 400 and "too short" in weak.content.decode()
    assert visitor.post(path, {"password": "my-own-good-words", "password2": "my-own-good-words"}).status_code == 302
    assert visitor.login(username="nina", password="my-own-good-words")
    # and: the link works only once
    assert Client().get(path).status_code == 400
