"""Title suggestions for the header's search box (static/js/search.js)."""

from django.http import JsonResponse
from django.views.decorators.http import require_GET

from mangaki.models import Work
from mangaki.security.pages import limited
from mangaki.security.urls import safe_poster_url

SUGGESTIONS = 8


@require_GET
@limited("suggest", methods=("GET",))
def suggest(request):
    """Up to eight works for ``?q=`` (optionally within ``?category=``), best match first,
    each saying which alternative title matched when that is what was found."""
    query = request.GET.get("q", "")
    try:
        works = (
            Work.objects.safe_for(request.user)
            .select_related("category")
            .only("title", "start_date", "poster", "poster_url", "category__slug", "category__name")
            .search(query)
        )
    except ValueError as exc:
        return JsonResponse({"error": str(exc)}, status=400)
    if category := request.GET.get("category"):
        works = works.filter(category__slug=category)
    return JsonResponse(
        {"query": query, "results": [_suggestion(work) for work in works[:SUGGESTIONS]]}
    )


def _suggestion(work: Work) -> dict:
    return {
        "id": work.pk,
        "title": work.title,
        "also_known_as": work.matched_title,
        "year": work.year,
        "category": work.category.slug,
        "category_name": work.category.name,
        "url": work.get_absolute_url(),
        # None when the work has no poster: the script shows the placeholder.
        "poster": work.poster.url if work.poster else safe_poster_url(work.poster_url) or None,
    }
