"""In a real browser: an admin adds, changes and deactivates a user; a rep opens a notification and works a task."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from plumbline.accounts.actions import do_notify
from plumbline.accounts.models import User
from plumbline.crm.actions import do_create_contact, do_log_activity
from plumbline.crm.models import Activity
from tests.browser.test_core_flow import sign_in

pytestmark = pytest.mark.browser


def test_admin_adds_a_user_changes_the_role_and_deactivates_them(live_server, transactional_db, users, browser_page):
    page, base = browser_page, live_server.url
    sign_in(page, base, "admin")

    # when: the admin follows the nav to Users and adds Nina with a password that is too common
    page.click(".mainnav a:has-text('Users')")
    page.wait_for_url(f"{base}/users/")
    assert page.locator("table.users tbody tr").count() == 6
    page.click("a:has-text('New user')")
    page.fill("#id_username", "nina")
    page.fill("#id_first_name", "Nina")
    page.select_option("#id_role", "sales")
    page.check("input[name=how][value=password]")
    page.fill("#id_password", "password123")
    page.click("button:has-text('Create user')")

    # then: the validator's message is on the password field and nothing was written
    assert "too common" in page.locator("#id_password-error").inner_text()
    assert not User.objects.filter(username="nina").exists()

    # when: a good password
    page.fill("#id_password", "a-long-enough-secret")
    page.click("button:has-text('Create user')")
    page.wait_for_url(re.compile(r"/users/\d+/$"))
    nina = User.objects.get(username="nina")
    assert page.locator("h1").inner_text().startswith("Nina")

    # when: the admin makes her a sales manager in the Sales team and saves
    page.select_option("#id_role", "sales_manager")
    page.select_option("#id_team", str(users["rep1"].team_id))
    page.click("button:has-text('Save')")
    page.wait_for_selector(".msg-success")
    nina.refresh_from_db()
    assert (nina.role, nina.team.name) == ("sales_manager", "Sales")

    page.screenshot(path="/tmp/plumbline_user_page.png", full_page=True)

    # when: they deactivate her, confirming
    page.click("summary:has-text('Deactivate…')")
    page.click("button:has-text('Deactivate Nina')")
    page.wait_for_selector(".msg-success")
    assert "Deactivated Nina" in page.locator(".msg-success").inner_text()
    assert User.objects.get(pk=nina.pk).is_active is False
    page.goto(f"{base}/users/?status=inactive")
    assert page.locator("table.users tbody tr").count() == 1
    page.screenshot(path="/tmp/plumbline_users_page.png", full_page=True)


def test_rep_opens_a_notification_from_the_header_and_completes_a_task(live_server, transactional_db, users,
                                                                        browser_page):
    page, base = browser_page, live_server.url
    ann = do_create_contact(email="ann@acme.com", first_name="Ann", owner=users["rep1"])
    do_notify(user=users["rep1"], kind="assigned", message="New lead for you: Ann", url=f"/contacts/{ann.pk}/")
    late = timezone.now() - dt.timedelta(days=2)
    task = do_log_activity(by=users["rep1"], kind="task", subject="Send the proposal", contact=ann, due_at=late)
    sign_in(page, base, "rep1")

    # then: the header shows one unread notification and Home lists the overdue task with its full date
    assert page.locator(".unread-count").inner_text() == "1"
    assert "Send the proposal" in page.locator("#home-tasks-overdue + ul").inner_text()
    assert timezone.localtime(late).strftime("%a %-d %b %Y") in page.locator(".home-tasks").inner_text()

    # when: they open the menu and click the notification
    page.click(".notif-menu summary")
    page.wait_for_selector(".notif-item button")
    page.screenshot(path="/tmp/plumbline_home_tasks.png", full_page=True)
    page.click(".notif-item button:has-text('New lead for you: Ann')")
    page.wait_for_url(f"{base}/contacts/{ann.pk}/")
    assert page.locator(".unread-count").count() == 0

    # when: they go to My tasks and mark the task done
    page.click(".mainnav a:has-text('My tasks')")
    page.wait_for_url(f"{base}/tasks/")
    page.click(f"#task-{task.pk} button:has-text('Done')")
    page.wait_for_selector(".msg-success")
    assert Activity.objects.get(pk=task.pk).completed_at is not None
    assert page.locator(f"#task-{task.pk}").count() == 0
