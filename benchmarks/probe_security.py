"""Repeat an attacker's requests against a running site and print what it answered.

Point it at a site served the production way (gunicorn, DEBUG off, PostgreSQL and Redis)
with a member's password and an API token, and it measures, over real HTTP:

- ``headers``: the security headers of a page and of ``/api/v1/me/profile``;
- ``malformed``: deep JSON, NUL bytes, long URLs: every status (a 5xx is a failure);
- ``big-body``: a 40 MB JSON body: the status, how much was sent before the server
  answered and closed, and how long it took;
- ``spoof``: anonymous requests, each with a random ``X-Forwarded-For``: how many pass;
- ``pages``: bursts of deck posts and search suggestions;
- ``guess``: wrong passwords on the login pages, then the right one;
- ``parallel``: many clients at once with one token: how many pass, against the limit;
- ``bad-tokens``: invalid API tokens in a row.

The probe uses only the standard library. Example::

    python -m benchmarks.probe_security --url http://127.0.0.1:8000 \\
        --user probe --password 'probe pass 42' --token "$TOKEN" --admin root
"""

from __future__ import annotations

import argparse
import http.client
import http.cookiejar
import json
import random
import re
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _call(opener, url, data=None, headers=None, method=None, timeout=60):
    if not url.startswith(("http://", "https://")):
        raise ValueError(f"not an http(s) URL: {url}")
    request = urllib.request.Request(url, data=data, headers=headers or {}, method=method)  # noqa: S310
    try:
        with opener.open(request, timeout=timeout) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def _session():
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), _NoRedirect())
    return opener, jar


def _csrf(opener, url):
    _, _, body = _call(opener, url)
    found = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body)
    return found.group(1).decode() if found else ""


def spoof(base, n=300):
    opener, _ = _session()
    counts = Counter()
    for _ in range(n):
        fake = ".".join(str(random.randint(1, 254)) for _ in range(4))  # noqa: S311
        status, _, _ = _call(
            opener, f"{base}/api/v1/works/autocomplete?q=be", headers={"X-Forwarded-For": fake}
        )
        counts[status] += 1
    plain = Counter(_call(opener, f"{base}/api/v1/works/autocomplete?q=be")[0] for _ in range(n))
    return {"spoofed_xff": dict(counts), "without_xff_after": dict(plain)}


def parallel(base, token, clients=16, total=1500):
    opener, _ = _session()
    headers = {"Authorization": f"Token {token}"}

    def one(_):
        return _call(opener, f"{base}/api/v1/works/autocomplete?q=be", headers=headers)[0]

    start = time.monotonic()
    with ThreadPoolExecutor(clients) as pool:
        statuses = Counter(pool.map(one, range(total)))
    return {"clients": clients, "seconds": round(time.monotonic() - start, 1), **statuses}


def guess(base, user, password, admin):
    out = {}
    for name, path, username, n in (
        ("login", "/accounts/login/", user, 40),
        ("admin", "/admin/login/", admin, 20),
    ):
        opener, _ = _session()
        token = _csrf(opener, base + path)
        statuses = Counter()
        for i in range(n):
            body = urllib.parse.urlencode(
                {"username": username, "password": f"wrong {i}", "csrfmiddlewaretoken": token}
            ).encode()
            status, _, _ = _call(opener, base + path, data=body, headers={"Referer": base + path})
            statuses[status] += 1
        right = password if name == "login" else None
        if right:
            body = urllib.parse.urlencode(
                {"username": username, "password": right, "csrfmiddlewaretoken": token}
            ).encode()
            status, _, page = _call(opener, base + path, data=body, headers={"Referer": base})
            statuses[f"right password: {status}"] += 1
        out[name] = dict(statuses)
    return out


def bad_tokens(base, n=60):
    opener, _ = _session()
    return dict(
        Counter(
            _call(
                opener,
                f"{base}/api/v1/me/profile",
                headers={"Authorization": f"Token wrong{random.random()}"},  # noqa: S311
            )[0]
            for _ in range(n)
        )
    )


def malformed(base, token):
    opener, _ = _session()
    auth = {"Authorization": f"Token {token}", "Content-Type": "application/json"}
    deep = b"[" * 100_000 + b"]" * 100_000
    out = {
        "deep JSON PUT": _call(
            opener, f"{base}/api/v1/me/ratings/1", data=deep, headers=auth, method="PUT"
        )[0],
        "deep JSON bulk": _call(
            opener, f"{base}/api/v1/me/ratings/bulk", data=deep, headers=auth, method="POST"
        )[0],
        "NUL in suggest category": _call(opener, f"{base}/search/suggest/?q=be&category=%00")[0],
        "NUL in /u/": _call(opener, f"{base}/u/a%00b/")[0],
        "NUL in work list q": _call(opener, f"{base}/anime/?q=%00")[0],
        "5 KB URL": _raw_status(base, "/api/v1/works?q=" + "a" * 5000),
        "5 KB URL (page)": _raw_status(base, "/anime/?q=" + "a" * 5000),
        "9 KB URL": _raw_status(base, "/api/v1/works?q=" + "a" * 9000),
    }
    return out


