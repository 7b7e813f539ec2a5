"""The SSRF guard: which addresses a webhook may never reach, and how a target is checked."""

from __future__ import annotations

import pytest

from plumbline.webhooks import guard


@pytest.mark.parametrize(("address", "reason"), [
    ("127.0.0.1", "is a loopback address"),
    ("::1", "is a loopback address"),
    ("10.1.2.3", "is a private address"),
    ("172.16.0.1", "is a private address"),
    ("192.168.1.1", "is a private address"),
    ("169.254.169.254", "is a cloud metadata address"),
    ("fd00:ec2::254", "is a cloud metadata address"),
    ("100.100.100.200", "is a cloud metadata address"),
    ("169.254.1.1", "is a link-local address"),
    ("fe80::1", "is a link-local address"),
    ("224.0.0.1", "is a multicast address"),
    ("ff02::1", "is a multicast address"),
    ("0.0.0.0", "is a private address"),
    ("100.64.0.1", "is a reserved address"),
    ("240.0.0.1", "is a private address"),
    ("fc00::1", "is a private address"),
    ("::ffff:127.0.0.1", "is a loopback address"),
    ("::ffff:10.0.0.1", "is a private address"),
    ("64:ff9b::a9fe:a9fe", "is a cloud metadata address"),
    ("2002:7f00:1::", "is a loopback address"),
])
def test_internal_addresses_are_blocked_with_the_reason(address, reason):
    assert guard.why_blocked(address) == reason


@pytest.mark.parametrize("address", ["93.184.215.14", "8.8.8.8", "2606:4700::1111"])
def test_public_addresses_pass(address):
    assert guard.why_blocked(address) is None


def test_a_name_resolving_inside_is_refused_on_the_url_field(dns):
    # given a name that resolves to one public and one private address
    dns["mixed.example.com"] = ["93.184.215.14", "10.0.0.7"]
    # when the URL is checked, then any inside address refuses it, naming the field
    with pytest.raises(guard.UnsafeTarget) as refused:
        guard.check_url("https://mixed.example.com/hook", field="url")
    assert (refused.value.field, refused.value.code, refused.value.status) == ("url", "unsafe_target", 422)
    assert "10.0.0.7, which is a private address" in refused.value.message


@pytest.mark.parametrize("url", [
    "ftp://hooks.example.com/x", "file:///etc/passwd", "gopher://hooks.example.com",
    "https://user:pw@hooks.example.com/", "https:///nohost", "http://hooks.example.com:0/",
])
def test_only_plain_http_and_https_urls_are_taken(dns, url):
    with pytest.raises(guard.UnsafeTarget) as refused:
        guard.check_url(url)
    assert (refused.value.field, refused.value.code) == ("url", "invalid")


def test_a_name_that_does_not_resolve_yet_is_accepted_and_checked_again_at_send_time(dns):
    guard.check_url("https://not-yet.example.com/hook")
    with pytest.raises(OSError):
        guard.target("https://not-yet.example.com/hook")


def test_an_allowed_host_may_resolve_inside(dns, settings):
    settings.WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1", "Receiver.internal"]
    dns["receiver.internal"] = ["10.0.0.9"]
    guard.check_url("http://127.0.0.1:8080/hook")
    assert guard.target("http://receiver.internal/hook?a=1").addresses == ("10.0.0.9",)
    with pytest.raises(guard.UnsafeTarget):
        guard.check_url("http://127.0.0.2:8080/hook")


def test_the_target_keeps_the_vetted_addresses_path_and_port(dns):
    target = guard.target("https://hooks.example.com:8443/in?x=1")
    assert target == guard.Target(scheme="https", host="hooks.example.com", port=8443, path="/in?x=1",
                                  addresses=("93.184.215.14",))
