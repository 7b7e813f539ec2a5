"""Production mode (PLUMBLINE_ENV=production) refuses weak keys, speaks HTTPS only, passes `check --deploy`
and keeps notification emails out of the log. Each case runs the real settings in a fresh interpreter."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
GOOD_KEY = "k3y-" + "a1B2c3D4e5F6g7H8i9J0" * 3  # 64 characters, not the development key


def _run(args: list[str], tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    # the browser tests' DJANGO_ALLOW_ASYNC_UNSAFE (set for Playwright) is no production setting: check --deploy
    # rightly refuses it, so it must not leak into these processes from the test run's environment
    unset = ("SECRET_KEY", "EMAIL_URL", "DEBUG", "BEHIND_TLS_PROXY", "DJANGO_ALLOW_ASYNC_UNSAFE")
    base = {k: v for k, v in os.environ.items() if k not in unset}
    base.update(PLUMBLINE_ENV="production", SECRET_KEY=GOOD_KEY, ALLOWED_HOSTS="crm.example.com,testserver",
                PLUMBLINE_DATA_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="plumbline.settings")
    base.update(env)
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=base, capture_output=True, text=True, timeout=120,
                          check=False)


def _settings(tmp_path: Path, names: list[str], **env: str) -> dict:
    code = ("import json, django; django.setup(); from django.conf import settings; "
            f"print(json.dumps({{n: getattr(settings, n, None) for n in {names!r}}}))")
    done = _run(["-c", code], tmp_path, **env)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


@pytest.mark.parametrize("key", ["short-but-not-the-dev-key", "x" * 60, "django-insecure-" + "a1b2c3d4e5" * 5])
def test_production_refuses_a_short_or_weak_secret_key(tmp_path, key):
    done = _run(["-c", "import plumbline.settings"], tmp_path, SECRET_KEY=key)

    assert done.returncode == 1
    assert "refuses a weak SECRET_KEY" in done.stderr


def test_production_refuses_the_development_secret_key(tmp_path):
    done = _run(["-c", "import plumbline.settings"], tmp_path,
                SECRET_KEY="plumbline-development-secret-do-not-use-in-production")

    assert "refuses the development SECRET_KEY" in done.stderr


def test_production_redirects_to_https_and_sends_hsts(tmp_path):
    got = _settings(tmp_path, ["SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS",
                               "SECURE_PROXY_SSL_HEADER", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE"])

    assert got == {"SECURE_SSL_REDIRECT": True, "SECURE_HSTS_SECONDS": 31_536_000,
                   "SECURE_HSTS_INCLUDE_SUBDOMAINS": True, "SECURE_PROXY_SSL_HEADER": None,
                   "SESSION_COOKIE_SECURE": True, "CSRF_COOKIE_SECURE": True}


def test_requests_in_production_are_redirected_and_secure_ones_carry_hsts(tmp_path):
    code = ("import django; django.setup(); from django.test import Client; c = Client();"
            "r = c.get('/login/'); print(r.status_code, r['Location']);"
            "r = c.get('/login/', secure=True); print(r.status_code, r['Strict-Transport-Security']);"
            "r = c.get('/login/', HTTP_X_FORWARDED_PROTO='https'); print(r.status_code)")

    plain = _run(["-c", code], tmp_path).stdout.splitlines()[-3:]
    proxied = _run(["-c", code], tmp_path, BEHIND_TLS_PROXY="true").stdout.splitlines()[-1]

    assert plain == ["301 https://testserver/login/", "200 max-age=31536000; includeSubDomains", "301"]
    assert proxied == "200"  # behind a TLS proxy, its X-Forwarded-Proto is trusted


def test_development_mode_does_not_redirect(tmp_path):
    got = _settings(tmp_path, ["SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS"], PLUMBLINE_ENV="development")

    assert got == {"SECURE_SSL_REDIRECT": False, "SECURE_HSTS_SECONDS": 0}


def test_check_deploy_is_clean_in_production(tmp_path):
    done = _run(["-m", "plumbline.cli", "check", "--deploy", "--fail-level", "WARNING"], tmp_path,
                EMAIL_URL="smtp://mail.example.com:587")

    assert done.returncode == 0, done.stderr
    assert "System check identified no issues" in done.stdout


def test_production_without_email_url_drops_mail_instead_of_logging_it_and_says_so(tmp_path):
    code = ("import django; django.setup(); from django.core.mail import send_mail;"
            "send_mail('Lead for you', 'Ann Example <ann@example.com> is waiting', 'a@x.test', ['rep@x.test'])")

    done = _run(["-c", code], tmp_path)

    assert done.returncode == 0, done.stderr
    assert "ann@example.com" not in done.stdout + done.stderr
    assert "EMAIL_URL is not set: notification emails are not sent" in done.stderr


def test_development_without_email_url_writes_mail_to_files_in_var_mail(tmp_path):
    got = _settings(tmp_path, ["EMAIL_BACKEND", "EMAIL_FILE_PATH"], PLUMBLINE_ENV="development")

    assert got["EMAIL_BACKEND"] == "django.core.mail.backends.filebased.EmailBackend"
    assert got["EMAIL_FILE_PATH"].endswith("/mail")


def test_email_url_reads_tls_options_from_its_query():
    from plumbline.core.env import email_settings

    got = email_settings("smtp://u%40x:p@mail.example.org:587?tls=true&timeout=7")

    assert (got["EMAIL_HOST"], got["EMAIL_PORT"], got["EMAIL_HOST_USER"], got["EMAIL_USE_TLS"],
            got["EMAIL_USE_SSL"], got["EMAIL_TIMEOUT"]) == ("mail.example.org", 587, "u@x", True, False, 7)
