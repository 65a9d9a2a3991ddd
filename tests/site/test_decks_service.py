import numpy as np
import pytest
from django.contrib.auth.models import AnonymousUser

from mangaki.models import Rating, Work
from mangaki.services.decks import DIVERSE_POOL, deck
from recommender.algorithms.diversity import RIDGE as _RIDGE
from recommender.algorithms.diversity import greedy_dpp
from recommender.facade import served_model
from tests.factories import RatingFactory, UserFactory


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
    assert greedy_dpp(np.eye(2), 5, given=np.eye(2)) == [0, 1]


def _brute_force_greedy(vectors, k, given):
    """Greedy MAP by determinants: add the row that most increases log det L[G + S + j]."""
    rows = np.vstack([given, vectors])
    kernel = rows @ rows.T + _RIDGE * np.eye(len(rows))
    chosen = list(range(len(given)))
    picked = []
    for _ in range(k):
        scores = [
            np.linalg.slogdet(kernel[np.ix_(chosen + [len(given) + j], chosen + [len(given) + j])])[
                1
            ]
            if j not in picked
            else -np.inf
            for j in range(len(vectors))
        ]
        best = int(np.argmax(scores))
        picked.append(best)
        chosen.append(len(given) + best)
    return picked


@pytest.mark.parametrize("n_given", [0, 3, 12])
def test_greedy_dpp_is_the_greedy_dpp_conditioned_on_the_given_rows(n_given):
    rng = np.random.default_rng(n_given)
    vectors = rng.normal(size=(40, 6))
    given = rng.normal(size=(n_given, 6))
    expected = _brute_force_greedy(vectors, 8, given)
    assert greedy_dpp(vectors, 8, given=given) == expected
    if n_given == 0:  # no ratings: the unconditioned DPP, as before
        assert greedy_dpp(vectors, 8) == expected


def test_after_ratings_along_one_direction_the_next_cards_explore_the_others():
    e = np.eye(3)
    # Most popular first: a work along the rated direction, one half along it, then two
    # works along unexplored directions.
    pool = np.array([e[0], (e[0] + e[1]) / np.sqrt(2), e[1], e[2]])
    assert greedy_dpp(pool, 1) == [0]  # nothing rated: the most popular work
    rated = np.array([e[0], e[0], e[0]])
    assert greedy_dpp(pool, 4, given=rated) == [2, 3, 1, 0]


def _variance(vectors, rated):
    precision = rated.T @ rated + _RIDGE * np.eye(vectors.shape[1])
    return np.einsum("ij,ji->i", vectors, np.linalg.solve(precision, vectors.T))


def test_each_pick_is_the_most_uncertain_work_and_the_pool_variance_drops():
    rng = np.random.default_rng(3)
    pool = rng.normal(size=(200, 8))
    pool /= np.linalg.norm(pool, axis=1, keepdims=True)
    rated = pool[rng.choice(200, 5, replace=False)] + rng.normal(0, 0.1, (5, 8))
    picked = greedy_dpp(pool, 12, given=rated)
    assert len(set(picked)) == 12
    before = _variance(pool, rated)
    for step, j in enumerate(picked):
        left = np.setdiff1d(np.arange(200), picked[:step])
        assert j == left[np.argmax(before[left])]  # the largest prediction variance
        after = _variance(pool, np.vstack([rated, pool[picked[: step + 1]]]))
        assert np.all(after[left] <= before[left] + 1e-9)
        assert after[left].sum() < before[left].sum()
        before = after


