"""The taste map: a PCA of the active model's item factors, and the person's direction."""

import itertools
import json

import numpy as np
import pytest

from mangaki.models import Work
from mangaki.services import tastemap
from mangaki.services.tastemap import taste_map
from recommender.algorithms.projection import principal_plane
from recommender.facade import served_model
from tests.factories import RatingFactory, category

CHOICES = ["favorite", "like", "like", "dislike", "neutral", "willsee", "like", "wontsee"]


@pytest.fixture(autouse=True)
def _fresh_layouts():
    tastemap._layouts.clear()
    yield
    tastemap._layouts.clear()


def _brute_force_pca(data):
    """Eigenvectors of the covariance matrix, largest first (the textbook definition)."""
    centred = data - data.mean(axis=0)
    values, vectors = np.linalg.eigh(centred.T @ centred)
    order = np.argsort(values)[::-1]
    return vectors[:, order[:2]], values[order] / values.sum()


# --- The pure projection ------------------------------------------------------------------


def test_the_plane_is_the_covariance_matrix_s_top_two_eigenvectors():
    rng = np.random.default_rng(3)
    data = rng.normal(size=(300, 6)) * [5.0, 3.0, 1.0, 0.5, 0.2, 0.1] + 2.0
    plane = principal_plane(data)
    axes, explained = _brute_force_pca(data)
    signs = np.sign(np.sum(plane.axes * axes, axis=0))
    np.testing.assert_allclose(plane.axes, axes * signs, atol=1e-9)
    np.testing.assert_allclose(plane.explained, explained[:2], rtol=1e-9)
    np.testing.assert_allclose(
        plane.project(data), (data - data.mean(axis=0)) @ axes * signs, atol=1e-9
    )
    # Same picture every time: each axis's largest loading is positive.
    assert all(plane.axes[np.abs(plane.axes[:, j]).argmax(), j] > 0 for j in range(2))


def test_on_planar_factors_the_direction_gives_the_personal_score_exactly():
    rng = np.random.default_rng(4)
    basis = np.linalg.qr(rng.normal(size=(8, 2)))[0].T  # a plane in 8-D
    center = rng.normal(size=8)
    factors = rng.normal(size=(200, 2)) * [3.0, 1.0] @ basis + center
    plane = principal_plane(factors)
    assert plane.explained.sum() == pytest.approx(1.0)
    user = rng.normal(size=8)
    personal = (factors - factors.mean(axis=0)) @ user  # u . v_j up to the constant u . m
    np.testing.assert_allclose(plane.project(factors) @ plane.direction(user), personal)


def test_degenerate_inputs_give_a_flat_plane_not_an_error():
    assert principal_plane(np.zeros((0, 4))).axes.tolist() == np.zeros((4, 2)).tolist()
    one = principal_plane(np.ones((1, 3)))
    assert one.project(np.ones((1, 3))).tolist() == [[0.0, 0.0]]
    line = principal_plane(np.array([[0.0, 0.0], [1.0, 1.0], [2.0, 2.0]]))
    assert line.explained.tolist() == pytest.approx([1.0, 0.0])
    with pytest.raises(ValueError, match="2-D"):
        principal_plane(np.ones(3))


# --- The map of the active model ----------------------------------------------------------


def _rate(user, n=8):
    works = list(Work.objects.filter(category__slug="anime").order_by("-nb_ratings", "pk")[:n])
    for work, choice in zip(works, CHOICES, strict=False):
        RatingFactory(user=user, work=work, choice=choice)
    return [(w.pk, c) for w, c in zip(works, CHOICES, strict=False)]


@pytest.mark.django_db
def test_works_and_the_user_s_point_lie_where_the_projection_says(alice, trained):
    rated = _rate(alice)
    anime = category("anime")
    payload = taste_map(anime, alice)
    model = served_model()
    factors = model.item_vectors()
    counts = model.item_counts()[: len(factors)]
    shown = [
        i
        for i in np.argsort(-counts, kind="stable")
        if counts[i] > 0 and model.category_of(i) == anime.pk
    ][: tastemap.MAP_SIZE]
    axes, _ = _brute_force_pca(factors[shown])
    coords = (factors[shown] - factors[shown].mean(axis=0)) @ axes
    scale = np.hypot(coords[:, 0], coords[:, 1]).max()

    by_id = {row[0]: row for row in payload["works"]}
    drawn = np.array([[by_id[model.work_id(i)][1:3] for i in shown]]).squeeze()
    signs = np.sign(np.sum(drawn * coords, axis=0))  # PCA axes have no natural sign
    np.testing.assert_allclose(drawn, coords * signs / scale, atol=1e-3)

    user = model.taste_vector(model.fold(rated))
    direction = (user @ axes) * signs
    you = np.array(payload["you"])
    np.testing.assert_allclose(you / np.hypot(*you), direction / np.hypot(*direction), atol=1e-2)

    # Along the arrow, the model's personal score u . v_j grows (as far as two axes tell).
    along = drawn @ (you / np.hypot(*you))
    personal = factors[shown] @ user
    assert np.corrcoef(along, personal)[0, 1] > 0.3
    # "Toward" lists the unrated works furthest along the arrow, best first. The payload's
    # coordinates are rounded, so works nearly level with each other may swap: compare the
    # distances along the arrow with that tolerance, not the exact order.
    position = {model.work_id(i): k for k, i in enumerate(shown)}
    unrated = [k for k, i in enumerate(shown) if model.work_id(i) not in dict(rated)]
    listed = [position[w] for w, _ in payload["toward"]]
    assert len(listed) == 5 and set(listed) <= set(unrated)
    tolerance = 2 * 10.0**-tastemap.DIGITS
    assert all(along[a] >= along[b] - tolerance for a, b in itertools.pairwise(listed))
    assert min(along[listed]) >= max(along[k] for k in unrated if k not in listed) - tolerance


