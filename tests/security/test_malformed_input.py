"""Malformed input gets a 4xx with a one-sentence reason, in the API's error shape under
/api/, and changes nothing: deep JSON, NUL characters, long addresses, hostile list files."""

import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from mangaki.models import ApiToken, ListImport, Rating
from tests.api.conftest import assert_error

pytestmark = pytest.mark.django_db
DEEP = b"[" * 100_000 + b"]" * 100_000


def _page(media: dict, score=8) -> dict:
    return {"data": {"Page": {"mediaList": [{"media": media, "score": score}]}}}


HOSTILE_LISTS = {
    "nested 100k deep": DEEP,
    "lists of numbers": json.dumps({"data": {"MediaListCollection": {"lists": [1]}}}).encode(),
    "synonyms not a list": json.dumps(
        _page({"id": 1, "title": {"romaji": "A"}, "synonyms": 5})
    ).encode(),
    "NUL in a title": json.dumps(_page({"id": 1, "title": {"romaji": "A\u0000B"}})).encode(),
    "lone surrogate": b'{"data":{"Page":{"mediaList":[{"media":{"id":1,'
    b'"title":{"romaji":"\\ud800"}},"score":8}]}}}',
    "5000-digit id": b'{"data":{"Page":{"mediaList":[{"media":{"id":'
    + b"9" * 5000
    + b',"title":{"romaji":"A"}},"score":8}]}}}',
    "30-digit id": json.dumps(_page({"id": 10**30, "title": {"romaji": "A"}})).encode(),
    "media a list": json.dumps({"data": {"Page": {"mediaList": [{"media": [1]}]}}}).encode(),
    "huge score": b'{"data":{"Page":{"mediaList":[{"media":{"id":1,"title":{"romaji":"A"}},"score":'
    + b"9" * 400
    + b"}]}}}",
    "MAL id beyond 32 bits": b"<myanimelist><anime>"
    b"<series_animedb_id>99999999999</series_animedb_id><series_title>A</series_title><my_score>5</my_score><my_status>Completed</my_status>"
    b"</anime></myanimelist>",
}


@pytest.mark.parametrize("name", list(HOSTILE_LISTS))
def test_a_hostile_list_file_is_refused_with_a_reason_and_creates_nothing(client, alice, name):
    client.force_login(alice)
    upload = SimpleUploadedFile("list.json", HOSTILE_LISTS[name])
    response = client.post("/account/import/", {"file": upload})
    assert response.status_code == 400, name
    assert "This file cannot be imported" in response.content.decode()
    assert not ListImport.objects.exists()


def test_deeply_nested_json_bodies_are_a_parse_error(as_alice, alice, catalogue):
    for path, method in (
        (f"/api/v1/me/ratings/{catalogue['bebop'].pk}", "put"),
        ("/api/v1/me/ratings/bulk", "post"),
        ("/api/v1/me/profile", "patch"),
    ):
        response = getattr(as_alice, method)(path, DEEP, content_type="application/json")
        error = assert_error(response, 400, "parse_error")
        assert error["message"] == "The JSON is nested too deeply."
    assert not Rating.objects.filter(user=alice).exists()


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/search/suggest/?q=be&category=%00", 400),
        ("/search/suggest/?q=%00", 400),
        ("/u/a%00b/", 404),
        ("/anime/?q=%00", 400),
        ("/media/posters/%00.jpg", 404),
        ("/api/v1/works?category=%00", 400),
    ],
)
def test_nul_characters_in_addresses_are_4xx(client, anime, path, status):
    response = client.get(path)
    assert response.status_code == status
    if path.startswith("/api/"):
        assert_error(response, status)


def test_a_token_name_with_a_nul_character_is_refused(client, alice):
    client.force_login(alice)
    response = client.post("/account/tokens/", {"name": "my\x00script"})
    assert response.status_code == 400
    assert not ApiToken.objects.exists()


def test_urls_over_4_kb_are_414_in_the_api_error_shape(client, anime):
    api = client.get("/api/v1/works?q=" + "a" * 5000)
    error = assert_error(api, 414, "uri_too_long")
    assert error["message"] == "The address is longer than 4096 bytes."
    page = client.get("/anime/?q=" + "a" * 5000)
    assert page.status_code == 414 and "longer than 4096 bytes" in page.content.decode()


def test_a_bad_content_length_is_400(as_alice, catalogue):
    response = as_alice.generic(
        "PUT",
        f"/api/v1/me/ratings/{catalogue['bebop'].pk}",
        b'{"choice": "like"}',
        content_type="application/json",
        CONTENT_LENGTH="12abc",
    )
    assert_error(response, 400, "invalid")


def test_a_huge_integer_in_a_json_body_is_a_parse_error(as_alice, catalogue):
    body = b'[{"work": ' + b"9" * 5000 + b', "choice": "like"}]'
    response = as_alice.post("/api/v1/me/ratings/bulk", body, content_type="application/json")
    assert_error(response, 400, "parse_error")


def test_odd_but_harmless_values_are_read_as_unknown(client, alice):
    client.force_login(alice)
    page = _page({"id": 1, "idMal": "1", "title": {"romaji": "Cowboy Bebop", "english": 5}})
    page["data"]["Page"]["mediaList"][0]["status"] = ["COMPLETED"]
    response = client.post("/account/import/", {"file": io.BytesIO(json.dumps(page).encode())})
    assert response.status_code == 302
    (entry,) = ListImport.objects.get().entries
    assert entry["status"] == "unknown" and entry["mal_id"] is None
    assert entry["titles"] == ["Cowboy Bebop"]


def test_an_api_path_with_a_newline_is_a_json_404(api, anime):
    assert_error(api.get("/api/v1/users/a%0Ab"), 404, "not_found")


@pytest.mark.parametrize("page", ["", "last", "0", "-1", "1.5"])
def test_a_page_that_is_not_a_whole_number_is_invalid(api, anime, page):
    error = assert_error(api.get(f"/api/v1/works?page={page}"), 400, "invalid")
    assert error["fields"] == {"page": ["Give a whole number from 1."]}