@pytest.mark.django_db
def test_diverse_deck_is_spread_out_well_known_and_unrated(trained, anime):
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.get(username="demo_0007")
    cards = deck(user, anime, "diverse", n=8)
    assert len(cards) == 8
    ids = [w.pk for w in cards]
    rated_ids = list(Rating.objects.filter(user=user).values_list("work_id", flat=True))
    assert not set(ids) & set(rated_ids)
    well_known = set(
        Work.objects.filter(category=anime)
        .safe_for(user)
        .exclude(ratings__user=user)
        .popular()
        .values_list("pk", flat=True)[: DIVERSE_POOL * 2]
    )
    assert set(ids) <= well_known
    model = served_model()
    factors = model.item_vectors()
    norms = np.linalg.norm(factors, axis=1, keepdims=True)
    unit = np.divide(factors, norms, out=np.zeros_like(factors), where=norms > 0)
    chosen = unit[[model.row(i) for i in ids]]
    popular = unit[[model.row(w.pk) for w in deck(user, anime, "popular", n=8)]]
    rated = unit[[model.row(i) for i in rated_ids]]

    # More informative than the popular deck: with the works already rated, the cards span
    # a larger volume in taste space (the determinant the conditioned DPP maximises).
    def log_volume(m):
        return np.linalg.slogdet(m @ m.T + _RIDGE * np.eye(len(m)))[1]

    assert log_volume(np.vstack([rated, chosen])) > log_volume(np.vstack([rated, popular]))


def _pool(user, anime) -> list[int]:
    works = Work.objects.filter(category=anime).safe_for(user).exclude(ratings__user=user)
    return list(works.popular().values_list("pk", flat=True)[:DIVERSE_POOL])


@pytest.mark.django_db
def test_without_ratings_the_diverse_deck_is_the_plain_dpp_led_by_the_most_popular(trained, anime):
    user = UserFactory(username="erin")
    pool = _pool(user, anime)
    model = served_model()
    factors = np.asarray(model.item_vectors(), dtype=np.float64)
    vectors = factors[[model.row(pk) for pk in pool]]
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    cards = [w.pk for w in deck(user, anime, "diverse", n=8)]
    assert cards == [pool[i] for i in greedy_dpp(vectors, 8)]
    assert cards[0] == pool[0]


@pytest.mark.django_db
def test_the_next_diverse_card_explores_a_taste_the_ratings_left_open(trained, anime):
    """Plant factors: every work along one taste but two less popular ones. Once a member
    (or a visitor, through ``exclude``) rated works of that taste, those two come next."""
    user = UserFactory(username="erin")
    pool = _pool(user, anime)
    model = served_model()
    factors = model.item_vectors()  # the served array itself: planted in place
    rank = factors.shape[1]
    factors[:] = np.eye(rank)[0]
    second, third = pool[60], pool[150]
    factors[model.row(second)] = np.eye(rank)[1]
    factors[model.row(third)] = np.eye(rank)[2]
    assert [w.pk for w in deck(user, anime, "diverse", n=1)] == [pool[0]]

    for pk in pool[:3]:
        RatingFactory(user=user, work_id=pk, choice="like")
    assert [w.pk for w in deck(user, anime, "diverse", n=3)] == [second, third, pool[3]]
    visitor = deck(AnonymousUser(), anime, "diverse", n=2, exclude=pool[:3])
    assert [w.pk for w in visitor] == [second, third]


@pytest.mark.django_db
def test_pages_and_api_share_the_diverse_deck(client, trained, anime):
    from tests.api.conftest import token_client

    user = UserFactory(username="erin")
    expected = [w.pk for w in deck(user, anime, "diverse", n=5)]
    api = token_client(user).get("/api/v1/decks/anime/diverse?n=5")
    assert [c["id"] for c in api.json()["cards"]] == expected
    client.force_login(user)
    page = client.get("/deck/anime/?slot=diverse")
    assert page.context["card"].pk == expected[0]


@pytest.mark.django_db
def test_the_diverse_deck_reads_a_members_ratings_in_one_query(
    trained, anime, django_assert_num_queries
):
    user = UserFactory(username="erin")
    pool = _pool(user, anime)
    deck(user, anime, "diverse", n=5)  # the active model's version is cached from now on
    for rated in (pool[:2], pool[2:30]):  # 2, then 30 ratings: the same queries
        for pk in rated:
            RatingFactory(user=user, work_id=pk)
        # the rated ids, the candidates (most popular unrated), the cards
        with django_assert_num_queries(3):
            assert len(deck(user, anime, "diverse", n=5)) == 5
