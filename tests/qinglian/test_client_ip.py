"""The client's address used by rate limits, the audit log and check-in device flags."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from qinglian.http import client_ip


def request(remote: str, forwarded: str | None = None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


def test_without_trusted_proxies_the_peer_is_the_client_and_the_header_is_ignored(settings):
    settings.QINGLIAN_TRUSTED_PROXIES = []
    assert client_ip(request("203.0.113.9", "198.51.100.1")) == "203.0.113.9"


@pytest.mark.parametrize(
    ("remote", "expected"),
    [("::ffff:10.0.0.7", "10.0.0.7"), ("2001:db8:0:0::1", "2001:db8::1"), ("garbage", None)],
)
def test_addresses_are_normalised(settings, remote, expected):
    settings.QINGLIAN_TRUSTED_PROXIES = []
    assert client_ip(request(remote)) == expected


def test_behind_a_trusted_proxy_the_right_most_untrusted_forwarded_address_counts(settings):
    settings.QINGLIAN_TRUSTED_PROXIES = ["10.0.0.0/8"]
    # The client forged the first entry; the proxy appended the real one.
    assert client_ip(request("10.0.0.2", "1.2.3.4, 198.51.100.20")) == "198.51.100.20"
    # Two proxies in a row.
    assert client_ip(request("10.0.0.2", "198.51.100.20, 10.0.0.3")) == "198.51.100.20"


def test_a_peer_that_is_not_a_trusted_proxy_cannot_choose_its_address(settings):
    settings.QINGLIAN_TRUSTED_PROXIES = ["10.0.0.0/8"]
    assert client_ip(request("203.0.113.9", "10.0.0.5, 1.2.3.4")) == "203.0.113.9"


def test_a_trusted_proxy_without_a_usable_header_gives_its_own_address(settings):
    settings.QINGLIAN_TRUSTED_PROXIES = ["10.0.0.2"]
    assert client_ip(request("10.0.0.2")) == "10.0.0.2"
    assert client_ip(request("10.0.0.2", "not-an-ip")) == "10.0.0.2"
