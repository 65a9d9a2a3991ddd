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
