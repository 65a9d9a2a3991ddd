"""Examples shown in the OpenAPI schema and Swagger UI."""

from drf_spectacular.utils import OpenApiExample

_WORK = {
    "id": 42,
    "title": "Cowboy Bebop",
    "category": "anime",
    "type": "tv",
    "year": 1998,
    "poster": "https://example.org/media/posters/bebop.jpg",
    "nsfw": False,
    "nb_ratings": 120,
}

WORK_LIST = OpenApiExample(
    "A page of works",
    value={"count": 1, "next": None, "previous": None, "results": [_WORK]},
    response_only=True,
)

WORK_DETAIL = OpenApiExample(
    "A work",
    value={
        **_WORK,
        "synopsis": "In 2071, bounty hunters...",
        "episodes": 26,
        "volumes": None,
        "start_date": "1998-04-03",
        "end_date": "1999-04-24",
        "score": 2.7,
        "titles": [{"title": "カウボーイビバップ", "language": "ja"}],
        "tags": [{"name": "space", "slug": "space", "source": "metadata", "weight": 1.0}],
        "distribution": {
            "favorite": 30,
            "like": 60,
            "neutral": 10,
            "dislike": 5,
            "willsee": 10,
            "wontsee": 5,
        },
        "similar": [{**_WORK, "id": 43, "title": "Trigun"}],
        "my_rating": "like",
    },
    response_only=True,
)

AUTOCOMPLETE = OpenApiExample(
    "Titles containing 'bebop'",
    value=[{"id": 42, "title": "Cowboy Bebop", "category": "anime", "year": 1998}],
    response_only=True,
)

RATING_PUT = OpenApiExample("Like a work", value={"choice": "like"}, request_only=True)

BULK = OpenApiExample(
    "Rate two works",
    value=[{"work": 42, "choice": "favorite"}, {"work": 43, "choice": "willsee"}],
    request_only=True,
)

DECK = OpenApiExample(
    "A deck of popular anime",
    value={
        "category": "anime",
        "slot": "popular",
        "cards": [{"id": 42, "title": "Cowboy Bebop", "year": 1998, "type": "tv", "poster": None}],
    },
    response_only=True,
)

RECOMMENDATIONS = OpenApiExample(
    "Explained recommendations",
    value={
        "model_version": "20261123-0400",
        "results": [
            {
                "work": {**_WORK, "id": 43, "title": "Trigun"},
                "score": 2.41,
                "predicted_choice": "like",
                "explanation": {
                    "reason": "similar",
                    "tags": [{"tag": "space", "weight": 0.52}],
                    "because": [{"id": 42, "title": "Cowboy Bebop"}],
                },
            }
        ],
    },
    response_only=True,
)

TASTE = OpenApiExample(
    "A taste",
    value={
        "liked": [{"tag": "space", "weight": 0.52}, {"tag": "blonde hair", "weight": 0.2}],
        "disliked": [{"tag": "gore", "weight": -0.4}],
    },
    response_only=True,
)

_OFFER = "6f1c2a9e-3b4d-4e5f-8a7b-9c0d1e2f3a4b"  # noqa: S105 (an example, no secret)
_CARD = {"id": 42, "title": "Cowboy Bebop", "year": 1998, "type": "tv", "poster": None}

DUEL_PAIR = OpenApiExample(
    "A pair",
    value={
        "category": "anime",
        "pair": {"token": _OFFER, "left": _CARD, "right": {**_CARD, "id": 43, "title": "Trigun"}},
        "reason": None,
    },
    response_only=True,
)

NO_DUEL_PAIR = OpenApiExample(
    "Nothing to compare",
    value={"category": "manga", "pair": None, "reason": "too_few_seen"},
    response_only=True,
)

DUEL_ANSWER = OpenApiExample(
    "Prefer the left work",
    value={"token": _OFFER, "left": 42, "right": 43, "winner": 42},
    request_only=True,
)

DUEL_SKIP = OpenApiExample(
    "Can't decide",
    value={"token": _OFFER, "left": 42, "right": 43, "winner": None},
    request_only=True,
)

DUEL_RECORDED = OpenApiExample(
    "Recorded",
    value={
        "token": _OFFER,
        "recorded": True,
        "winner": 42,
        "works": [42, 43],
        "date": "2026-01-05T20:14:03.512000Z",
    },
    response_only=True,
    status_codes=["201"],
)

DUEL_RANKING = OpenApiExample(
    "Your ranking",
    value={
        "count": 2,
        "next": None,
        "previous": None,
        "results": [
            {"work": _CARD, "strength": 0.405, "wins": 1, "losses": 0},
            {
                "work": {**_CARD, "id": 43, "title": "Trigun"},
                "strength": -0.405,
                "wins": 0,
                "losses": 1,
            },
        ],
    },
    response_only=True,
)
