"""Taking my data away: the zip of JSON and CSV, and the MAL XML round trip."""

import csv
import io
import json
import zipfile

import pytest
from django.urls import reverse

from mangaki.lists.export import export_mal_xml
from mangaki.lists.mapping import Mapping
from mangaki.lists.parsers import parse_bytes
from mangaki.lists.service import build_plan
from mangaki.models import ApiToken
from tests.factories import RatingFactory, WorkFactory


@pytest.mark.django_db
def test_the_zip_holds_profile_ratings_imports_and_token_metadata_but_no_key(
    client, alice, bob, works
):
    RatingFactory(user=alice, work=works[0], choice="favorite")
    RatingFactory(user=alice, work=works[1], choice="willsee")
    RatingFactory(user=bob, work=works[2], choice="like")
    token, key = ApiToken.objects.issue(alice, "my phone")
    client.force_login(alice)
    response = client.get(reverse("account-export"))
    assert response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    assert sorted(archive.namelist()) == [
        "api_tokens.csv",
        "duels.csv",
        "imports.csv",
        "mangaki.json",
        "ratings.csv",
    ]
    data = json.loads(archive.read("mangaki.json"))
    assert data["profile"]["username"] == "alice" and data["profile"]["research_ok"] is True
    assert [(r["title"], r["choice"]) for r in data["ratings"]] == [
        ("Cowboy Bebop", "favorite"),
        ("Trigun", "willsee"),
    ]
    assert [t["name"] for t in data["api_tokens"]] == ["my phone"]
    everything = b"".join(archive.read(n) for n in archive.namelist()).decode()
    assert (
        key not in everything
        and token.key_hash not in everything
        and token.prefix not in everything
    )
    rows = list(csv.DictReader(io.StringIO(archive.read("ratings.csv").decode())))
    assert [(r["mal_id"], r["choice"]) for r in rows] == [("1", "favorite"), ("2", "willsee")]


@pytest.mark.django_db
def test_the_mal_xml_reads_back_into_the_same_ratings(client, alice, works):
    choices = ["favorite", "like", "neutral", "dislike", "willsee"]
    for work, choice in zip(works, choices, strict=True):
        RatingFactory(user=alice, work=work, choice=choice)
    RatingFactory(user=alice, work=WorkFactory(title="No MAL id"), choice="wontsee")
    client.force_login(alice)
    response = client.get(reverse("account-export-mal", args=["anime"]))
    assert response.status_code == 200 and b"<myanimelist>" in response.content
    source, entries = parse_bytes(response.content)
    assert source == "mal" and len(entries) == 5
    assert export_mal_xml(alice)[1] == 1  # the work without a MAL id is counted as left out
    # Read back with a favorite threshold of 10, every rating is found unchanged.
    plan = build_plan(alice, entries, Mapping(favorite_min=10))
    assert dict(plan.counts) == {"unchanged": 5}


@pytest.mark.django_db
def test_export_needs_login(client):
    assert client.get(reverse("account-export")).status_code == 302
