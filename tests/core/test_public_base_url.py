"""Links, QR codes and notification emails follow the port Plumbline is served on unless PUBLIC_BASE_URL is set."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from plumbline.core.env import public_base_url
from plumbline.core.management.commands.serve import child_env

ROOT = Path(__file__).resolve().parents[2]


def _settings_base_url(**env: str) -> str:
    clean = {k: v for k, v in os.environ.items() if k not in ("PUBLIC_BASE_URL", "HOST", "PORT")}
    out = subprocess.run(
        [sys.executable, "-c", "from plumbline import settings; print(settings.PUBLIC_BASE_URL)"],
        env={**clean, **env}, cwd=ROOT, capture_output=True, text=True, check=True,
    )
    return out.stdout.strip()


def test_base_url_follows_the_served_port_when_not_set():
    assert _settings_base_url(PORT="8100") == "http://127.0.0.1:8100"
    assert _settings_base_url(HOST="crm.local", PORT="8100") == "http://crm.local:8100"
    assert _settings_base_url() == "http://127.0.0.1:8000"


def test_an_explicit_public_base_url_wins_over_the_port():
    assert _settings_base_url(PORT="8100", PUBLIC_BASE_URL="https://crm.example.com") == "https://crm.example.com"


def test_a_wildcard_bind_is_linked_as_this_machine():
    assert public_base_url("0.0.0.0", 8100) == "http://127.0.0.1:8100"
    assert public_base_url("::1", 8100) == "http://[::1]:8100"


def test_serve_hands_the_port_it_binds_to_the_server_worker_and_scheduler():
    env = child_env({"PORT": "8000", "HOST": "127.0.0.1", "OTHER": "kept"}, host="0.0.0.0", port=8100)
    assert env == {"PORT": "8100", "HOST": "0.0.0.0", "OTHER": "kept"}
