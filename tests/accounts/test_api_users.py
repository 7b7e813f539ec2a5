"""/api/v1/users: admins list, create, change, deactivate users and revoke their tokens; nobody else may."""

import pytest

from plumbline.accounts.actions import do_create_api_token
from plumbline.accounts.models import ApiToken, User
from tests.api.conftest import Api


@pytest.fixture
def api(tokens):
    return lambda who: Api(tokens[who] if who else None)


@pytest.mark.django_db
def test_admin_lists_users_with_role_team_and_status_in_pages(api, users, django_assert_max_num_queries):
    api("admin").get("/me")  # the token's first use notes last_used_at; the list's queries are counted after
    with django_assert_max_num_queries(6):
        r = api("admin").get("/users", limit=4)
    assert r.status_code == 200
    body = r.json()
    assert [u["username"] for u in body["items"]] == ["admin", "manager", "marketing", "rep1"]
    rep1 = body["items"][3]
    assert (rep1["role"], rep1["role_label"], rep1["team"], rep1["is_active"]) == ("sales", "Sales rep", "Sales", True)
    rest = api("admin").get("/users", limit=4, cursor=body["next_cursor"]).json()
    assert [u["username"] for u in rest["items"]] == ["rep2", "viewer"] and rest["next_cursor"] is None
    assert [u["username"] for u in api("admin").get("/users", role="sales").json()["items"]] == ["rep1", "rep2"]


@pytest.mark.parametrize("who", ["marketing", "rep1", "manager", "viewer"])
@pytest.mark.django_db
def test_other_roles_get_403_everywhere(api, users, who):
    pk = users["rep2"].pk
    assert api(who).get("/users").status_code == 403
    assert api(who).get(f"/users/{pk}").status_code == 403
    assert api(who).patch(f"/users/{pk}", {}).status_code == 403
    assert api(who).post("/users", {"username": "x", "role": "admin", "password": "a-long-enough-secret"}
                         ).status_code == 403
    assert api(who).get(f"/users/{pk}/tokens").status_code == 403
    assert User.objects.filter(username="x").count() == 0


@pytest.mark.django_db
def test_create_with_password_returns_201_and_a_weak_one_422_on_the_field(api, users):
    team = users["rep1"].team
    r = api("admin").post("/users", {"username": "nina", "role": "sales", "team_id": team.pk,
                                     "password": "a-long-enough-secret", "email": "nina@example.org"})
    assert r.status_code == 201
    assert (r.json()["username"], r.json()["team"], r.json()["last_login"]) == ("nina", "Sales", None)
    weak = api("admin").post("/users", {"username": "otto", "role": "sales", "password": "12345678"})
    assert weak.status_code == 400
    assert {e["field"] for e in weak.json()["errors"]} == {"password"}
    assert not User.objects.filter(username="otto").exists()
    assert api("admin").post("/users", {"username": "eve", "role": "boss"}).status_code == 422
    missing = api("admin").post("/users", {"username": "eve", "role": "sales", "team_id": 999999})
    assert (missing.status_code, missing.json()["errors"][0]["field"]) == (422, "team_id")


@pytest.mark.django_db
def test_patch_changes_role_and_team_and_deactivates_with_reassignment(api, users):
    pk = users["viewer"].pk
    r = api("admin").patch(f"/users/{pk}", {"role": "sales", "team_id": users["rep1"].team_id})
    assert (r.status_code, r.json()["role"], r.json()["team"]) == (200, "sales", "Sales")
    r = api("admin").patch(f"/users/{pk}", {"is_active": False})
    assert (r.status_code, r.json()["is_active"]) == (200, False)
    r = api("admin").patch(f"/users/{pk}", {"is_active": True})
    assert r.json()["is_active"] is True


@pytest.mark.django_db
def test_patch_refuses_self_deactivation_and_the_last_admins_demotion_all_or_nothing(api, users):
    me = users["admin"].pk
    r = api("admin").patch(f"/users/{me}", {"is_active": False})
    assert (r.status_code, r.json()["errors"][0]["field"]) == (400, "is_active")
    r = api("admin").patch(f"/users/{me}", {"first_name": "Changed", "role": "viewer"})
    assert (r.status_code, r.json()["errors"][0]["field"]) == (409, "role")
    assert User.objects.get(pk=me).first_name == "Admin"


@pytest.mark.django_db
def test_patch_password_is_validated(api, users):
    pk = users["rep1"].pk
    r = api("admin").patch(f"/users/{pk}", {"password": "rep1"})
    assert r.status_code == 400
    assert {e["field"] for e in r.json()["errors"]} == {"password"}
    assert api("admin").patch(f"/users/{pk}", {"password": "a-long-enough-secret"}).status_code == 200
    assert User.objects.get(pk=pk).check_password("a-long-enough-secret")


@pytest.mark.django_db
def test_admin_lists_and_revokes_a_users_tokens(api, users, tokens):
    # given: rep1 has the fixture's token and a "laptop" one
    fixture_token = ApiToken.objects.get(user=users["rep1"])
    token, raw = do_create_api_token(user=users["rep1"], name="laptop")
    rep1 = users["rep1"].pk
    listed = api("admin").get(f"/users/{rep1}/tokens").json()
    assert [(t["id"], t["name"], t["revoked_at"]) for t in listed] == [(token.pk, "laptop", None),
                                                                         (fixture_token.pk, "", None)]
    # when: the admin revokes the laptop token
    assert api("admin").delete(f"/users/{rep1}/tokens/{token.pk}").status_code == 204
    # then: it no longer authenticates, is listed after the active one, and a second revoke is a 404
    assert Api(raw).get("/me").status_code == 401
    assert [t["id"] for t in api("admin").get(f"/users/{rep1}/tokens").json()] == [fixture_token.pk, token.pk]
    assert api("admin").delete(f"/users/{rep1}/tokens/{token.pk}").status_code == 404
    # and: a token of another user is not reachable through this user
    rep2_token = ApiToken.objects.get(user=users["rep2"])
    assert api("admin").delete(f"/users/{rep1}/tokens/{rep2_token.pk}").status_code == 404
    assert ApiToken.objects.get(pk=rep2_token.pk).revoked_at is None


@pytest.mark.django_db
def test_huge_and_unknown_ids_are_404_or_422_not_500(api, users):
    assert api("admin").get("/users/99999999999999999999").status_code == 422
    assert api("admin").get("/users/424242").status_code == 404
