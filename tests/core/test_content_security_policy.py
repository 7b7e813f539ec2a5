"""Every page carries a Content-Security-Policy of 'self' only, and nothing the pages render needs more: no
inline <script>, <style>, style= or on*= in the templates or the server-drawn charts."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.test import Client

from plumbline.core import charts
from plumbline.core.security import POLICY

TEMPLATES = Path(__file__).resolve().parents[2] / "plumbline" / "templates"
INLINE = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|<style\b|\sstyle=|\son[a-z]+=|javascript:", re.IGNORECASE)


def test_pages_and_api_answers_carry_the_policy(users, tokens):
    client = Client()
    client.force_login(users["admin"])

    for response in (Client().get("/login/"), client.get("/"), client.get("/contacts/"),
                     Client().get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {tokens['admin']}")):
        assert response["Content-Security-Policy"] == POLICY

    assert "default-src 'self'" in POLICY and "script-src 'self';" in POLICY and "style-src 'self';" in POLICY


@pytest.mark.parametrize("template", sorted(str(p.relative_to(TEMPLATES)) for p in TEMPLATES.rglob("*.html")))
def test_no_template_has_inline_script_style_or_handlers(template):
    text = (TEMPLATES / template).read_text()

    assert INLINE.findall(text) == []


def test_server_drawn_charts_have_no_style_attributes():
    svg = [
        charts.grouped_bars(["a", "b"], [charts.Series("x", [1, 2])], title="t"),
        charts.stacked_bars(["a", "b"], [charts.Series("x", [1, 2])], title="t"),
        charts.calibration_chart([charts.Curve("model", [(0.1, 0.2), (0.5, 0.4)])], title="t"),
    ]

    assert [INLINE.findall(str(s)) for s in svg] == [[], [], []]
