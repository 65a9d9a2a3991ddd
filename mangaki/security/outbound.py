"""Fetch a URL from the server without being turned against the server's own network.

A poster URL comes from a catalogue file, that is from anyone. Left alone, the fetcher
would connect wherever it points: the loopback (``http://127.0.0.1:6379`` is Redis,
``http://2130706433/`` and ``http://[::ffff:127.0.0.1]/`` are the same loopback written
differently), the private network, a cloud's metadata service at 169.254.169.254, or a
public server answering ``302 Location: http://10.0.0.5/``. So, before connecting and at
every redirect:

- only http and https, on their default ports unless the operator allows others;
- the host name is resolved here, and every address it resolves to must be a public one:
  no loopback, private, link-local, shared, multicast, reserved or unspecified address,
  also when wrapped in IPv6 (IPv4-mapped, 6to4, Teredo);
- the connection goes to the address that was checked (no second DNS lookup an attacker's
  name server could answer differently), TLS still verifying the host name;
- at most ``max_redirects`` redirects, each checked like the first URL.

``POSTER_FETCH_ALLOWED_NETWORKS`` lets an operator reach an internal image mirror on
purpose; ``POSTER_FETCH_ALLOWED_PORTS`` adds ports.

Example::

    with open_url("https://cdn.example.org/p.jpg", timeout=10) as response:
        data = response.read(5_000_000)
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
from collections.abc import Iterable
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

from django.conf import settings

REDIRECTS = (301, 302, 303, 307, 308)
_DEFAULT_PORTS = {"http": 80, "https": 443}


class BlockedURL(ValueError):
    """A URL the server refuses to fetch; the message says why."""


@dataclass(frozen=True)
class OutboundPolicy:
    allowed_ports: frozenset[int] = frozenset({80, 443})
    allowed_networks: tuple = field(default_factory=tuple)  # ip_network objects
    max_redirects: int = 3

    @classmethod
    def from_settings(cls) -> OutboundPolicy:
        return cls(
            allowed_ports=frozenset({80, 443, *settings.POSTER_FETCH_ALLOWED_PORTS}),
            allowed_networks=tuple(
                ipaddress.ip_network(n, strict=False)
                for n in settings.POSTER_FETCH_ALLOWED_NETWORKS
            ),
        )


def _embedded(address) -> Iterable:
    """The address and the IPv4 addresses an IPv6 one carries (mapped, 6to4, Teredo)."""
    yield address
    if address.version == 6:
        for inner in (address.ipv4_mapped, address.sixtofour):
            if inner is not None:
                yield inner
        if address.teredo is not None:
            yield from address.teredo


def is_internal(address: str) -> bool:
    """Whether connecting to ``address`` could reach something not on the public internet.

    Example::

        >>> [is_internal(a) for a in ("8.8.8.8", "127.0.0.1", "::ffff:10.0.0.1", "224.0.0.1")]
        [False, True, True, True]
    """
    parsed = ipaddress.ip_address(address.split("%", 1)[0])
    return any(
        not a.is_global or a.is_multicast or a.is_reserved or a.is_unspecified
        for a in _embedded(parsed)
    )


def _check_address(address: str, policy: OutboundPolicy) -> None:
    parsed = ipaddress.ip_address(address.split("%", 1)[0])
    if any(parsed in network for network in policy.allowed_networks):
        return
    if is_internal(address):
        raise BlockedURL(f"the address {address} is not a public internet address")


def check_url(url: str, policy: OutboundPolicy) -> tuple[str, str, int, str]:
    """(scheme, host, port, address to connect to), or BlockedURL."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise BlockedURL("the URL is malformed") from None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        raise BlockedURL(f"the scheme {scheme or '(none)'!r} is not http or https")
    host = parts.hostname
    if not host:
        raise BlockedURL("the URL names no host")
    port = port or _DEFAULT_PORTS[scheme]
    if port not in policy.allowed_ports:
        raise BlockedURL(f"the port {port} is not allowed")
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise BlockedURL(f"the host {host!r} does not resolve ({error})") from None
    addresses = list(dict.fromkeys(info[4][0] for info in found))
    if not addresses:
        raise BlockedURL(f"the host {host!r} does not resolve")
    for address in addresses:  # all of them: a name may mix public and internal addresses
        _check_address(address, policy)
    return scheme, host, port, addresses[0]


def _connection(scheme: str, host: str, port: int, address: str, timeout: float):
    cls = http.client.HTTPSConnection if scheme == "https" else http.client.HTTPConnection
    kwargs = {"context": ssl.create_default_context()} if scheme == "https" else {}
    connection = cls(host, port, timeout=timeout, **kwargs)

    def pinned(_address, timeout=None, source_address=None):
        # The checked address, not a new lookup of ``host``; TLS still checks ``host``.
        return socket.create_connection((address, port), timeout, source_address)

    connection._create_connection = pinned
    return connection


@contextmanager
def open_url(
    url: str,
    *,
    timeout: float,
    headers: dict[str, str] | None = None,
    policy: OutboundPolicy | None = None,
):
    """GET ``url`` and yield the final ``http.client.HTTPResponse`` (any status; its
    ``url`` attribute is the address after redirects). Raises BlockedURL, or OSError and
    ``http.client.HTTPException`` on network failures."""
    policy = policy or OutboundPolicy.from_settings()
    for _hop in range(policy.max_redirects + 1):
        scheme, host, port, address = check_url(url, policy)
        connection = _connection(scheme, host, port, address, timeout)
        try:
            parts = urlsplit(url)
            target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
            connection.request("GET", target, headers=headers or {})
            response = connection.getresponse()
            location = response.getheader("Location")
            if response.status in REDIRECTS and location:
                response.close()
                url = urljoin(url, location.strip())
                continue
            response.url = url
            yield response
            return
        finally:
            connection.close()
    raise BlockedURL(f"more than {policy.max_redirects} redirects")
