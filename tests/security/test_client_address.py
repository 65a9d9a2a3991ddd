"""Limits count the address the request came from: a client writing a new X-Forwarded-For
on each request does not get a new budget; only declared proxies are believed."""

import random

import pytest
from django.test import RequestFactory

from mangaki.security.addresses import address_bucket, client_address

pytestmark = pytest.mark.django_db


def _spoofed() -> str:
    return ".".join(str(random.randint(1, 254)) for _ in range(4))


def test_a_new_x_forwarded_for_on_each_request_does_not_reset_the_limit(client, anime):
    # The shipped anonymous rate is 60/minute: the 61st request is refused, whatever
    # address the client claims to come from.
    statuses = [
        client.get("/api/v1/works/autocomplete?q=be", HTTP_X_FORWARDED_FOR=_spoofed()).status_code
        for _ in range(70)
    ]
    assert statuses[:60] == [200] * 60
    assert statuses[60:] == [429] * 10


def test_behind_one_trusted_proxy_the_address_it_saw_counts(client, settings, anime):
    settings.TRUSTED_PROXIES = 1
    first = {"HTTP_X_FORWARDED_FOR": "6.6.6.6, 203.0.113.7", "REMOTE_ADDR": "10.0.0.2"}
    for _ in range(60):
        assert client.get("/api/v1/works/autocomplete?q=be", **first).status_code == 200
    # The same client, inventing another leftmost address: still the same budget...
    spoofed = {"HTTP_X_FORWARDED_FOR": "7.7.7.7, 203.0.113.7", "REMOTE_ADDR": "10.0.0.2"}
    assert client.get("/api/v1/works/autocomplete?q=be", **spoofed).status_code == 429
    # ...while another client behind the same proxy has its own.
    other = {"HTTP_X_FORWARDED_FOR": "198.51.100.9", "REMOTE_ADDR": "10.0.0.2"}
    assert client.get("/api/v1/works/autocomplete?q=be", **other).status_code == 200


@pytest.mark.parametrize(
    ("forwarded", "proxies", "expected"),
    [
        ("1.1.1.1", 0, "10.0.0.2"),  # reached directly: the header is not believed
        ("1.1.1.1", 1, "1.1.1.1"),
        ("9.9.9.9, 1.1.1.1", 1, "1.1.1.1"),  # the client wrote 9.9.9.9 itself
        ("9.9.9.9, 1.1.1.1, 172.16.0.1", 2, "1.1.1.1"),
        ("", 1, "10.0.0.2"),  # a proxy that sent no header: its own address
        ("not-an-address", 1, "10.0.0.2"),
    ],
)
def test_only_trusted_proxies_are_believed(forwarded, proxies, expected):
    request = RequestFactory().get("/", HTTP_X_FORWARDED_FOR=forwarded, REMOTE_ADDR="10.0.0.2")
    assert client_address(request, trusted_proxies=proxies) == expected


def test_an_ipv6_client_is_counted_by_its_64_network():
    assert address_bucket("2001:db8:aa:bb:1::1") == address_bucket("2001:db8:aa:bb:ffff::2")
    assert address_bucket("2001:db8:aa:bc::1") != address_bucket("2001:db8:aa:bb::1")
    assert address_bucket("::ffff:192.0.2.1") == "192.0.2.1"
