"""Shapes of the group recommendations endpoint (``GET /api/v1/groups/recommendations``)."""

from django.core.validators import RegexValidator
from rest_framework import serializers

from mangaki.api.serializers import LikedWorkSerializer, WorkSummarySerializer
from mangaki.services.groups import AGGREGATIONS, DEFAULT_AGGREGATION, MAX_MEMBERS

PREDICTED = ["favorite", "like", "neutral", "dislike"]


# At most MAX_MEMBERS - 1 names besides you, so that any value the schema accepts forms a
# group (the service refuses bigger ones for the page too).
NAME = r"[\w.@+-]{1,150}"
MEMBERS = rf"^[\s,]*{NAME}(?:[\s,]+{NAME}){{0,{MAX_MEMBERS - 2}}}[\s,]*$"


class GroupQuerySerializer(serializers.Serializer):
    members = serializers.CharField(
        # Short enough that any accepted value, percent-encoded, fits in an address.
        max_length=200,
        validators=[
            RegexValidator(MEMBERS, f"Name at most {MAX_MEMBERS - 1} people, comma-separated.")
        ],
        help_text=f"Usernames of people with a public profile, comma-separated; you are "
        f"always in the group (at most {MAX_MEMBERS} people with you)",
    )
    aggregation = serializers.ChoiceField(
        choices=list(AGGREGATIONS),
        required=False,
        default=DEFAULT_AGGREGATION,
        help_text="least_misery: the lowest of the members' predicted ratings; average: their mean",
    )
    category = serializers.SlugField(required=False, default="anime")
    n = serializers.IntegerField(required=False, min_value=1, max_value=50, default=20)


class MemberOpinionSerializer(serializers.Serializer):
    username = serializers.CharField()
    score = serializers.FloatField(source="predicted", help_text="Predicted rating, -2 to 4")
    predicted_choice = serializers.ChoiceField(source="choice", choices=PREDICTED)
    label = serializers.CharField(help_text='As the site shows it: "likely a favourite"...')
    because = serializers.SerializerMethodField(
        help_text="Works this member liked that most lead to it (may be empty)"
    )

    def get_because(self, opinion) -> list[dict]:
        data = [{"id": pk, "title": title} for pk, title in opinion.because]
        return LikedWorkSerializer(data, many=True).data


class GroupPickSerializer(serializers.Serializer):
    work = WorkSummarySerializer()
    score = serializers.FloatField(help_text="The aggregated predicted rating, -2 to 4")
    predicted_choice = serializers.ChoiceField(choices=PREDICTED)
    members = MemberOpinionSerializer(many=True)


class GroupRecommendationsSerializer(serializers.Serializer):
    model_version = serializers.CharField(allow_null=True, help_text="null before any training")
    aggregation = serializers.ChoiceField(choices=list(AGGREGATIONS))
    members = serializers.ListField(child=serializers.CharField(), help_text="You first")
    results = GroupPickSerializer(many=True, source="picks")
