"""Never a way into the internal network (SSRF): a webhook target must be http(s) and resolve only to public
addresses, unless its host is listed in WEBHOOK_ALLOWED_HOSTS.

The check runs when a subscription is saved and again before every send, after DNS: the sender then connects
to the very address it checked (`Target.addresses`), so a name that resolves to a public address when checked and
to 127.0.0.1 a moment later (DNS rebinding) cannot reach the internal one."""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

from django.conf import settings

from plumbline.core.errors import DomainError

IP = ipaddress.IPv4Address | ipaddress.IPv6Address

# Cloud metadata services, named although the ranges below already cover them, so the refusal says so.
METADATA = {
    ipaddress.ip_address("169.254.169.254"),  # AWS, GCP, Azure, OpenStack, DigitalOcean
    ipaddress.ip_address("fd00:ec2::254"),  # AWS over IPv6
    ipaddress.ip_address("100.100.100.200"),  # Alibaba Cloud
    ipaddress.ip_address("169.254.170.2"),  # AWS ECS task metadata
}
NAT64 = ipaddress.ip_network("64:ff9b::/96")
SIX_TO_FOUR = ipaddress.ip_network("2002::/16")


class UnsafeTarget(DomainError):
    """The target is refused: a scheme other than http(s), or an address inside the network."""

    status = 422

    def __init__(self, message: str, *, field: str = "url", code: str = "unsafe_target") -> None:
        super().__init__(message, field=field, code=code)


@dataclass(frozen=True)
class Target:
    """A checked target: where to connect (`addresses`, already vetted) and what to ask for."""

    scheme: str
    host: str
    port: int
    path: str
    addresses: tuple[str, ...]


def parse(url: str, *, field: str = "url") -> SplitResult:
    """The URL split, or a 422 naming `field` when it is not an http(s) URL with a host."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise UnsafeTarget("Enter a valid URL.", field=field, code="invalid") from None
    if parts.scheme not in ("http", "https"):
        raise UnsafeTarget("Only http and https URLs can receive webhooks.", field=field, code="invalid")
    if not parts.hostname:
        raise UnsafeTarget("The URL needs a host name.", field=field, code="invalid")
    if parts.username is not None or parts.password is not None:
        raise UnsafeTarget("Put no user name or password in the URL; verify the signature instead.", field=field,
                           code="invalid")
    if port == 0:
        raise UnsafeTarget("Port 0 cannot receive webhooks.", field=field, code="invalid")
    if any(ch.isspace() for ch in url) or "\x00" in url:
        raise UnsafeTarget("Enter a valid URL.", field=field, code="invalid")
    return parts


def allowed_hosts() -> set[str]:
    return {h.strip().lower().strip("[]") for h in getattr(settings, "WEBHOOK_ALLOWED_HOSTS", []) if h.strip()}


def resolve(host: str, port: int) -> list[str]:
    """Every address `host` resolves to (an IP literal resolves to itself). Tests replace this function."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(info[4][0] for info in infos))


def why_blocked(address: str) -> str | None:
    """Why this address must not be reached, or None for a public one."""
    try:
        ip: IP = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return "is not an IP address"
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or (ip.sixtofour if ip in SIX_TO_FOUR else None)
        if ip in NAT64:
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is not None:
            return why_blocked(str(embedded))
    if ip in METADATA:
        return "is a cloud metadata address"
    if ip.is_loopback:
        return "is a loopback address"
    if ip.is_link_local:
        return "is a link-local address"
    if ip.is_multicast:
        return "is a multicast address"
    if ip.is_private:
        return "is a private address"
    if ip.is_unspecified or ip.is_reserved or not ip.is_global:
        return "is a reserved address"
    return None


def _port(parts: SplitResult) -> int:
    return parts.port or (443 if parts.scheme == "https" else 80)


def check_addresses(host: str, addresses: list[str], *, field: str = "url") -> None:
    """Refuse when any address of the host is inside the network (unless the host is allowed explicitly)."""
    if host.lower() in allowed_hosts():
        return
    for address in addresses:
        reason = why_blocked(address)
        if reason is not None:
            raise UnsafeTarget(
                f"{host} resolves to {address}, which {reason}: webhooks only go to public addresses "
                f"(an operator may allow the host in WEBHOOK_ALLOWED_HOSTS).", field=field)


def check_url(url: str, *, field: str = "url") -> None:
    """The check when a subscription is saved: a well-formed http(s) URL whose host, if it resolves now, resolves
    only to public addresses. A name that does not resolve yet is accepted (DNS may follow); the send checks again."""
    parts = parse(url, field=field)
    host = parts.hostname or ""
    try:
        addresses = resolve(host, _port(parts))
    except (OSError, UnicodeError, ValueError):
        return
    check_addresses(host, addresses, field=field)


def target(url: str) -> Target:
    """The check before a send: resolve now, refuse any internal address, and return the vetted addresses the
    sender must connect to. Raises UnsafeTarget (refused) or OSError (the name does not resolve)."""
    parts = parse(url)
    host, port = parts.hostname or "", _port(parts)
    try:
        addresses = resolve(host, port)
    except (UnicodeError, ValueError) as exc:
        raise OSError(f"cannot resolve {host}") from exc
    if not addresses:
        raise OSError(f"{host} has no address")
    check_addresses(host, addresses)
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return Target(scheme=parts.scheme, host=host, port=port, path=path, addresses=tuple(addresses))
