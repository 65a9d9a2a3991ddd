"""Every shape the API reads or writes. Views never build JSON by hand."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from mangaki.choices import Choice
from mangaki.models import Profile, Rating, Work, WorkType
from mangaki.security.urls import safe_poster_url

MAX_ID = 2**63 - 1  # the database's integer range: larger ids are invalid, not a crash
MAX_BULK = 1000


class StrictBooleanField(serializers.BooleanField):
    """JSON true or false only: DRF's own also takes "yes", 1 or "on", which the schema
    does not promise and a client should not rely on."""

    def to_internal_value(self, data):
        if not isinstance(data, bool):
            self.fail("invalid", input=data)
        return data


class QueryBooleanField(serializers.BooleanField):
    """``true`` or ``false`` in a query string; anything else (even empty) is invalid."""

    def to_internal_value(self, data):
        if data not in ("true", "false"):
            self.fail("invalid", input=data)
        return data == "true"


class StrictIntegerField(serializers.IntegerField):
    """A JSON integer only (not "42" nor 42.0)."""

    default_error_messages = {"invalid": "A JSON integer is required."}

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Machine-readable: invalid, not_found, throttled...")
    message = serializers.CharField()
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text='Messages per input field; items of a list are "index.field".',
    )


class ErrorSerializer(serializers.Serializer):
    error = ErrorDetailSerializer()


@extend_schema_field({"type": "string", "format": "uri", "nullable": True})
class PosterField(serializers.Field):
    """The uploaded poster's absolute URL, else the imported poster URL, else null."""

    def __init__(self, **kwargs):
        super().__init__(source="*", read_only=True, **kwargs)

    def to_representation(self, work):
        if work.poster:
            request = self.context.get("request")
            url = work.poster.url
            return request.build_absolute_uri(url) if request is not None else url
        # Checked again here: rows written before import-time checks existed, or by hand.
        return safe_poster_url(work.poster_url) or None


class WorkSummarySerializer(serializers.ModelSerializer):
    category = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    type = serializers.CharField(source="work_type", read_only=True)
    year = serializers.IntegerField(read_only=True, allow_null=True)
    poster = PosterField()

    class Meta:
        model = Work
        fields = ["id", "title", "category", "type", "year", "poster", "nsfw", "nb_ratings"]
        read_only_fields = fields


class CardSerializer(serializers.ModelSerializer):
    type = serializers.CharField(source="work_type", read_only=True)
    year = serializers.IntegerField(read_only=True, allow_null=True)
    poster = PosterField()

    class Meta:
        model = Work
        fields = ["id", "title", "year", "type", "poster"]
        read_only_fields = fields


class DistributionSerializer(serializers.Serializer):
    """How many people chose each rating."""

    favorite = serializers.IntegerField(source="nb_favorite")
    like = serializers.IntegerField(source="nb_like")
    neutral = serializers.IntegerField(source="nb_neutral")
    dislike = serializers.IntegerField(source="nb_dislike")
    willsee = serializers.IntegerField(source="nb_willsee")
    wontsee = serializers.IntegerField(source="nb_wontsee")


class TitleSerializer(serializers.Serializer):
    title = serializers.CharField()
    language = serializers.CharField()


class WorkTagSerializer(serializers.Serializer):
    name = serializers.CharField(source="tag.name")
    slug = serializers.CharField(source="tag.slug")
    source = serializers.CharField(help_text="metadata, poster or community")
    weight = serializers.FloatField(help_text="1 for metadata; a probability for poster tags")


class WorkDetailSerializer(WorkSummarySerializer):
    titles = TitleSerializer(many=True, read_only=True)
    tags = WorkTagSerializer(source="tagged", many=True, read_only=True)
    distribution = DistributionSerializer(source="*", read_only=True)
    similar = WorkSummarySerializer(
        many=True, read_only=True, help_text="Nearest works in the active model; empty without one."
    )
    my_rating = serializers.ChoiceField(
        choices=Choice.choices, read_only=True, allow_null=True, help_text="null when signed out"
    )

    class Meta(WorkSummarySerializer.Meta):
        fields = [
            *WorkSummarySerializer.Meta.fields,
            "synopsis",
            "episodes",
            "volumes",
            "start_date",
            "end_date",
            "score",
            "titles",
            "tags",
            "distribution",
            "similar",
            "my_rating",
        ]
        read_only_fields = fields


class AutocompleteSerializer(serializers.ModelSerializer):
    category = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    year = serializers.IntegerField(read_only=True, allow_null=True)

    class Meta:
        model = Work
        fields = ["id", "title", "category", "year"]
        read_only_fields = fields


# --- Query parameters ---------------------------------------------------------------------


