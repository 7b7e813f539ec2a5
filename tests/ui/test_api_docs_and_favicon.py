"""The API docs page and the favicon work offline: every asset they need is served by Plumbline itself."""

from __future__ import annotations

import re

import pytest
from django.contrib.staticfiles import finders
from django.test import Client


def _asset_urls(html: str) -> list[str]:
    return re.findall(r'(?:src|href)="([^"]+)"', html)


@pytest.mark.django_db
def test_api_docs_page_references_only_local_assets_that_are_served(users):
    # given a signed-in user
    client = Client()
    client.force_login(users["viewer"])

    # when they open the API docs
    response = client.get("/api/v1/docs")

    # then every script and stylesheet is one of our static files, and each is served
    assert response.status_code == 200
    html = response.content.decode()
    urls = _asset_urls(html)
    assert any(u.endswith("swagger-ui-bundle.js") for u in urls)
    assert any(u.endswith("swagger-ui.css") for u in urls)
    for url in urls:
        assert url.startswith("/static/"), url
        assert finders.find(url.removeprefix("/static/")), url
    assert "cdn" not in html.lower()


@pytest.mark.django_db
def test_pages_link_our_favicon_and_favicon_ico_redirects_to_it(users):
    # given a signed-in user
    client = Client()
    client.force_login(users["viewer"])

    # when they open a page, and a browser asks for /favicon.ico
    html = client.get("/").content.decode()
    ico = client.get("/favicon.ico")

    # then the page links the SVG icon from static, and /favicon.ico leads to the same file
    assert '<link rel="icon" href="/static/img/favicon.svg" type="image/svg+xml">' in html
    assert finders.find("img/favicon.svg")
    assert ico.status_code == 301
    assert ico["Location"] == "/static/img/favicon.svg"


@pytest.mark.django_db
def test_login_page_links_the_favicon_too():
    html = Client().get("/login/").content.decode()
    assert 'href="/static/img/favicon.svg"' in html
