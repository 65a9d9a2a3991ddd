"""The caller's profile settings, taste and explained recommendations."""

from drf_spectacular.utils import extend_schema
from rest_framework import generics
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from mangaki.api import examples
from mangaki.api.permissions import IsSignedIn
from mangaki.api.serializers import (
    ProfileSerializer,
    RecommendationListSerializer,
    RecommendationQuerySerializer,
    TasteSerializer,
)
from mangaki.api.views._common import query_params
from mangaki.models import Category
from recommender.registry import active_version
from recommender.serving import recommend, taste


def _tag_weights(pairs) -> list[dict]:
    return [{"tag": name, "weight": round(weight, 4)} for name, weight in pairs]


class MyRecommendations(APIView):
    permission_classes = [IsSignedIn]

    @extend_schema(
        tags=["me"],
        parameters=[RecommendationQuerySerializer],
        responses=RecommendationListSerializer,
        examples=[examples.RECOMMENDATIONS],
    )
    def get(self, request):
        """Works you have not rated, those you are most likely to pick and like first (a
        full-catalogue ranking, see docs/recommendations.md), each with its predicted
        rating and choice and why: the main reason, the tags you seem to like that it has,
        and the works you liked that lead to it."""
        params = query_params(RecommendationQuerySerializer, request)
        category = Category.objects.filter(slug=params["category"]).first()
        if category is None:
            # As for /decks/<category>/: a category that does not exist is not found.
            raise NotFound(f"There is no category {params['category']!r}.")
        nsfw_ok = request.user.profile.nsfw_ok
        include_nsfw = params.get("include_nsfw", nsfw_ok)
        items = recommend(
            request.user,
            category_id=category.pk,
            n=params["n"],
            include_nsfw=include_nsfw and nsfw_ok,  # the profile setting is the consent
            min_popularity=params["min_popularity"],
        )
        results = [
            {
                "work": item.work,
                "score": item.score,
                "predicted_choice": item.predicted_choice,
                "explanation": {
                    "reason": item.reason,
                    "tags": _tag_weights(item.tags),
                    "because": [{"id": pk, "title": title} for pk, title in item.because],
                },
            }
            for item in items
        ]
        data = {"model_version": active_version(), "results": results}
        return Response(RecommendationListSerializer(data, context={"request": request}).data)


@extend_schema(tags=["me"])
class MyProfile(generics.RetrieveUpdateAPIView):
    """Your settings: adult works shown, public profile, ratings used for research."""

    serializer_class = ProfileSerializer
    permission_classes = [IsSignedIn]
    http_method_names = ["get", "patch", "head", "options"]

    def get_object(self):
        return self.request.user.profile


class MyTaste(APIView):
    permission_classes = [IsSignedIn]

    @extend_schema(tags=["me"], responses=TasteSerializer, examples=[examples.TASTE])
    def get(self, request):
        """The tags you seem to like and dislike most (your weights in the active model)."""
        found = taste(request.user, k=5)
        data = {"liked": _tag_weights(found["liked"]), "disliked": _tag_weights(found["disliked"])}
        return Response(TasteSerializer(data).data)
