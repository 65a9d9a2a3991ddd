"""The caller's own ratings: list, read, idempotent upsert, removal, bulk upsert.

Writes go through mangaki.services.ratings only (atomic upsert, counters, cache version).
One rule for adult works: a work hidden from the caller (no ``nsfw_ok``) does not exist
for them, so rating it answers 404 like ``GET /works/<id>``. Removing one's own rating
always works, and is idempotent: removing a rating that is not there answers 204 too.
"""

from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from mangaki.api import examples
from mangaki.api.permissions import IsSignedIn
from mangaki.api.serializers import (
    MAX_BULK,
    BulkRatingItemSerializer,
    BulkResultSerializer,
    RatingInputSerializer,
    RatingSerializer,
)
from mangaki.models import Rating, Work
from mangaki.services.ratings import RatingError, rate_many, rate_work, remove_rating


def _my_ratings(user):
    return (
        Rating.objects.filter(user=user)
        .select_related("work__category")
        .defer("work__poster_embedding", "work__synopsis")
    )


@extend_schema(tags=["ratings"])
class MyRatingList(generics.ListAPIView):
    """Your ratings, newest first."""

    serializer_class = RatingSerializer
    permission_classes = [IsSignedIn]

    def get_queryset(self):
        return _my_ratings(self.request.user).order_by("-date", "-pk")


class MyRating(APIView):
    """Your rating of one work."""

    permission_classes = [IsSignedIn]

    def _rating(self, work_id: int) -> Rating:
        rating = _my_ratings(self.request.user).filter(work_id=work_id).first()
        if rating is None:
            raise NotFound("You have not rated this work.")
        return rating

    @extend_schema(tags=["ratings"], responses=RatingSerializer)
    def get(self, request, work_id: int):
        return Response(RatingSerializer(self._rating(work_id), context={"request": request}).data)

    @extend_schema(
        tags=["ratings"],
        request=RatingInputSerializer,
        responses=RatingSerializer,
        examples=[examples.RATING_PUT],
        description="Set or change your rating (idempotent: the same call twice is one rating).",
    )
    def put(self, request, work_id: int):
        serializer = RatingInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        if not Work.objects.safe_for(request.user).filter(pk=work_id).exists():
            raise NotFound(f"There is no work with id {work_id}.")
        try:
            rate_work(request.user, work_id, serializer.validated_data["choice"])
        except RatingError as exc:  # the work was deleted meanwhile
            raise NotFound(str(exc)) from exc
        return Response(RatingSerializer(self._rating(work_id), context={"request": request}).data)

    @extend_schema(
        tags=["ratings"],
        responses={204: None},
        description="Remove your rating; idempotent: 204 also when there was none.",
    )
    def delete(self, request, work_id: int):
        if (
            not remove_rating(request.user, work_id)
            and not Work.objects.filter(pk=work_id).exists()
        ):
            raise NotFound(f"There is no work with id {work_id}.")
        return Response(status=status.HTTP_204_NO_CONTENT)


class MyRatingBulk(APIView):
    """Set many ratings at once: all are written, or none if any item is invalid."""

    permission_classes = [IsSignedIn]

    @extend_schema(
        tags=["ratings"],
        request=BulkRatingItemSerializer(many=True),
        responses=BulkResultSerializer,
        examples=[examples.BULK],
    )
    def post(self, request):
        items = BulkRatingItemSerializer(data=request.data, many=True, max_length=MAX_BULK)
        items.is_valid(raise_exception=True)
        pairs = [(item["work"], item["choice"]) for item in items.validated_data]
        known = set(
            Work.objects.safe_for(request.user)
            .filter(pk__in={w for w, _ in pairs})
            .values_list("pk", flat=True)
        )
        if len(known) < len({w for w, _ in pairs}):
            raise ValidationError(
                [
                    {} if w in known else {"work": [f"There is no work with id {w}."]}
                    for w, _ in pairs
                ]
            )
        try:
            count = rate_many(request.user, pairs)
        except RatingError as exc:  # a work deleted between the check and the write
            raise ValidationError(str(exc)) from exc
        return Response({"count": count})
