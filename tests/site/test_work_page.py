"""The work page: rating chart, similar works (item factors) and looks alike (posters)."""

import os
import re
import shutil
from datetime import timedelta
from html import unescape

import numpy as np
import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from mangaki.models import Work
from mangaki.services import similar
from mangaki.services.counters import recompute_counters
from mangaki.services.similar import neighbours, poster_index
from recommender.facade import served_model
from tests.factories import RatingFactory, WorkFactory
from tests.site.browsing import CHROMIUM, launched_chromium, offline

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_poster_index():
    # The index is per process; a test must not see the rows of another test's works.
    similar._indexes.clear()
    yield
    similar._indexes.clear()


def section(html: str, heading_id: str) -> list[str] | None:
    """Titles of the cards under a heading, in order; None when the section is absent."""
    start = html.find(f'id="{heading_id}"')
    if start < 0:
        return None
    block = html[start : html.index("</section>", start)]
    return [unescape(t) for t in re.findall(r'class="title">([^<]*)<', block)]


def embed(work: Work, vector, when=None) -> None:
    Work.objects.filter(pk=work.pk).update(
        poster_embedding=np.asarray(vector, dtype=np.float32).tobytes(),
        poster_tagged_at=when or timezone.now(),
    )


def expected_similar(work: Work, n: int, nsfw_ok: bool = False) -> list[int]:
    """Brute force, one work at a time: cosine of item factors x n / (n + 10)."""
    model = served_model()
    factors = np.asarray(model.item_vectors(), dtype=np.float64)
    mine = factors[model.row(work.pk)]
    scored = []
    for other in Work.objects.filter(category=work.category).exclude(pk=work.pk):
        if other.nsfw and not nsfw_ok:
            continue
        row = model.row(other.pk)
        size = np.linalg.norm(factors[row]) * np.linalg.norm(mine)
        if size == 0:
            continue
        count = model.item_counts()[row]
        score = factors[row] @ mine / size * count / (count + 10)
        if round(score, 4) > 0:
            scored.append((-round(score, 4), row, other.pk))
    return [pk for _, _, pk in sorted(scored)[:n]]


def a_well_known_work() -> Work:
    return Work.objects.order_by("-nb_ratings", "pk").first()


def test_similar_works_are_the_nearest_in_the_models_item_factors(client, trained):
    work = a_well_known_work()
    expected = expected_similar(work, similar.NEIGHBOURS)
    assert len(expected) == similar.NEIGHBOURS
    found = neighbours(work, AnonymousUser()).similar
    assert [w.pk for w in found] == expected
    html = client.get(work.get_absolute_url()).content.decode()
    assert section(html, "similar-heading") == [w.title for w in found]


def test_a_barely_rated_neighbour_is_shrunk_out_of_the_list(trained, monkeypatch):
    work = a_well_known_work()
    nearest = expected_similar(work, 1)[0]
    assert nearest in [w.pk for w in neighbours(work, AnonymousUser()).similar]
    model = served_model()
    counts = model.item_counts().copy()
    counts[model.row(nearest)] = 1  # the same vector, now from a single rating
    monkeypatch.setattr(model, "item_counts", lambda: counts)
    assert nearest not in [w.pk for w in neighbours(work, AnonymousUser()).similar]


def test_adult_neighbours_are_hidden_unless_the_person_opted_in(trained, alice, bob):
    work = a_well_known_work()
    nearest = expected_similar(work, 1)[0]
    Work.objects.filter(pk=nearest).update(nsfw=True)
    bob.profile.nsfw_ok = True
    bob.profile.save()
    for_alice = [w.pk for w in neighbours(work, alice).similar]
    assert nearest not in for_alice
    assert for_alice == expected_similar(work, similar.NEIGHBOURS)
    assert [w.pk for w in neighbours(work, bob).similar][0] == nearest


def test_similar_works_keep_to_the_works_category(trained):
    work = a_well_known_work()
    found = neighbours(work, AnonymousUser(), k=50).similar
    assert found and {w.category_id for w in found} == {work.category_id}


def test_without_a_model_the_page_works_and_has_no_similar_section(client, shelf):
    RatingFactory(work=shelf[0], choice="like")
    response = client.get(shelf[0].get_absolute_url())
    assert response.status_code == 200
    html = response.content.decode()
    assert section(html, "similar-heading") is None
    assert section(html, "looks-alike-heading") is None


def test_a_work_newer_than_the_model_has_no_similar_section(client, trained):
    work = WorkFactory(title="Brand new")
    assert neighbours(work, AnonymousUser()).similar is None
    response = client.get(work.get_absolute_url())
    assert response.status_code == 200
    assert section(response.content.decode(), "similar-heading") is None


@pytest.fixture
def posters(anime):
    """A target poster and four others at known angles from it; one adult work."""
    works = {
        name: WorkFactory(title=name, nsfw=name == "Adult twin")
        for name in ("Target", "Close", "Farther", "Orthogonal", "Adult twin", "No poster")
    }
    embed(works["Target"], [1.0, 0.0, 0.0])
    embed(works["Close"], [0.9, 0.2, 0.0])
    embed(works["Farther"], [0.5, 0.5, 0.1])
    embed(works["Orthogonal"], [0.0, 0.0, 2.0])
    embed(works["Adult twin"], [1.0, 0.0, 0.001])
    return works


def looks_alike_on_page(client, work) -> list[str] | None:
    response = client.get(work.get_absolute_url())
    assert response.status_code == 200
    return section(response.content.decode(), "looks-alike-heading")


