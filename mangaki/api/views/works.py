"""Works: list with filters, detail, rankings and title autocomplete."""

from django.db.models import Prefetch
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from mangaki.api import examples
from mangaki.api.catalog import RANKINGS, similar_works
from mangaki.api.serializers import (
    AutocompleteQuerySerializer,
    AutocompleteSerializer,
    WorkDetailSerializer,
    WorkFilterSerializer,
    WorkSummarySerializer,
)
from mangaki.api.views._common import query_params
from mangaki.models import Category, Rating, TaggedWork, Work


def visible_works(user):
    """Works this person may see, with what the summary needs in the same query."""
    return (
        Work.objects.safe_for(user).select_related("category").defer("poster_embedding", "synopsis")
    )


@extend_schema(tags=["works"], parameters=[WorkFilterSerializer], examples=[examples.WORK_LIST])
class WorkList(generics.ListAPIView):
    """Works, most rated first; filter by category, type, tag, year or a title search."""

    serializer_class = WorkSummarySerializer

    def get_queryset(self):
        params = query_params(WorkFilterSerializer, self.request)
        works = visible_works(self.request.user)
        if "category" in params:
            works = works.filter(category__slug=params["category"])
        if "type" in params:
            works = works.filter(work_type=params["type"])
        if "year" in params:
            works = works.filter(start_date__year=params["year"])
        if "tag" in params:
            works = works.filter(
                pk__in=TaggedWork.objects.filter(tag__slug=params["tag"]).values("work_id")
            )
        if params.get("q", "").strip():
            return works.search(params["q"])  # best match first
        return works.popular()


@extend_schema(tags=["works"], examples=[examples.WORK_DETAIL])
class WorkDetail(generics.RetrieveAPIView):
    """A work with its titles, tags, rating distribution, similar works and your rating."""

    serializer_class = WorkDetailSerializer
    lookup_url_kwarg = "work_id"

    def get_queryset(self):
        tags = TaggedWork.objects.select_related("tag").order_by("source", "-weight", "tag__name")
        return (
            Work.objects.safe_for(self.request.user)
            .select_related("category")
            .defer("poster_embedding")
            .prefetch_related("titles", Prefetch("tagged", queryset=tags))
        )

    def get_object(self):
        work = super().get_object()
        user = self.request.user
        work.similar = similar_works(work, user)
        work.my_rating = (
            Rating.objects.filter(user=user, work=work).values_list("choice", flat=True).first()
            if user.is_authenticated
            else None
        )
        return work


@extend_schema(
    tags=["works"],
    parameters=[OpenApiParameter("ranking", str, OpenApiParameter.PATH, enum=list(RANKINGS))],
)
class Ranking(generics.ListAPIView):
    """A ranking of a category: top, pearls (loved by few), popular or controversial."""

    serializer_class = WorkSummarySerializer

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        # An empty ranking may be an unknown category (one more query, only then).
        if not page and not Category.objects.filter(slug=self.kwargs["category"]).exists():
            raise NotFound(f"There is no category {self.kwargs['category']!r}.")
        return page

    def get_queryset(self):
        works = Work.objects.filter(category__slug=self.kwargs["category"])
        return (
            works.ranked_for(self.request.user, self.kwargs["ranking"])
            .select_related("category")
            .defer("poster_embedding", "synopsis")
        )


@extend_schema(
    tags=["works"],
    parameters=[AutocompleteQuerySerializer],
    responses=AutocompleteSerializer(many=True),
    examples=[examples.AUTOCOMPLETE],
)
class Autocomplete(APIView):
    """Works whose title or an alternative title matches ``q`` (case and accents ignored),
    best match first: the same search as the site's."""

    def get(self, request):
        params = query_params(AutocompleteQuerySerializer, request)
        works = Work.objects.safe_for(request.user).select_related("category").search(params["q"])
        if "category" in params:
            works = works.filter(category__slug=params["category"])
        works = works.only("pk", "title", "start_date", "category__slug")
        return Response(AutocompleteSerializer(works[: params["limit"]], many=True).data)
