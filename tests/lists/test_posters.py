"""Poster fetching against a local HTTP server: real posters and bad responses."""

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import StringIO

import pytest
from django.core.management import call_command

from benchmarks.shared_data import data_path
from mangaki.models import Work
from mangaki.services.posters import FetchPolicy, fetch_missing_posters, fetch_poster
from tests.drawn import drawn_poster
from tests.factories import WorkFactory

POSTERS = data_path("posters", "images")


def poster_bytes(name: str) -> bytes:
    """The real poster ``name`` with the shared data, else one drawn for its number."""
    if POSTERS.is_dir():
        return (POSTERS / name).read_bytes()
    return drawn_poster(int(name.split(".")[0]))


FAST = FetchPolicy(timeout=0.5, max_bytes=200_000, retries=2, backoff=0.01, host_delay=0.0)


class _Handler(BaseHTTPRequestHandler):
    hits: dict[str, int] = {}

    def log_message(self, *args):  # keep test output quiet
        return

    def _send(self, code, body=b"", kind="image/jpeg"):
        self.send_response(code)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):  # noqa: N802 (http.server's API)
        _Handler.hits[self.path] = _Handler.hits.get(self.path, 0) + 1
        name = self.path.rsplit("/", 1)[-1]
        if self.path.startswith("/posters/"):
            self._send(200, poster_bytes(name))
        elif self.path == "/missing.jpg":
            self._send(404, b"no", "text/plain")
        elif self.path == "/flaky.jpg":
            if _Handler.hits[self.path] == 1:
                self._send(500, b"oops", "text/plain")
            else:
                self._send(200, poster_bytes("10719.jpg"))
        elif self.path == "/broken.jpg":
            self._send(503, b"down", "text/plain")
        elif self.path == "/page.jpg":
            self._send(200, b"<html>hello</html>", "text/html")
        elif self.path == "/huge.jpg":
            self._send(200, b"\xff" * 300_000)
        elif self.path == "/garbage.jpg":
            self._send(200, b"this is not a jpeg at all" * 10)
        elif self.path == "/slow.jpg":
            time.sleep(1.5)
            self._send(200, poster_bytes("10719.jpg"))


@pytest.fixture
def server(settings):
    _Handler.hits = {}
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    # The fetcher refuses internal addresses unless the operator allows them: this local
    # server stands for an allowed image mirror.
    settings.POSTER_FETCH_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    settings.POSTER_FETCH_ALLOWED_PORTS = [httpd.server_address[1]]
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.mark.django_db
def test_real_posters_are_saved_and_queued_for_tagging(server, media, anime):
    ids = ["10719", "11061", "11757"]
    works = [WorkFactory(poster_url=f"{server}/posters/{i}.jpg") for i in ids]
    assert dict(fetch_missing_posters(policy=FAST)) == {"saved": 3}
    for work, mal in zip(works, ids, strict=True):
        work.refresh_from_db()
        assert (media / work.poster.name).read_bytes() == poster_bytes(f"{mal}.jpg")
        assert work.poster_status == "pending"  # the signal queued it for tagging
    # Idempotent: nothing left to fetch, nothing downloaded again.
    assert dict(fetch_missing_posters(policy=FAST)) == {}
    assert all(n == 1 for n in _Handler.hits.values())


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path,error,hits",
    [
        ("/missing.jpg", "HTTP 404", 1),  # permanent: not retried
        ("/broken.jpg", "HTTP 503", 3),  # transient: retried, then given up
        ("/page.jpg", "not an image: content type text/html", 1),
        ("/huge.jpg", "too big", 1),
        ("/garbage.jpg", "not a valid image", 1),
        ("/slow.jpg", "network", 3),
    ],
)
def test_bad_responses_are_refused_with_a_reason(server, media, anime, path, error, hits):
    work = WorkFactory(poster_url=server + path)
    outcome = fetch_poster(work.pk, FAST)
    assert outcome.startswith(f"error: {error}")
    work.refresh_from_db()
    assert not work.poster and work.poster_error.startswith(f"fetch: {error}")
    assert _Handler.hits[path] == hits
    # Refused posters are not tried again by the batch job.
    assert dict(fetch_missing_posters(policy=FAST)) == {}


@pytest.mark.django_db
def test_a_server_error_then_success_is_retried_with_backoff(server, media, anime):
    work = WorkFactory(poster_url=server + "/flaky.jpg")
    assert fetch_poster(work.pk, FAST) == "saved"
    assert _Handler.hits["/flaky.jpg"] == 2
    assert Work.objects.get(pk=work.pk).poster


class _Clock:
    """The fetcher's clock, advanced only by its own waits: spacing is checked exactly,
    without the test taking (or depending on) real time."""

    def __init__(self):
        self.now, self.waits = 1000.0, []

    def monotonic(self):
        return self.now

    def sleep(self, seconds):
        self.waits.append(seconds)
        self.now += seconds


@pytest.mark.django_db
def test_requests_to_one_host_are_spaced(server, media, anime, monkeypatch):
    from types import SimpleNamespace

    from mangaki.services import posters

    clock = _Clock()
    monkeypatch.setattr(posters, "time", SimpleNamespace(monotonic=clock.monotonic,
                                                         sleep=clock.sleep))  # fmt: skip
    monkeypatch.setattr(posters, "HOSTS", posters._HostClock())
    for i in ["10719", "11061", "11757"]:
        WorkFactory(poster_url=f"{server}/posters/{i}.jpg")
    fetch_missing_posters(policy=FetchPolicy(host_delay=0.3, timeout=2))
    # The first request goes at once; each later one waits out the 0.3 s since the last.
    assert clock.waits == pytest.approx([0.3, 0.3])
    assert Work.objects.exclude(poster="").count() == 3


@pytest.mark.django_db
def test_the_management_command_and_the_task(server, media, anime):
    from mangaki.tasks.posters import fetch_work_poster

    first = WorkFactory(poster_url=f"{server}/posters/10719.jpg")
    WorkFactory(poster_url=f"{server}/posters/11061.jpg")
    assert fetch_work_poster.delay(first.pk).get() == "saved"
    out = StringIO()
    call_command("fetch_posters", "--delay", "0", "--timeout", "2", stdout=out)
    assert out.getvalue().strip() == "saved: 1"
