import numpy as np
import pytest

from mangaki.models import Rating, Work
from mangaki.services.decks import DIVERSE_POOL, deck, greedy_dpp
from recommender.registry import active_bundle


def test_greedy_dpp_skips_near_duplicates():
    vectors = np.array([[1.0, 0.0], [0.99, 0.01], [0.0, 1.0], [0.7, 0.7]])
    assert greedy_dpp(vectors, 2) == [0, 2]


def test_greedy_dpp_maximises_the_volume_of_what_it_picks():
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(30, 4))
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    picked = greedy_dpp(vectors, 4)
    assert len(set(picked)) == 4

    def logdet(rows):
        sub = vectors[rows]
        return np.linalg.slogdet(sub @ sub.T + 1e-3 * np.eye(len(rows)))[1]

    # Greedy MAP beats the 4 most popular (first) rows and random draws by a margin.
    assert logdet(picked) > logdet([0, 1, 2, 3])
    draws = [logdet(rng.choice(30, 4, replace=False)) for _ in range(50)]
    assert logdet(picked) > np.median(draws)


def test_greedy_dpp_handles_empty_and_short_inputs():
    assert greedy_dpp(np.zeros((0, 3)), 5) == []
    assert greedy_dpp(np.eye(2), 5) == [0, 1]


@pytest.mark.django_db
def test_diverse_deck_is_spread_out_well_known_and_unrated(trained, anime):
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.get(username="demo_0007")
    cards = deck(user, anime, "diverse", n=8)
    assert len(cards) == 8
    ids = [w.pk for w in cards]
    assert not set(ids) & set(Rating.objects.filter(user=user).values_list("work_id", flat=True))
    well_known = set(
        Work.objects.filter(category=anime)
        .safe_for(user)
        .exclude(ratings__user=user)
        .popular()
        .values_list("pk", flat=True)[: DIVERSE_POOL * 2]
    )
    assert set(ids) <= well_known
    bundle = active_bundle()
    factors = bundle.model.als_.item_factors_
    norms = np.linalg.norm(factors, axis=1, keepdims=True)
    unit = np.divide(factors, norms, out=np.zeros_like(factors), where=norms > 0)
    chosen = unit[[bundle.work_index[i] for i in ids]]
    popular = unit[[bundle.work_index[w.pk] for w in deck(user, anime, "popular", n=8)]]

    # More diverse than the popular deck: the cards span a larger volume in taste space
    # (the determinant a DPP maximises; mean cosine is not what it optimises).
    def log_volume(m):
        return np.linalg.slogdet(m @ m.T + 1e-3 * np.eye(len(m)))[1]

    assert log_volume(chosen) > log_volume(popular)


@pytest.mark.django_db
def test_pages_and_api_share_the_diverse_deck(client, trained, anime):
    from tests.api.conftest import token_client
    from tests.factories import UserFactory

    user = UserFactory(username="erin")
    expected = [w.pk for w in deck(user, anime, "diverse", n=5)]
    api = token_client(user).get("/api/v1/decks/anime/diverse?n=5")
    assert [c["id"] for c in api.json()["cards"]] == expected
    client.force_login(user)
    page = client.get("/deck/anime/?slot=diverse")
    assert page.context["card"].pk == expected[0]
