"""/api/v1/: routes of the REST API (docs/api.md)."""

from django.urls import path, re_path, register_converter
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from mangaki.api.catalog import DECK_SLOTS, RANKINGS
from mangaki.api.errors import not_found
from mangaki.api.views import decks, duels, groups, me, ratings, users, works


class WorkIdConverter:
    # At most 18 digits: anything longer cannot be an id and must not reach the database
    # (an out-of-range integer is a crash there, not a "no such row").
    regex = "[1-9][0-9]{0,17}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value) -> str:
        return str(value)


class UsernameConverter:
    regex = r"[\w.@+-]{1,150}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value) -> str:
        return str(value)


register_converter(WorkIdConverter, "work_id")
register_converter(UsernameConverter, "username")

app_name = "api"
RANKING = "(?P<ranking>" + "|".join(RANKINGS) + ")"
SLOT = "(?P<slot>" + "|".join(DECK_SLOTS) + ")"

urlpatterns = [
    path("works", works.WorkList.as_view(), name="work-list"),
    path("works/autocomplete", works.Autocomplete.as_view(), name="autocomplete"),
    path("works/<work_id:work_id>", works.WorkDetail.as_view(), name="work-detail"),
    re_path(rf"^rankings/(?P<category>[-\w]+)/{RANKING}$", works.Ranking.as_view(), name="ranking"),
    re_path(rf"^decks/(?P<category>[-\w]+)/{SLOT}$", decks.Deck.as_view(), name="deck"),
    path("me/ratings", ratings.MyRatingList.as_view(), name="my-ratings"),
    path("me/ratings/bulk", ratings.MyRatingBulk.as_view(), name="my-ratings-bulk"),
    path("me/ratings/<work_id:work_id>", ratings.MyRating.as_view(), name="my-rating"),
    path("me/recommendations", me.MyRecommendations.as_view(), name="my-recommendations"),
    path("me/profile", me.MyProfile.as_view(), name="my-profile"),
    path("me/taste", me.MyTaste.as_view(), name="my-taste"),
    path("me/duels/<slug:category>", duels.MyDuel.as_view(), name="my-duel"),
    path("me/duels/<slug:category>/ranking", duels.MyDuelRanking.as_view(), name="my-duel-ranking"),
    path("users/<username:username>", users.PublicProfile.as_view(), name="user"),
    path("groups/recommendations", groups.GroupRecommendations.as_view(), name="group-recs"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # Split: the page loads its settings as a script file, so the site's Content-Security-
    # Policy (no inline script) holds on this page too.
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
    # Any path, also one holding a newline ("." would not match it), gets the JSON 404.
    re_path(r"^[\s\S]*$", not_found),
]
