"""One HTTP POST of a signed message to a vetted target: Standard Webhooks headers, connect to the checked address
(never a second DNS lookup), no redirects, a 5 s connect and 10 s total timeout, at most 64 KiB of the answer read."""

from __future__ import annotations

import datetime as dt
import http.client
import socket
import ssl
import threading
import time
from dataclasses import dataclass

from standardwebhooks import Webhook

from plumbline.webhooks import guard

CONNECT_TIMEOUT = 5.0
TOTAL_TIMEOUT = 10.0
MAX_RESPONSE_BYTES = 64 * 1024
USER_AGENT = "Plumbline-Webhooks/1"


@dataclass(frozen=True)
class Outcome:
    """What one attempt got: the response status (None when there was no answer) and what went wrong."""

    status: int | None
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def signed_headers(*, secret: str, message_id: str, body: str, now: dt.datetime) -> dict[str, str]:
    signature = Webhook(secret).sign(msg_id=message_id, timestamp=now, data=body)
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": signature,
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
    }


def tls_context() -> ssl.SSLContext:
    """The system's trusted CAs, with the certificate checked against the host name (tests trust their own CA)."""
    return ssl.create_default_context()


class _PinnedHTTP(http.client.HTTPConnection):
    """Connects to the vetted address while the request names the host (Host header)."""

    def __init__(self, host: str, port: int, address: str) -> None:
        super().__init__(host, port, timeout=CONNECT_TIMEOUT)
        self.address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self.address, self.port), timeout=CONNECT_TIMEOUT)


class _PinnedHTTPS(http.client.HTTPSConnection):
    """The same over TLS: the certificate is checked against the host name (SNI too), the socket goes to the
    vetted address."""

    def __init__(self, host: str, port: int, address: str) -> None:
        super().__init__(host, port, timeout=CONNECT_TIMEOUT, context=tls_context())
        self.address = address

    def connect(self) -> None:
        sock = socket.create_connection((self.address, self.port), timeout=CONNECT_TIMEOUT)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def _read_capped(response: http.client.HTTPResponse, deadline: float) -> None:
    """Read (and drop) at most MAX_RESPONSE_BYTES of the answer, within the total timeout."""
    left = MAX_RESPONSE_BYTES
    while left > 0 and time.monotonic() < deadline:
        chunk = response.read(min(left, 8192))
        if not chunk:
            return
        left -= len(chunk)


def post(target: guard.Target, body: str, headers: dict[str, str]) -> Outcome:
    """POST `body` to the first of the target's vetted addresses that accepts a connection."""
    deadline = time.monotonic() + TOTAL_TIMEOUT
    last_error = "no address to connect to"
    for address in target.addresses:
        kind = _PinnedHTTPS if target.scheme == "https" else _PinnedHTTP
        conn = kind(target.host, target.port, address)
        try:
            try:
                conn.connect()
            except OSError as exc:
                last_error = f"cannot connect: {_describe(exc)}"
                continue
            left = max(0.1, deadline - time.monotonic())
            conn.sock.settimeout(left)
            # A hard stop at the total timeout: a receiver that drips its answer a byte at a time would otherwise
            # keep each read under the socket timeout for ever.
            watchdog = threading.Timer(left, _cut, (conn.sock,))
            watchdog.start()
            try:
                outcome = _exchange(conn, target, body, headers, deadline)
            finally:
                watchdog.cancel()
            if outcome.status is None and time.monotonic() >= deadline:
                return Outcome(None, "no answer: timed out")
            return outcome
        finally:
            conn.close()
    return Outcome(None, last_error)


def _cut(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


def _exchange(conn: http.client.HTTPConnection, target: guard.Target, body: str, headers: dict[str, str],
              deadline: float) -> Outcome:
    try:
        conn.request("POST", target.path, body=body.encode(), headers=headers)
        response = conn.getresponse()
        _read_capped(response, deadline)
    except (OSError, http.client.HTTPException) as exc:
        return Outcome(None, f"no answer: {_describe(exc)}")
    if 300 <= response.status < 400:
        return Outcome(response.status, f"answered {response.status}: redirects are not followed")
    if not 200 <= response.status < 300:
        return Outcome(response.status, f"answered {response.status} {response.reason}"[:200])
    return Outcome(response.status)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError | socket.timeout):
        return "timed out"
    return (str(exc) or type(exc).__name__)[:200]