class WorkFilterSerializer(serializers.Serializer):
    category = serializers.SlugField(required=False, help_text="anime or manga")
    type = serializers.ChoiceField(choices=[c for c in WorkType.values if c], required=False)
    tag = serializers.SlugField(required=False, help_text="A tag's slug, e.g. space")
    year = serializers.IntegerField(required=False, min_value=1800, max_value=2200)
    q = serializers.CharField(required=False, max_length=100, help_text="Title search")


class AutocompleteQuerySerializer(serializers.Serializer):
    q = serializers.CharField(max_length=100, help_text="Start of a title, any case or accent")
    category = serializers.SlugField(required=False)
    limit = serializers.IntegerField(required=False, min_value=1, max_value=50, default=10)


class DeckQuerySerializer(serializers.Serializer):
    n = serializers.IntegerField(required=False, min_value=1, max_value=50, default=20)


class RecommendationQuerySerializer(serializers.Serializer):
    category = serializers.SlugField(required=False, default="anime")
    n = serializers.IntegerField(required=False, min_value=1, max_value=100, default=20)
    min_popularity = serializers.IntegerField(
        required=False,
        min_value=0,
        max_value=1_000_000,
        default=0,
        help_text="Only works with at least this many ratings in the model's training data",
    )
    include_nsfw = QueryBooleanField(
        required=False,
        help_text="Defaults to the profile's setting; true is honoured only if nsfw_ok is on",
    )


# --- Ratings --------------------------------------------------------------------------------


class RatingSerializer(serializers.ModelSerializer):
    work = WorkSummarySerializer(read_only=True)

    class Meta:
        model = Rating
        fields = ["work", "choice", "date"]
        read_only_fields = fields


class RatingInputSerializer(serializers.Serializer):
    choice = serializers.ChoiceField(choices=Choice.choices)


class BulkRatingItemSerializer(serializers.Serializer):
    work = StrictIntegerField(min_value=1, max_value=MAX_ID)
    choice = serializers.ChoiceField(choices=Choice.choices)


class BulkResultSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text="Ratings written (the last one wins per work)")


# --- Recommendations, profile, taste ------------------------------------------------------


class TagWeightSerializer(serializers.Serializer):
    tag = serializers.CharField()
    weight = serializers.FloatField()


class LikedWorkSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()


class ExplanationSerializer(serializers.Serializer):
    reason = serializers.ChoiceField(
        choices=["similar", "popular", "explore", "taste"],
        help_text="similar: the works in `because` lead to it; popular: people who rate "
        "like you pick it; explore: a little-known work your taste in tags suggests; "
        "taste: its tags alone",
    )
    tags = TagWeightSerializer(many=True, help_text="Tags of the work that you seem to like")
    because = LikedWorkSerializer(
        many=True, help_text="Works you liked that most lead to it, strongest first"
    )


class RecommendationSerializer(serializers.Serializer):
    work = WorkSummarySerializer()
    score = serializers.FloatField(
        help_text="Predicted rating on the model's scale (favorite 4, like 2, neutral 0.1, "
        "dislike -2), for sorting and analysis; show people `predicted_choice` instead. The "
        "list itself is ordered by how likely you are to pick the work and like it"
    )
    predicted_choice = serializers.ChoiceField(
        choices=["favorite", "like", "neutral", "dislike"],
        help_text="What to show people: the choice the predicted rating is closest to. The "
        'site words it "likely a favourite", "you\'ll probably like it", "probably so-so for '
        'you", "probably not for you" (mangaki.choices.PREDICTION_LABELS)',
    )
    explanation = ExplanationSerializer()


class RecommendationListSerializer(serializers.Serializer):
    model_version = serializers.CharField(allow_null=True, help_text="null before any training")
    results = RecommendationSerializer(many=True)


class TasteSerializer(serializers.Serializer):
    liked = TagWeightSerializer(many=True)
    disliked = TagWeightSerializer(many=True)


class ProfileSerializer(serializers.ModelSerializer):
    username = serializers.CharField(source="user.username", read_only=True)
    nsfw_ok = StrictBooleanField(required=False, help_text="Show adult works")
    is_shared = StrictBooleanField(required=False, help_text="Public profile at /users/<name>")
    research_ok = StrictBooleanField(
        required=False, help_text="Your ratings may train the recommender"
    )

    class Meta:
        model = Profile
        fields = ["username", "nsfw_ok", "is_shared", "research_ok"]


class PublicProfileSerializer(serializers.Serializer):
    username = serializers.CharField()
    date_joined = serializers.DateTimeField()
    nb_ratings = serializers.IntegerField()
    distribution = serializers.DictField(child=serializers.IntegerField())
    favorites = WorkSummarySerializer(many=True)


class DeckSerializer(serializers.Serializer):
    category = serializers.CharField()
    slot = serializers.CharField()
    cards = CardSerializer(many=True)
