"""`plumbline users ...`: the same actions from a shell, with the domain's refusals as command errors."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from plumbline.accounts.models import User
from plumbline.crm.actions import do_create_contact
from plumbline.events.runner import drain
from plumbline.handoff.actions import do_route_lead
from plumbline.handoff.models import Assignment


def run(*args: str) -> str:
    out = StringIO()
    call_command("users", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_list_shows_role_team_status_and_last_sign_in(users):
    User.objects.filter(pk=users["viewer"].pk).update(is_active=False)
    lines = run("list").splitlines()
    assert lines[0].split() == ["USERNAME", "NAME", "ROLE", "TEAM", "STATUS", "LAST", "SIGN-IN"]
    rep1 = next(line for line in lines if line.startswith("rep1 "))
    assert rep1.split() == ["rep1", "Rep1", "Sales", "rep", "Sales", "active", "never"]
    assert run("list", "--inactive").splitlines()[1].split()[0] == "viewer"


@pytest.mark.django_db
def test_create_validates_the_password_and_names_the_field(users):
    with pytest.raises(CommandError, match="password: This password is too common"):
        run("create", "nina", "--role", "sales", "--password", "password1")
    assert "Created nina (Sales rep)" in run("create", "nina", "--role", "sales", "--team", "sales",
                                             "--password", "a-long-enough-secret")
    nina = User.objects.get(username="nina")
    assert (nina.team.name, nina.check_password("a-long-enough-secret")) == ("Sales", True)
    with pytest.raises(CommandError, match="No team named 'Ops'"):
        run("create", "otto", "--role", "sales", "--team", "Ops", "--password", "a-long-enough-secret")


@pytest.mark.django_db
def test_deactivate_reroutes_and_set_role_and_reset_password(users):
    a = do_route_lead(contact=do_create_contact(email="ann@acme.com", lifecycle_stage="mql"))
    assert "their open leads go back through routing" in run("deactivate", a.rep.username)
    drain()
    assert Assignment.objects.get(status="open").rep != a.rep
    assert "viewer is now Sales manager in Sales." in run("set-role", "viewer", "sales_manager", "--team", "Sales")
    assert "Set a new password" in run("reset-password", "rep2", "--password", "brand-new-words")
    assert User.objects.get(username="rep2").check_password("brand-new-words")
    with pytest.raises(CommandError, match="is_active: admin is the last active admin"):
        run("deactivate", "admin")
    with pytest.raises(CommandError, match="No user named 'ghost'"):
        run("reset-password", "ghost", "--password", "brand-new-words")
