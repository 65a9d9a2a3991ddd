"""Shapes of the duel deck endpoints (``/api/v1/me/duels/<category>``)."""

from rest_framework import serializers

from mangaki.api.serializers import MAX_ID, CardSerializer, StrictIntegerField
from mangaki.models import Work
from mangaki.services.duels import ALL_OFFERED, TOO_FEW_SEEN


class StrictUUIDField(serializers.UUIDField):
    """A UUID written as a JSON string only (DRF's own also takes an integer)."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid", value=data)
        return super().to_internal_value(data)


class PairSerializer(serializers.Serializer):
    token = serializers.UUIDField(help_text="Send it back with the answer to this pair")
    left = CardSerializer()
    right = CardSerializer()


class NextPairSerializer(serializers.Serializer):
    category = serializers.CharField()
    pair = PairSerializer(allow_null=True, help_text="null when there is nothing to compare")
    reason = serializers.ChoiceField(
        choices=[TOO_FEW_SEEN, ALL_OFFERED],
        allow_null=True,
        help_text=f"Why pair is null, else null. {TOO_FEW_SEEN}: fewer than two works of the "
        f"category rated as seen (favorite, like, neutral, dislike); {ALL_OFFERED}: every pair "
        "of them was answered or skipped, rate more works for new pairs",
    )


class DuelInputSerializer(serializers.Serializer):
    """Your answer to a pair: its token, its two works and the one you prefer."""

    token = StrictUUIDField(help_text="The pair's token: a second answer with it records nothing")
    left = StrictIntegerField(min_value=1, max_value=MAX_ID, help_text="The pair's left work")
    right = StrictIntegerField(min_value=1, max_value=MAX_ID, help_text="The pair's right work")
    winner = StrictIntegerField(
        min_value=1,
        max_value=MAX_ID,
        allow_null=True,
        help_text="The work you prefer (left or right), or null to skip (can't decide)",
    )

    def validate(self, data):
        left, right, winner = data["left"], data["right"], data["winner"]
        if left == right:
            raise serializers.ValidationError({"right": ["A duel needs two different works."]})
        if winner is not None and winner not in (left, right):
            raise serializers.ValidationError(
                {"winner": ["Give the id of the left or the right work, or null to skip."]}
            )
        # The works must be of the category in the address, as the pair was drawn from it.
        category = self.context["category"]
        found = set(
            Work.objects.filter(pk__in=(left, right), category=category).values_list(
                "pk", flat=True
            )
        )
        missing = {
            side: [f"There is no work with id {data[side]} in {category.slug}."]
            for side in ("left", "right")
            if data[side] not in found
        }
        if missing:
            raise serializers.ValidationError(missing)
        return data


class DuelAnswerSerializer(serializers.Serializer):
    token = serializers.UUIDField()
    recorded = serializers.BooleanField(
        help_text="false: this pair had already been answered; nothing was recorded and the "
        "first answer is returned (a double click, a retried request)"
    )
    winner = serializers.IntegerField(allow_null=True, help_text="The work preferred; null: a skip")
    works = serializers.ListField(
        child=serializers.IntegerField(),
        min_length=2,
        max_length=2,
        help_text="The ids of the pair's two works, smaller first",
    )
    date = serializers.DateTimeField(help_text="When the (first) answer was recorded")

    def to_representation(self, answer):
        duel = answer.duel
        return super().to_representation(
            {
                "token": duel.token,
                "recorded": answer.recorded,
                "winner": None if duel.skipped else duel.winner_id,
                "works": sorted((duel.winner_id, duel.loser_id)),
                "date": duel.date,
            }
        )


class RankedSerializer(serializers.Serializer):
    work = CardSerializer()
    strength = serializers.FloatField(
        help_text="Bradley-Terry log-strength: 0 won as often as it lost, each point more is "
        "e times the odds of being preferred"
    )
    wins = serializers.IntegerField()
    losses = serializers.IntegerField()
