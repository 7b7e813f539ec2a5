"""Webhook test helpers: a DNS of our own (names resolve to what a test says), a receiver on 127.0.0.1 that
records what it gets and answers the statuses a test lines up, and API clients."""

from __future__ import annotations

import ipaddress
import json
import os
import shutil
import ssl
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.db import connection
from django.test import Client

from plumbline.accounts.actions import do_create_api_token, do_create_user
from plumbline.webhooks import guard, sender
from tests.conftest import PASSWORD, ROLE_USERS
from tests.processes import database_env, processes  # noqa: F401 - fixtures

ROOT = Path(__file__).resolve().parents[2]
PUBLIC_IP = "93.184.215.14"  # a public address (documentation hosts resolve here in these tests)


@pytest.fixture
def dns(monkeypatch) -> dict[str, list[str]]:
    """Names the guard resolves: hooks.example.com is public unless a test changes it; unknown names fail."""
    table: dict[str, list[str]] = {"hooks.example.com": [PUBLIC_IP]}

    def resolve(host: str, port: int) -> list[str]:
        try:
            return [str(ipaddress.ip_address(host))]
        except ValueError:
            pass
        if host not in table:
            raise OSError(f"{host}: name not known")
        return table[host]

    monkeypatch.setattr(guard, "resolve", resolve)
    return table


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """A local HTTP server: `statuses` are answered in turn (200 once they run out); `received` is what came."""

    port: int
    statuses: list[int] = field(default_factory=list)
    headers: dict[int, dict[str, str]] = field(default_factory=dict)
    received: list[Received] = field(default_factory=list)
    on_request: Callable[[], None] | None = None  # called when a request has arrived, before it is answered

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/plumbline"


def _serve(tls: ssl.SSLContext | None = None) -> Iterator[Receiver]:
    state = Receiver(port=0)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's name)
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            state.received.append(Received(self.path, dict(self.headers.items()), body))
            if state.on_request is not None:
                state.on_request()
            status = state.statuses.pop(0) if state.statuses else 200
            payload = json.dumps({"status": status}).encode()
            try:
                self.send_response(status)
                for name, value in state.headers.get(status, {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except OSError:
                pass  # the sender is gone (a test killed it)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    yield from _serve()


@dataclass
class Certificate:
    cert: Path
    key: Path


def make_certificate(folder: Path, name: str) -> Certificate:
    """A self-signed certificate for `name` (openssl's command line)."""
    cert, key = folder / f"{name}.crt", folder / f"{name}.key"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-keyout", str(key),
                    "-out", str(cert), "-subj", f"/CN={name}", "-addext", f"subjectAltName=DNS:{name}"],
                   check=True, capture_output=True)
    return Certificate(cert, key)


@pytest.fixture
def tls_receiver(tmp_path, monkeypatch) -> Iterator[tuple[Receiver, Callable[[str], None]]]:
    """An HTTPS receiver on 127.0.0.1 and `serve_as(name)`, which gives it a certificate for `name` that the sender
    trusts. Needs openssl."""
    if shutil.which("openssl") is None:
        pytest.skip("needs the openssl command")
    server_tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)

    def serve_as(name: str) -> None:
        made = make_certificate(tmp_path, name)
        server_tls.load_cert_chain(made.cert, made.key)

        def trusting() -> ssl.SSLContext:
            context = ssl.create_default_context(cafile=str(made.cert))
            return context

        monkeypatch.setattr(sender, "tls_context", trusting)

    serve_as("receiver.test")
    yield from ((state, serve_as) for state in _serve(server_tls))


@pytest.fixture
def allow_local(settings) -> None:
    """WEBHOOK_ALLOWED_HOSTS=127.0.0.1, as an operator would set it for a receiver on the same machine."""
    settings.WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]


class Api:
    def __init__(self, token: str | None) -> None:
        self.client = Client()
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def call(self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None, **params: Any):
        kwargs: dict[str, Any] = {"headers": {**self.headers, **(headers or {})}}
        if method in ("get", "delete"):
            kwargs["data"] = params
        else:
            kwargs["data"] = json.dumps(body if body is not None else {})
            kwargs["content_type"] = "application/json"
        return getattr(self.client, method)("/api/v1" + path, **kwargs)


@pytest.fixture
def api(db):
    """api("admin").call("post", "/webhooks", {...}); each role's user is made on first use (hashing six passwords
    for every test would take most of its time)."""
    made: dict[str, str] = {}

    def for_user(who: str | None) -> Api:
        if who is None:
            return Api(None)
        if who not in made:
            user = do_create_user(username=who, password=PASSWORD, role=ROLE_USERS[who], email=f"{who}@plumbline.test",
                                  is_superuser=False)
            made[who] = do_create_api_token(user=user)[1]
        return Api(made[who])

    return for_user


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def page_client(db):
    """page_client("admin") is a signed-in browser of that role (the user made on first use)."""
    def make(who: str) -> Client:
        user = do_create_user(username=who, password=PASSWORD, role=ROLE_USERS[who], email=f"{who}@plumbline.test",
                              is_superuser=False)
        client = Client()
        client.force_login(user)
        return client

    return make


def database_url(tmp_path: Path) -> str:
    """For child processes: the test's own PostgreSQL database, or a fresh migrated SQLite file (the test one lives
    in memory)."""
    if connection.vendor == "postgresql":
        parts = urlsplit(os.environ["DATABASE_URL"])
        return urlunsplit(parts._replace(path="/" + connection.settings_dict["NAME"]))
    url = f"sqlite:///{tmp_path / 'webhooks.sqlite3'}"
    subprocess.run([sys.executable, "-m", "plumbline.cli", "migrate", "-v0"], cwd=ROOT, check=True,
                   env={**os.environ, "DATABASE_URL": url, "PYTHONPATH": str(ROOT)})
    return url
