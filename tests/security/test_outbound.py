"""The poster fetcher cannot be pointed at the server's own network: loopback, private,
link-local and the like are refused before connecting and at every redirect, in every
spelling of the address; only http(s) on the web's ports. Catalogue imports keep only
plain http(s) poster URLs, and nothing else reaches a page or the API."""

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from mangaki.catalog_import import import_catalog
from mangaki.models import Work
from mangaki.security.outbound import BlockedURL, OutboundPolicy, check_url, is_internal
from mangaki.services.posters import FetchPolicy, fetch_poster
from tests.factories import WorkFactory

FAST = FetchPolicy(timeout=2, retries=0, host_delay=0.0)


class _Recorder(BaseHTTPRequestHandler):
    hits: list[str] = []
    redirect_to = ""

    def log_message(self, *args):
        return

    def do_GET(self):  # noqa: N802 (http.server's API)
        _Recorder.hits.append(self.path)
        if self.path == "/redirect" and _Recorder.redirect_to:
            self.send_response(302)
            self.send_header("Location", _Recorder.redirect_to)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.end_headers()


@pytest.fixture
def internal_server():
    """A server on the loopback, standing for Redis, the admin or a metadata service."""
    _Recorder.hits = []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield httpd.server_address[1]
    httpd.shutdown()
    httpd.server_close()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "template",
    [
        "http://127.0.0.1:{port}/p.png",
        "http://[::ffff:127.0.0.1]:{port}/p.png",
        "http://2130706433:{port}/p.png",
        "http://0x7f.1:{port}/p.png",
        "http://localhost:{port}/p.png",
        "http://0.0.0.0:{port}/p.png",
    ],
)
def test_loopback_in_any_spelling_is_never_connected_to(internal_server, anime, template):
    work = WorkFactory(poster_url=template.format(port=internal_server))
    outcome = fetch_poster(work.pk, FAST)
    assert outcome.startswith("error: refused:")
    assert _Recorder.hits == []


@pytest.mark.django_db
def test_a_redirect_to_an_internal_address_is_not_followed(internal_server, anime, settings):
    # The first server is allowed (an operator's mirror), its redirect target is not.
    settings.POSTER_FETCH_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    settings.POSTER_FETCH_ALLOWED_PORTS = [internal_server]
    _Recorder.redirect_to = "http://[::1]:6379/"
    work = WorkFactory(poster_url=f"http://127.0.0.1:{internal_server}/redirect")
    outcome = fetch_poster(work.pk, FAST)
    assert outcome.startswith("error: refused:"), outcome
    assert _Recorder.hits == ["/redirect"]


@pytest.mark.django_db
def test_redis_port_is_refused_even_when_its_host_is_allowed(settings, anime):
    settings.POSTER_FETCH_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    work = WorkFactory(poster_url="http://127.0.0.1:6379/")
    assert fetch_poster(work.pk, FAST).startswith("error: refused: the port 6379")


@pytest.mark.parametrize(
    ("address", "internal"),
    [
        ("93.184.216.34", False),
        ("2606:4700::6810:85e5", False),
        ("10.1.2.3", True),
        ("172.16.0.1", True),
        ("192.168.1.1", True),
        ("169.254.169.254", True),  # cloud metadata
        ("100.64.0.1", True),  # carrier-grade NAT
        ("224.0.0.1", True),
        ("::1", True),
        ("fe80::1", True),
        ("fc00::1", True),
        ("::ffff:10.0.0.1", True),
        ("2002:7f00:1::1", True),  # 6to4 wrapping 127.0.0.1
    ],
)
def test_internal_addresses(address, internal):
    assert is_internal(address) is internal


def test_a_name_resolving_to_one_internal_address_among_public_ones_is_refused(monkeypatch):
    def resolve(host, port, *args, **kwargs):
        return [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", port)),
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.5", port)),
        ]

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    with pytest.raises(BlockedURL, match="10.0.0.5"):
        check_url("https://posters.example.org/p.jpg", OutboundPolicy())
    for url in ("ftp://posters.example.org/p.jpg", "file:///etc/passwd", "gopher://x/"):
        with pytest.raises(BlockedURL, match="scheme"):
            check_url(url, OutboundPolicy())


@pytest.mark.django_db
def test_catalogue_imports_keep_only_plain_http_poster_urls(tmp_path, anime):
    bad = [
        "javascript:alert(1)",
        'https://x.org/a.jpg" onerror="alert(1)',
        "https://x.org/<script>.jpg",
        "data:image/png;base64,AAAA",
        "https://user:pass@x.org/a.jpg",
    ]
    entries = [
        {"title": f"Work {i}", "sources": [f"https://myanimelist.net/anime/{i + 1}"], "picture": p}
        for i, p in enumerate([*bad, "https://cdn.example.org/ok.jpg"])
    ]
    path = tmp_path / "manami.json"
    path.write_text(json.dumps({"data": entries}))
    report = import_catalog(path, "manami")
    assert report.created == len(entries)  # the works are imported, without the bad URLs
    assert len(report.problems) == len(bad)
    assert all("imported without it" in p.message for p in report.problems)
    urls = dict(Work.objects.values_list("title", "poster_url"))
    assert urls[f"Work {len(bad)}"] == "https://cdn.example.org/ok.jpg"
    assert [urls[f"Work {i}"] for i in range(len(bad))] == [""] * len(bad)


@pytest.mark.django_db
def test_an_unsafe_url_already_stored_never_reaches_the_api_or_a_page(client, anime):
    work = WorkFactory(title="Old row", poster_url='javascript:alert(1)//"><script>')
    assert client.get(f"/api/v1/works/{work.pk}").json()["poster"] is None
    page = client.get(work.get_absolute_url()).content.decode()
    assert (
        "javascript:" not in page and "<script>" not in page.split("<main")[1].split("</main>")[0]
    )