def test_looks_alike_lists_the_nearest_posters_first(client, posters, bob):
    assert looks_alike_on_page(client, posters["Target"]) == ["Close", "Farther"]
    bob.profile.nsfw_ok = True
    bob.profile.save()
    client.force_login(bob)
    assert looks_alike_on_page(client, posters["Target"]) == ["Adult twin", "Close", "Farther"]
    assert looks_alike_on_page(client, posters["No poster"]) is None


def test_the_poster_index_follows_new_changed_and_removed_embeddings(client, posters):
    assert looks_alike_on_page(client, posters["Target"]) == ["Close", "Farther"]
    embed(posters["Orthogonal"], [1.0, 0.05, 0.0])  # re-tagged: now the closest
    assert looks_alike_on_page(client, posters["Target"]) == ["Orthogonal", "Close", "Farther"]
    Work.objects.filter(pk=posters["Close"].pk).update(poster_embedding=None)
    assert looks_alike_on_page(client, posters["Target"]) == ["Orthogonal", "Farther"]
    newcomer = WorkFactory(title="Newcomer")
    embed(newcomer, [0.6, 0.8, 0.0])
    assert looks_alike_on_page(client, posters["Target"]) == ["Orthogonal", "Farther", "Newcomer"]
    posters["Farther"].delete()
    assert looks_alike_on_page(client, posters["Target"]) == ["Orthogonal", "Newcomer"]


def test_the_poster_index_rereads_only_rows_tagged_since_it_was_built(posters):
    hour_ago = timezone.now() - timedelta(hours=1)
    embed(posters["Farther"], [0.5, 0.5, 0.1], when=hour_ago)
    before = poster_index()
    assert before.unit.shape == (5, 3)
    np.testing.assert_allclose(np.linalg.norm(before.unit, axis=1), 1.0, rtol=1e-6)
    # An old row changed behind the tagger's back (no new poster_tagged_at) is not re-read...
    Work.objects.filter(pk=posters["Farther"].pk).update(
        poster_embedding=np.zeros(3, dtype=np.float32).tobytes()
    )
    embed(posters["Orthogonal"], [1.0, 0.0, 0.0])  # ...while a re-tagged one is.
    after = poster_index()
    assert after is not before
    farther = posters["Farther"].pk
    assert after.unit[after.row[farther]] == pytest.approx(before.unit[before.row[farther]])
    assert after.unit[after.row[posters["Orthogonal"].pk]] == pytest.approx([1.0, 0.0, 0.0])
    assert poster_index() is after  # nothing changed: the same matrix, no rebuild


def test_the_rating_chart_gives_counts_and_shares_per_choice(client, shelf):
    for choice in ["like", "like", "like", "dislike"]:
        RatingFactory(work=shelf[0], choice=choice)
    recompute_counters([shelf[0].pk])
    html = client.get(shelf[0].get_absolute_url()).content.decode()
    table = html[html.index('<table class="dist"') : html.index("</table>")]
    rows = re.findall(
        r'<th scope="row">([^<]*)</th><td class="track" aria-hidden="true">'
        r'<span class="bar (\w+)" style="width:(\d+)%"></span></td>'
        r'<td class="n">(\d+)</td><td class="n">(\d+)%</td>',
        table,
    )
    assert ("Like", "like", "100", "3", "75") in rows
    assert ("Dislike", "dislike", "33", "1", "25") in rows
    assert ("Favorite", "favorite", "0", "0", "0") in rows
    assert "4 ratings in all." in html


@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium")
@pytest.mark.django_db(transaction=True)
def test_at_phone_width_the_strips_scroll_sideways_and_the_page_does_not(
    live_server, trained, tmp_path
):
    url = live_server.url + a_well_known_work().get_absolute_url()
    with launched_chromium() as chromium:
        page = chromium.new_page(viewport={"width": 390, "height": 844})
        offline(page, live_server)
        page.goto(url)
        strip = page.locator("#similar-heading ~ .strip")
        assert strip.locator(".card").count() == similar.NEIGHBOURS
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        assert strip.evaluate("s => s.scrollWidth > s.clientWidth")  # more cards to the right
        chart = page.get_by_role("table", name="Ratings on Mangaki")
        assert chart.get_by_role("rowheader").count() == 6
        assert chart.get_by_role("columnheader").count() == 4
        top = chart.get_by_role("rowheader").first.bounding_box()["y"]
        assert top - chart.bounding_box()["y"] < 8  # the column headers take no room
        page.screenshot(path=str(tmp_path / "work-phone.png"), full_page=True)
        page.set_viewport_size({"width": 1280, "height": 800})
        page.screenshot(path=str(tmp_path / "work-desktop.png"), full_page=True)
        if os.environ.get("MANGAKI_SCREENSHOTS"):
            for name in ("work-phone.png", "work-desktop.png"):
                shutil.copy(tmp_path / name, os.environ["MANGAKI_SCREENSHOTS"])


def test_a_work_s_nearest_posters_are_compared_once_per_index(posters, monkeypatch):
    target = Work.objects.get(pk=posters["Target"].pk)  # with its embedding
    first = neighbours(target, AnonymousUser()).looks_alike
    assert [w.title for w in first] == ["Close", "Farther"]

    def compare_again(*args, **kwargs):
        raise AssertionError("the list of this index was computed already")

    monkeypatch.setattr(similar, "cosine_neighbours", compare_again)
    assert neighbours(target, AnonymousUser()).looks_alike == first
    monkeypatch.undo()
    embed(posters["Orthogonal"], [1.0, 0.05, 0.0])  # a new index, without the old lists
    again = neighbours(target, AnonymousUser()).looks_alike
    assert [w.title for w in again] == ["Orthogonal", "Close", "Farther"]
