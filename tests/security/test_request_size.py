"""Bodies larger than a view accepts are refused with 413 from their Content-Length, before
a byte of them is read, and the connection is closed so the server does not read them
either: 40 MB of JSON for a rating, 50 MB for a list import."""

import socket
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from mangaki.models import ListImport, Rating
from tests.api.conftest import assert_error, token_client
from tests.processes import web_server
from tests.security.conftest import needs_services

pytestmark = pytest.mark.django_db


class _Unreadable:
    """A request body that fails the test if anyone reads it."""

    def read(self, *args):
        raise AssertionError("the body was read")

    readline = read


def test_a_40_mb_json_body_is_413_without_being_read(as_alice, alice, catalogue):
    response = as_alice.generic(
        "PUT",
        f"/api/v1/me/ratings/{catalogue['bebop'].pk}",
        content_type="application/json",
        CONTENT_LENGTH=str(40 * 2**20),
        **{"wsgi.input": _Unreadable()},
    )
    error = assert_error(response, 413, "request_too_large")
    assert error["message"] == "The request is larger than 1 MB."
    assert not Rating.objects.filter(user=alice).exists()


def test_a_50_mb_upload_is_413_before_it_is_received(client, alice):
    client.force_login(alice)
    response = client.generic(
        "POST",
        "/account/import/",
        content_type="multipart/form-data; boundary=x",
        CONTENT_LENGTH=str(50 * 2**20),
        **{"wsgi.input": _Unreadable()},
    )
    assert response.status_code == 413
    assert "larger than" in response.content.decode()
    assert not ListImport.objects.exists()


def test_an_upload_within_the_limit_is_still_accepted(client, alice):
    client.force_login(alice)
    xml = (
        b"<myanimelist><anime><series_animedb_id>1</series_animedb_id><series_title>A"
        b"</series_title><my_score>8</my_score><my_status>Completed</my_status></anime>"
        + b"<!-- padding -->" * 200_000  # 3.2 MB: more than a JSON body, less than an upload
        + b"</myanimelist>"
    )
    response = client.post("/account/import/", {"file": SimpleUploadedFile("l.xml", xml)})
    assert response.status_code == 302


def test_the_limit_is_configurable(as_alice, catalogue, settings):
    settings.MAX_REQUEST_BYTES = 10
    response = as_alice.put(
        f"/api/v1/me/ratings/{catalogue['bebop'].pk}", {"choice": "like"}, format="json"
    )
    assert_error(response, 413, "request_too_large")


@pytest.mark.django_db(transaction=True)
@pytest.mark.slow
@pytest.mark.services
@needs_services
def test_gunicorn_answers_413_before_40_mb_arrive(tmp_path, alice):
    client = token_client(alice)
    key = client._credentials["HTTP_AUTHORIZATION"].split()[1]
    with web_server(tmp_path, workers=1, threads=2) as url:
        host, port = url.removeprefix("http://").split(":")
        start = time.monotonic()
        sock = socket.create_connection((host, int(port)), timeout=30)
        sock.sendall(
            f"PUT /api/v1/me/ratings/1 HTTP/1.1\r\nHost: {host}\r\n"
            f"Authorization: Token {key}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {40 * 2**20}\r\n\r\n".encode()
        )
        sock.sendall(b'{"choice": "')
        answer = b""
        while chunk := sock.recv(65536):  # until gunicorn closes the connection
            answer += chunk
        elapsed = time.monotonic() - start
        sock.close()
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert b"request_too_large" in answer
    # Answered and closed without waiting for the 40 MB that never came (a kept-alive
    # connection would wait for them until the socket's 30 s timeout).
    assert elapsed < 10
