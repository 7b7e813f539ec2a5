"""Tiny typed helpers for reading settings from the environment."""

from __future__ import annotations

import os
from urllib.parse import parse_qs, unquote, urlparse


def envstr(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def envbool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def envint(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return int(value)


def envlist(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def public_base_url(host: str, port: int) -> str:
    """Where people reach the server bound to host:port; a wildcard bind is reached on this machine as 127.0.0.1."""
    if host in {"", "0.0.0.0", "::", "[::]"}:
        host = "127.0.0.1"
    elif ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"http://{host}:{port}"


def email_settings(url: str, mail_dir: object = None) -> dict[str, object]:
    """Turn EMAIL_URL into Django settings: smtp://user:pass@host:port (plain, or STARTTLS with `?tls=true`),
    smtp+tls://... (STARTTLS), smtps://... (TLS from the start, or `?ssl=true`), with `?timeout=S`; console:,
    memory:, or file: (one file per email in `mail_dir`). Unset, mail goes to files in `mail_dir` when one is
    given (development: var/mail/), else to the console."""
    if url == "" and mail_dir is not None:
        url = "file:"
    if url in {"", "console:", "console://"}:
        return {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}
    if url in {"memory:", "locmem:", "memory://"}:
        return {"EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend"}
    if url in {"file:", "file://"}:
        return {"EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend", "EMAIL_FILE_PATH": str(mail_dir)}
    parsed = urlparse(url)
    if parsed.scheme not in {"smtp", "smtp+tls", "smtps"}:
        raise ValueError(f"EMAIL_URL: unsupported scheme {parsed.scheme!r} (use smtp, smtp+tls, smtps)")
    options = {key: values[-1] for key, values in parse_qs(parsed.query).items()}
    yes = {"1", "true", "yes", "on"}
    settings: dict[str, object] = {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": parsed.hostname or "localhost",
        "EMAIL_PORT": parsed.port or (465 if parsed.scheme == "smtps" else 25),
        "EMAIL_HOST_USER": unquote(parsed.username or ""),
        "EMAIL_HOST_PASSWORD": unquote(parsed.password or ""),
        "EMAIL_USE_TLS": parsed.scheme == "smtp+tls" or options.get("tls", "").lower() in yes,
        "EMAIL_USE_SSL": parsed.scheme == "smtps" or options.get("ssl", "").lower() in yes,
    }
    if options.get("timeout"):
        settings["EMAIL_TIMEOUT"] = int(options["timeout"])
    return settings
