"""The taste map: a layout computed at training time (t-SNE of item factors and tags),
regions named by their genres, the person among the works they liked, and their top
recommendations on it."""

import json

import numpy as np
import pytest
import scipy.sparse as sp

from mangaki.choices import PREDICTION_LABELS
from mangaki.models import Work
from mangaki.services import tastemap
from mangaki.services.tastemap import taste_map
from recommender import model_files, registry
from recommender.facade import forget_served_models, served_model
from recommender.layout import compute_layout, knn_overlap, region_labels
from recommender.serving import recommend_lists
from tests.factories import RatingFactory, category

CHOICES = ["favorite", "like", "like", "dislike", "neutral", "willsee", "like", "wontsee"]


@pytest.fixture(autouse=True)
def _fresh_maps():
    tastemap._drawn.clear()
    yield
    tastemap._drawn.clear()


# --- The layout, a pure computation -------------------------------------------------------


def _planted(n_per=60, k=4, dim=12, seed=0):
    """Works in ``k`` taste groups (factors around ``k`` centres), each group carrying its
    own genre, on a curved manifold that two principal axes flatten onto each other."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(k, dim)) * 3.0
    group = np.repeat(np.arange(k), n_per)
    factors = centres[group] + rng.normal(size=(k * n_per, dim)) * 0.5
    tags = np.zeros((k * n_per, k + 1))
    tags[np.arange(k * n_per), group] = 1.0
    tags[:, k] = rng.random(k * n_per) < 0.5  # a tag every group has: names no region
    names = ["mecha", "romance", "horror", "sports", "comedy"][: k + 1]
    return factors, sp.csr_matrix(tags), names, group


def test_the_layout_keeps_taste_groups_together_and_names_them_by_their_genre():
    factors, tags, names, group = _planted()
    layout = compute_layout(factors, tags, names, random_state=0)
    assert layout.xy.shape == (len(factors), 2) and np.abs(layout.xy).max() <= 1.0 + 1e-6
    # Each region holds one planted group, named after that group's genre.
    for r, label in enumerate(layout.labels):
        members = group[layout.region == r]
        if len(members):
            majority = np.bincount(members).argmax()
            assert np.mean(members == majority) > 0.9
            assert label.split(" · ")[0] == names[majority].title()
    assert "Comedy" not in " ".join(layout.labels)  # on half of every group: not distinctive
    # Neighbours kept better than on the plane of the two principal axes.
    quality = layout.quality
    assert quality["tsne_knn_overlap"] > quality["pca_knn_overlap"]
    assert quality["tsne_trustworthiness"] > quality["pca_trustworthiness"]


def test_the_layout_is_deterministic_and_skips_works_it_should_not_place():
    factors, tags, names, _ = _planted(n_per=20)
    placed = np.ones(len(factors), dtype=bool)
    placed[:5] = False
    a = compute_layout(factors, tags, names, placed=placed, random_state=3)
    b = compute_layout(factors, tags, names, placed=placed, random_state=3)
    np.testing.assert_array_equal(a.xy, b.xy)
    assert np.isnan(a.xy[:5]).all() and (a.region[:5] == -1).all()
    assert not np.isnan(a.xy[5:]).any() and (a.region[5:] >= 0).all()


def test_only_genres_name_regions_when_genres_are_known():
    tags = sp.csr_matrix(np.array([[1, 1, 0], [1, 1, 0], [0, 0, 1], [0, 0, 1]], dtype=float))
    names = ["blonde hair", "mecha", "romance"]
    genres = np.array([False, True, True])
    assert region_labels(np.array([0, 0, 1, 1]), tags, names, genres, 2) == ["Mecha", "Romance"]


def test_knn_overlap_is_one_for_a_scaling_and_low_for_noise():
    data = np.random.default_rng(1).normal(size=(200, 5))
    assert knn_overlap(data, data[:, :5] * 2.0) == 1.0
    noise = np.random.default_rng(2).normal(size=(200, 2))
    assert knn_overlap(data, noise) < 0.2


# --- The map of the active model ----------------------------------------------------------


def _rate(user, n=8):
    works = list(Work.objects.filter(category__slug="anime").order_by("-nb_ratings", "pk")[:n])
    for work, choice in zip(works, CHOICES, strict=False):
        RatingFactory(user=user, work=work, choice=choice)
    return [(w.pk, c) for w, c in zip(works, CHOICES, strict=False)]


@pytest.mark.django_db
def test_training_saves_the_layout_with_the_model_and_the_map_draws_it(alice, trained):
    _rate(alice)
    layout = served_model().layout()
    assert layout is not None and layout.method == "tsne" and layout.labels
    assert trained.durations["layout"] > 0
    payload = taste_map(category("anime"), alice)
    model = served_model()
    for work_id, x, y, _title, _choice, _guess, region in payload["works"]:
        row = model.row(work_id)
        assert (x, y) == pytest.approx(tuple(layout.xy[row]), abs=1e-3)
        assert region == layout.region[row]
    assert {label for _, label, *_ in payload["regions"]} <= set(layout.labels)


@pytest.mark.django_db
def test_the_person_stands_at_the_mean_of_the_works_they_liked(alice, trained):
    rated = dict(_rate(alice))
    payload = taste_map(category("anime"), alice)
    model, layout = served_model(), served_model().layout()
    weights = {"favorite": 4.0, "like": 2.0}
    liked = [(model.row(w), weights[c]) for w, c in rated.items() if c in weights]
    expected = sum(layout.xy[r] * w for r, w in liked) / sum(w for _, w in liked)
    assert payload["you"] == pytest.approx(expected.tolist(), abs=2e-3)
    assert payload["you_region"] in layout.labels


@pytest.mark.django_db
def test_works_near_you_are_the_recommendations_page_s_top_ten(client, alice, trained):
    _rate(alice)
    client.force_login(alice)
    page = client.get("/recommendations/anime/")
    shown = [item.work.pk for item in page.context["items"]][: tastemap.NEAR]
    payload = client.get("/taste-map/anime/").context["payload"]
    assert [n[0] for n in payload["near"]] == shown
    items, _ = recommend_lists(alice, category_id=category("anime").pk, n=24, discover_n=4)
    assert [n[2] for n in payload["near"]] == [i.predicted_choice for i in items[:10]]
    drawn = {row[0] for row in payload["works"]}
    assert all(n[0] in drawn for n in payload["near"] if n[4] is not None)


@pytest.mark.django_db
def test_predictions_are_shown_as_labels_never_as_numbers(client, alice, trained):
    rated = dict(_rate(alice))
    client.force_login(alice)
    page = client.get("/taste-map/anime/")
    payload = page.context["payload"]
    for work_id, *_, choice, guess, _region in payload["works"]:
        assert (
            (choice, guess) == (rated[work_id], "")
            if work_id in rated
            else (choice == "" and guess in {"favorite", "like", "neutral", "dislike"})
        )
    html = page.content.decode()
    first = payload["near"][0]
    assert str(PREDICTION_LABELS[first[2]]) in html.replace("&#x27;", "'")
    labels = json.loads(
        html.split('id="taste-map-labels" type="application/json">')[1].split("<")[0]
    )
    assert labels["predicted"]["favorite"] == str(PREDICTION_LABELS["favorite"])


@pytest.mark.django_db
def test_the_map_can_be_read_as_a_list_of_named_regions(client, alice, trained):
    _rate(alice)
    client.force_login(alice)
    page = client.get("/taste-map/anime/")
    html = page.content.decode()
    assert "The map as a list" in html
    regions = page.context["regions"]
    assert regions and all(r["label"] and r["works"] for r in regions)
    for region in regions:
        assert f">{region['label']} <small>" in html.replace("&#x27;", "'")
        work_id, _title = region["works"][0]
        assert f'href="/work/{work_id}/"' in html
    assert 'role="application"' in html and "Arrow keys move" in html


@pytest.mark.django_db
def test_a_model_without_a_layout_still_serves_and_the_page_says_why(client, alice, trained):
    path = model_files.index_path(trained.model_path)
    with np.load(path, allow_pickle=False) as index:
        arrays = {k: index[k] for k in index.files if not k.startswith("layout_")}
    with open(path, "wb") as handle:
        np.savez(handle, **arrays)
    trained.model_sha256, trained.index_sha256 = model_files.checksums(trained.model_path)
    trained.save()
    registry.forget_loaded()
    forget_served_models()
    _rate(alice)
    client.force_login(alice)
    page = client.get("/taste-map/anime/")
    assert page.status_code == 200
    payload = page.context["payload"]
    assert payload["layout"] is False and payload["works"] == []
    assert len(payload["near"]) == tastemap.NEAR  # the recommendations are still listed
    html = page.content.decode()
    assert "trained before maps were drawn" in html
    assert "js/tastemap.js" not in html


@pytest.mark.django_db
def test_a_rated_work_is_drawn_even_if_not_among_the_most_rated(alice, trained, monkeypatch):
    monkeypatch.setattr(tastemap, "MAP_SIZE", 10)
    rare = Work.objects.filter(category__slug="anime").order_by("nb_ratings", "pk").first()
    RatingFactory(user=alice, work=rare, choice="like")
    ids = [row[0] for row in taste_map(category("anime"), alice)["works"]]
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
    assert size < 80 * len(payload["works"]) + 2000
    assert all(round(row[1], 3) == row[1] and abs(row[1]) <= 1 for row in payload["works"])


# --- The page -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_visitor_s_session_ratings_place_them_on_the_map(client, trained):
    first = client.get("/taste-map/anime/")
    assert first.context["payload"]["you"] is None  # no ratings yet: no place
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
    assert len(payload["near"]) == tastemap.NEAR
    html = page.content.decode()
    assert "Works you will like, near you" in html
    assert 'id="taste-map-data"' in html
    assert "js/tastemap.js" in html


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


def test_the_map_s_predicted_choices_are_the_site_s_predicted_choice():
    from mangaki.choices import predicted_choice
    from mangaki.services.tastemap import predicted_choices

    scores = np.random.default_rng(0).normal(size=2000) * 3
    scores[:8] = [3.0, 1.05, -0.95, 4.0, 2.0, 0.1, -2.0, 1.0]  # ties go to the higher choice
    assert predicted_choices(scores) == [predicted_choice(s) for s in scores]
