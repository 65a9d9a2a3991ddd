"""The address a request comes from, which limits and lockouts count by.

``X-Forwarded-For`` is written by whoever sends the request, so it is believed only as far
as the proxies the operator declared (``TRUSTED_PROXIES``, 0 by default: the site is
reached directly and only the socket's address counts). With N trusted proxies, each one
appended the address it saw, so the client is the N-th address from the right of the
chain ``X-Forwarded-For + [REMOTE_ADDR]``; anything further left may be invented.

Example::

    >>> from types import SimpleNamespace as R
    >>> request = R(META={"REMOTE_ADDR": "10.0.0.2", "HTTP_X_FORWARDED_FOR": "6.6.6.6, 1.2.3.4"})
    >>> client_address(request, trusted_proxies=0), client_address(request, trusted_proxies=1)
    ('10.0.0.2', '1.2.3.4')
    >>> address_bucket("2001:db8:1:2:3:4:5:6"), address_bucket("1.2.3.4")
    ('2001:db8:1:2::/64', '1.2.3.4')
"""

from __future__ import annotations

import ipaddress

from django.conf import settings


def _valid(text: str) -> str | None:
    try:
        return str(ipaddress.ip_address(text.strip()))
    except ValueError:
        return None


def client_address(request, trusted_proxies: int | None = None) -> str:
    """The client's IP address as text ('' when the server gave none)."""
    if trusted_proxies is None:
        trusted_proxies = settings.TRUSTED_PROXIES
    remote = _valid(request.META.get("REMOTE_ADDR", "")) or ""
    if trusted_proxies <= 0:
        return remote
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    chain = [part.strip() for part in forwarded.split(",") if part.strip()] + [remote]
    # chain[-1] is the nearest proxy; each trusted proxy added the hop before it.
    index = max(len(chain) - 1 - trusted_proxies, 0)
    return _valid(chain[index]) or remote


def address_bucket(address: str) -> str:
    """What limits count by: the IPv4 address, or the /64 network of an IPv6 address (one
    subscriber usually holds a whole /64 and could otherwise change address at will)."""
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return "unknown"
    if parsed.version == 6:
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False))
    return str(parsed)


def request_bucket(request) -> str:
    """``address_bucket`` of the request's client."""
    return address_bucket(client_address(request))
