"""Works for a group to watch together."""

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from mangaki.api.group_serializers import GroupQuerySerializer, GroupRecommendationsSerializer
from mangaki.api.permissions import IsSignedIn
from mangaki.api.views._common import query_params
from mangaki.models import Category
from mangaki.services.groups import (
    GroupError,
    UnknownMember,
    group_members,
    parse_usernames,
    recommend_for_group,
)

EXAMPLE = OpenApiExample(
    "Two friends and you",
    value={
        "model_version": "20260101-030000",
        "aggregation": "least_misery",
        "members": ["alice", "bob"],
        "results": [
            {
                "work": {"id": 42, "title": "Cowboy Bebop", "category": "anime", "type": "tv",
                         "year": 1998, "poster": None, "nsfw": False, "nb_ratings": 120},
                "score": 1.62,
                "predicted_choice": "like",
                "members": [
                    {"username": "alice", "score": 2.4, "predicted_choice": "like",
                     "label": "you'll probably like it",
                     "because": [{"id": 7, "title": "Trigun"}]},
                    {"username": "bob", "score": 1.62, "predicted_choice": "like",
                     "label": "you'll probably like it", "because": []},
                ],
            }
        ],
    },
    response_only=True,
)  # fmt: skip


class GroupRecommendations(APIView):
    permission_classes = [IsSignedIn]

    @extend_schema(
        tags=["groups"],
        parameters=[GroupQuerySerializer],
        responses=GroupRecommendationsSerializer,
        examples=[EXAMPLE],
    )
    def get(self, request):
        """Works that no member has rated (nor marked "don't want to see"), for you and the
        people named to watch together, best first by the chosen aggregation of each
        member's predicted rating, with every member's predicted choice and why. A name
        that is unknown or whose profile is private answers 404 with the same message, so
        names cannot be probed."""
        params = query_params(GroupQuerySerializer, request)
        category = Category.objects.filter(slug=params["category"]).first()
        if category is None:
            raise NotFound(f"There is no category {params['category']!r}.")
        try:
            members = group_members(request.user, parse_usernames(params["members"]))
        except UnknownMember as error:
            raise NotFound(str(error)) from error
        except GroupError as error:
            raise ValidationError({"members": [str(error)]}) from error
        result = recommend_for_group(
            members, aggregation=params["aggregation"], category_id=category.pk, n=params["n"]
        )
        data = {
            "model_version": result.model_version,
            "aggregation": result.aggregation,
            "members": [m.username for m in result.members],
            "picks": result.picks,
        }
        return Response(GroupRecommendationsSerializer(data, context={"request": request}).data)