@pytest.mark.django_db
def test_rated_works_carry_the_rating_and_others_the_prediction(alice, trained):
    rated = dict(_rate(alice))
    payload = taste_map(category("anime"), alice)
    choices = {row[0]: row[4] for row in payload["works"]}
    assert {w: choices[w] for w in rated} == rated
    assert sum(1 for c in choices.values() if c) == len(rated)
    assert all(-5 < row[5] < 5 for row in payload["works"])


@pytest.mark.django_db
def test_a_rated_work_is_drawn_even_if_not_among_the_most_rated(alice, trained, monkeypatch):
    monkeypatch.setattr(tastemap, "MAP_SIZE", 10)
    rare = Work.objects.filter(category__slug="anime").order_by("nb_ratings", "pk").first()
    RatingFactory(user=alice, work=rare, choice="like")
    ids = [row[0] for row in taste_map(category("anime"), alice)["works"]]
    assert len(ids) == 11
    assert rare.pk in ids


@pytest.mark.django_db
def test_adult_works_are_drawn_only_for_those_who_asked(alice, trained):
    adult = Work.objects.filter(category__slug="anime").order_by("-nb_ratings").first()
    Work.objects.filter(pk=adult.pk).update(nsfw=True)  # marked after the model was trained
    ids = [row[0] for row in taste_map(category("anime"), alice)["works"]]
    assert adult.pk not in ids
    everything = taste_map(category("anime"), alice, include_nsfw=True)["works"]
    assert adult.pk in [row[0] for row in everything]


@pytest.mark.django_db
def test_the_payload_stays_small(alice, trained):
    _rate(alice)
    payload = taste_map(category("anime"), alice)
    size = len(json.dumps(payload))
    assert size < 70 * len(payload["works"])
    assert all(round(row[1], 3) == row[1] and abs(row[1]) <= 1 for row in payload["works"])


# --- The page -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_visitor_s_session_ratings_place_them_on_the_map(client, trained):
    first = client.get("/taste-map/anime/")
    assert first.context["payload"]["you"] is None  # no ratings yet: no arrow
    assert "Rate a few works" in first.content.decode()
    works = list(Work.objects.filter(category__slug="anime").order_by("-nb_ratings")[:6])
    for work, choice in zip(works, CHOICES, strict=False):
        assert client.post("/deck/anime/rate/", {"work": work.pk, "choice": choice}).status_code
    page = client.get("/taste-map/anime/")
    payload = page.context["payload"]
    assert payload["you"] is not None
    assert {row[0]: row[4] for row in payload["works"] if row[4]} == {
        w.pk: c for w, c in zip(works, CHOICES, strict=False)
    }
    html = page.content.decode()
    assert "You will like works in this direction" in html
    assert 'id="taste-map-data"' in html
    assert "js/tastemap.js" in html


@pytest.mark.django_db
def test_a_member_sees_their_map_and_a_link_in_the_header(client, alice, trained):
    _rate(alice)
    client.force_login(alice)
    page = client.get("/taste-map/anime/")
    assert page.status_code == 200
    assert page.context["payload"]["you"] is not None
    assert 'href="/taste-map/anime/"' in page.content.decode()


@pytest.mark.django_db
def test_without_a_model_the_page_says_so(client, shelf):
    page = client.get("/taste-map/anime/")
    assert page.status_code == 200
    assert page.context["payload"] is None
    assert "No recommendation model has been trained yet" in page.content.decode()
    assert "js/tastemap.js" not in page.content.decode()


@pytest.mark.django_db
def test_an_unknown_category_is_not_found(client, shelf):
    assert client.get("/taste-map/opera/").status_code == 404


@pytest.mark.django_db
def test_a_category_the_model_does_not_know_gets_a_sentence_not_an_empty_map(client, trained):
    page = client.get("/taste-map/manga/")  # the demo site rates anime only
    assert page.status_code == 200
    assert page.context["payload"]["works"] == []
    assert "knows no manga yet" in page.content.decode()
    assert "js/tastemap.js" not in page.content.decode()


@pytest.mark.django_db
def test_the_page_s_data_is_the_payload_and_no_title_can_close_its_script(client, trained):
    work = Work.objects.filter(category__slug="anime").order_by("-nb_ratings").first()
    title = "</script><script>alert('x & y')</script>"
    Work.objects.filter(pk=work.pk).update(title=title)
    page = client.get("/taste-map/anime/")
    html = page.content.decode()
    start = html.index('<script id="taste-map-data" type="application/json">')
    block = html[start : html.index("</script>", start)]
    assert "<script>" not in block[1:] and "&" not in block
    data = json.loads(block[block.index(">") + 1 :])
    assert data == json.loads(json.dumps(page.context["payload"]))
    assert [row[3] for row in data["works"] if row[0] == work.pk] == [title]