def _raw_status(base, path):
    parsed = urllib.parse.urlsplit(base)
    conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=30)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        kind = response.getheader("Content-Type", "")
        response.read()
        return f"{response.status} {kind}"
    finally:
        conn.close()


def big_body(base, token, megabytes=40):
    parsed = urllib.parse.urlsplit(base)
    size = megabytes * 1024 * 1024
    start = time.monotonic()
    sock = socket.create_connection((parsed.hostname, parsed.port), timeout=60)
    head = (
        f"PUT /api/v1/me/ratings/1 HTTP/1.1\r\nHost: {parsed.hostname}\r\n"
        f"Authorization: Token {token}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {size}\r\nConnection: close\r\n\r\n"
    ).encode()
    sock.sendall(head)
    chunk = b'{"choice": "' + b"a" * (1 << 20)
    sent = 0
    try:
        while sent < size:
            piece = chunk[: min(len(chunk), size - sent)]
            sock.sendall(piece)
            sent += len(piece)
    except OSError:
        pass  # the server answered and closed early: what we want
    answer = b""
    try:
        while True:
            data = sock.recv(65536)
            if not data:
                break
            answer += data
    except OSError:
        pass
    sock.close()
    status = answer.split(b"\r\n", 1)[0].decode(errors="replace")
    return {
        "status": status,
        "sent_mb": round(sent / 2**20, 1),
        "seconds": round(time.monotonic() - start, 2),
    }


def pages(base, n=300):
    opener, jar = _session()
    _, _, body = _call(opener, f"{base}/deck/anime/")
    token = next((c.value for c in jar if c.name == "csrftoken"), "")
    work = re.search(rb'name="work" value="(\d+)"', body)
    work_id = work.group(1).decode() if work else "1"
    decks = Counter()
    start = time.monotonic()
    for _ in range(n):
        data = urllib.parse.urlencode(
            {"work": work_id, "choice": "like", "csrfmiddlewaretoken": token}
        ).encode()
        decks[
            _call(
                opener,
                f"{base}/deck/anime/rate/",
                data=data,
                headers={"Accept": "application/json", "Referer": base + "/"},
            )[0]
        ] += 1
    deck_seconds = round(time.monotonic() - start, 1)
    other, _ = _session()
    suggest = Counter(_call(other, f"{base}/search/suggest/?q=be")[0] for _ in range(n))
    return {"deck_posts": dict(decks), "deck_seconds": deck_seconds, "suggest": dict(suggest)}


def headers(base, token):
    opener, _ = _session()
    _, page, _ = _call(opener, base + "/")
    auth = {"Authorization": f"Token {token}"}
    _, me, _ = _call(opener, base + "/api/v1/me/profile", headers=auth)
    wanted = (
        "Content-Security-Policy",
        "Strict-Transport-Security",
        "X-Content-Type-Options",
        "X-Frame-Options",
        "Referrer-Policy",
        "Cross-Origin-Opener-Policy",
    )
    return {
        "page": {k: page.get(k) for k in wanted},
        "api_me_cache_control": me.get("Cache-Control"),
    }


# In this order: the token's own budget is spent by "parallel", and "bad-tokens" makes the
# probe's address refuse tokens for a while, so what uses the token runs first.
PROBES = {
    "headers": lambda a: headers(a.url, a.token),
    "malformed": lambda a: malformed(a.url, a.token),
    "big-body": lambda a: big_body(a.url, a.token),
    "spoof": lambda a: spoof(a.url),
    "pages": lambda a: pages(a.url),
    "guess": lambda a: guess(a.url, a.user, a.password, a.admin),
    "parallel": lambda a: parallel(a.url, a.token),
    "bad-tokens": lambda a: bad_tokens(a.url),
}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--user", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--admin", required=True, help="a staff username for /admin/login/")
    parser.add_argument("--token", required=True)
    parser.add_argument("probes", nargs="*", help=f"some of: {', '.join(PROBES)} (default: all)")
    args = parser.parse_args(argv)
    unknown = set(args.probes) - set(PROBES)
    if unknown:
        parser.error(f"unknown probes: {', '.join(sorted(unknown))}")
    for name in args.probes or list(PROBES):
        print(name, json.dumps(PROBES[name](args)), flush=True)


if __name__ == "__main__":
    main()
