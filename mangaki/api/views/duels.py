"""The duel deck: which of two works you have seen do you prefer, and the ranking it gives.

The same deck as the page (``/duel/<category>/``, docs/groups-and-duels.md), through
:mod:`mangaki.services.duels`. Answers count against the page's ``deck`` limit as well as
the API's rate: page and API share one budget per person.
"""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from mangaki.api import examples
from mangaki.api.duel_serializers import (
    DuelAnswerSerializer,
    DuelInputSerializer,
    NextPairSerializer,
    RankedSerializer,
)
from mangaki.api.permissions import IsSignedIn
from mangaki.api.throttles import DeckThrottle
from mangaki.models import Category
from mangaki.services.duels import DuelError, answer_duel, duel_ranking, next_pair, why_no_pair


def _category(slug: str) -> Category:
    return get_object_or_404(Category, slug=slug)


class MyDuel(APIView):
    permission_classes = [IsSignedIn]

    def get_throttles(self):
        return [*super().get_throttles(), DeckThrottle()]

    @extend_schema(
        tags=["duels"],
        responses=NextPairSerializer,
        examples=[examples.DUEL_PAIR, examples.NO_DUEL_PAIR],
    )
    def get(self, request, category: str):
        """Two works of the category you rated as seen, to say which you prefer, with the
        token to answer with; ``pair`` is null, and ``reason`` says why, when there is
        nothing (left) to compare. Each call draws a new pair with a new token."""
        category_obj = _category(category)
        pair = next_pair(request.user, category_obj.pk)
        data = {
            "category": category_obj.slug,
            "pair": pair,
            "reason": None if pair is not None else why_no_pair(request.user, category_obj.pk),
        }
        return Response(NextPairSerializer(data, context={"request": request}).data)

    @extend_schema(
        tags=["duels"],
        request=DuelInputSerializer,
        responses={
            201: OpenApiResponse(DuelAnswerSerializer, description="The answer was recorded"),
            200: OpenApiResponse(
                DuelAnswerSerializer,
                description="This token was answered before: nothing recorded, the first "
                "answer is returned with recorded false",
            ),
        },
        examples=[examples.DUEL_ANSWER, examples.DUEL_SKIP, examples.DUEL_RECORDED],
    )
    def post(self, request, category: str):
        """Answer a pair: ``winner`` is the work you prefer, or null to skip. Idempotent
        per token: posting the same token again (a double click, a retry) records nothing
        more and answers 200 with the first answer. Both works must be of this category
        and rated by you as seen. Answers also count against the duel page's limit
        (``deck``, 60 a minute unless the site sets another): 429 beyond it."""
        category_obj = _category(category)
        body = DuelInputSerializer(data=request.data, context={"category": category_obj})
        body.is_valid(raise_exception=True)
        data = body.validated_data
        try:
            answer = answer_duel(
                request.user, data["token"], data["left"], data["right"], data["winner"]
            )
        except DuelError as error:  # e.g. a work not (or no longer) rated as seen
            raise ValidationError(str(error)) from error
        return Response(
            DuelAnswerSerializer(answer).data,
            status=status.HTTP_201_CREATED if answer.recorded else status.HTTP_200_OK,
        )


@extend_schema(tags=["duels"], examples=[examples.DUEL_RANKING])
class MyDuelRanking(generics.ListAPIView):
    """The works of the category you compared, strongest first (Bradley-Terry strength from
    your answers; skips count for nothing), with their wins and losses."""

    serializer_class = RankedSerializer
    permission_classes = [IsSignedIn]

    def get_queryset(self):
        category = _category(self.kwargs["category"])
        return duel_ranking(self.request.user, category.pk)
