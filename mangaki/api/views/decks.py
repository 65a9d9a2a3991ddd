"""Card decks for quick rating: a ranking's works you have not rated yet."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from mangaki.api import examples
from mangaki.api.catalog import DECK_SLOTS, deck
from mangaki.api.serializers import DeckQuerySerializer, DeckSerializer
from mangaki.api.views._common import query_params
from mangaki.models import Category


class Deck(APIView):
    @extend_schema(
        tags=["decks"],
        parameters=[
            DeckQuerySerializer,
            OpenApiParameter("slot", str, OpenApiParameter.PATH, enum=list(DECK_SLOTS)),
        ],
        responses=DeckSerializer,
        examples=[examples.DECK],
    )
    def get(self, request, category: str, slot: str):
        """Up to ``n`` cards of a slot (popular, controversial, top, pearls, random),
        leaving out the works you rated."""
        params = query_params(DeckQuerySerializer, request)
        category_obj = get_object_or_404(Category, slug=category)
        cards = deck(request.user, category_obj, slot, n=params["n"])
        data = {"category": category_obj.slug, "slot": slot, "cards": cards}
        return Response(DeckSerializer(data, context={"request": request}).data)
