"""The hosted page /f/<slug>, the embed script and landing pages: strict CSP, inline errors, CSRF."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from plumbline.crm.models import Contact
from plumbline.webforms.actions import do_create_landing_page, do_update_form
from plumbline.webforms.models import Submission
from tests.webforms.conftest import pow_payload

pytestmark = pytest.mark.django_db


def no_inline_script(html: str) -> bool:
    """Every <script> has a src and nothing inside; no on*= handlers."""
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, flags=re.S)
    return all("src=" in attrs and not body.strip() for attrs, body in scripts) and not re.search(
        r"\son[a-z]+=", html)


def test_the_hosted_page_renders_every_field_under_a_strict_csp(newsletter):
    response = Client().get("/f/newsletter?utm_campaign=spring")
    html = response.content.decode()
    assert response.status_code == 200
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert no_inline_script(html)
    for label in ("Email", "First name", "Company", "Send me the monthly newsletter"):
        assert label in html
    assert 'data-plumbline-pow="/f/challenge"' in html
    assert 'name="utm_campaign" value="spring"' in html
    assert 'name="website_url"' in html  # the honeypot


def test_a_hosted_submission_shows_errors_inline_and_then_thanks(newsletter):
    client = Client(enforce_csrf_checks=True)
    page = client.get("/f/newsletter")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode()).group(1)
    # When the email is not one
    bad = client.post("/f/newsletter", {"csrfmiddlewaretoken": token, "email": "nope", "first_name": "Ada",
                                        "altcha": pow_payload(client)})
    # Then the page comes back with the error next to the field and the answers kept, nothing written
    assert bad.status_code == 422
    html = bad.content.decode()
    assert 'id="pl-email-error"' in html and 'value="Ada"' in html
    assert Submission.objects.count() == 0
    # When it is corrected
    good = client.post("/f/newsletter", {"csrfmiddlewaretoken": token, "email": "ada@example.com",
                                         "newsletter": "on", "altcha": pow_payload(client)})
    assert good.status_code == 200
    assert "Thanks: check your inbox." in good.content.decode()
    assert Contact.objects.get().email == "ada@example.com"


def test_a_hosted_post_without_csrf_token_is_refused(newsletter):
    response = Client(enforce_csrf_checks=True).post("/f/newsletter", {"email": "ada@example.com"})
    assert response.status_code == 403
    assert Submission.objects.count() == 0


def test_a_form_with_a_redirect_sends_the_visitor_there(newsletter):
    do_update_form(by=None, form=newsletter, changes={"redirect_url": "https://www.acme.test/thanks"})
    client = Client()
    # the page's policy lets the form's POST be redirected there (form-action covers redirects)
    policy = client.get("/f/newsletter")["Content-Security-Policy"]
    assert "form-action 'self' https://www.acme.test;" in policy and "script-src 'self';" in policy
    response = client.post("/f/newsletter", {"email": "ada@example.com", "altcha": pow_payload(client)})
    assert (response.status_code, response["Location"]) == (303, "https://www.acme.test/thanks")


def test_the_embed_script_is_one_cacheable_static_file(newsletter):
    response = Client().get("/f/newsletter/embed.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert "crypto.subtle.digest" in response.content.decode()
    assert Client().get("/f/unknown/embed.js").status_code == 404


def test_a_landing_page_serves_sanitised_text_a_form_and_its_call_to_action(newsletter):
    page = do_create_landing_page(
        by=None, headline="Spring offer", slug="spring", form=newsletter, cta_label="See pricing",
        cta_url="https://www.acme.test/pricing",
        body_html='<p onclick="steal()">Hello <strong>you</strong><script>alert(1)</script></p>'
                  '<a href="javascript:alert(1)">x</a>')
    assert page.body_html == '<p>Hello <strong>you</strong></p><a rel="noopener noreferrer nofollow">x</a>'
    response = Client().get("/lp/spring")
    html = response.content.decode()
    assert response.status_code == 200
    assert no_inline_script(html)
    assert "Spring offer" in html and 'href="https://www.acme.test/pricing"' in html
    assert 'action="/f/newsletter"' in html
    assert Client().get("/lp/nope").status_code == 404
