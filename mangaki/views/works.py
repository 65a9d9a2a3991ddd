"""Catalogue pages: home, rankings per category, work page, rating a work."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from mangaki.choices import SHORTCUTS, Choice
from mangaki.models import Category, Rating, TaggedWork, Work
from mangaki.models.catalog import CARD_FIELDS
from mangaki.security.pages import limited
from mangaki.services.ratings import RatingError, rate_work, remove_rating
from mangaki.services.similar import neighbours

RANKINGS = {
    "top": (gettext_lazy("Top"), "top"),
    "pearls": (gettext_lazy("Pearls"), "pearls"),
    "popular": (gettext_lazy("Popular"), "popular"),
    "controversial": (gettext_lazy("Controversial"), "controversial"),
}
PAGE_SIZE = 24


def _visible(request, category: Category | None = None, ranking: str | None = None):
    works = Work.objects.all() if category is None else Work.objects.filter(category=category)
    # One ranking rule for pages, API and decks (WorkQuerySet.ranked_for).
    works = works.ranked_for(request.user, ranking) if ranking else works.safe_for(request.user)
    # Lists show cards only: leaving out the rest, the synopsis and the poster embedding
    # above all (5 kB a work), keeps a deep page's sort of the whole category small.
    return works.select_related("category").only(*CARD_FIELDS)


def home(request):
    sections = [
        {
            "category": category,
            "top": list(_visible(request, category, "top")[:8]),
            "popular": list(_visible(request, category, "popular")[:8]),
        }
        for category in Category.objects.all()
    ]
    return render(request, "mangaki/home.html", {"sections": sections})


class RankingPaginator(Paginator):
    """Pages of a ranking. Past ``DEEP_OFFSET`` works, the page query sorts only ids, in a
    subquery, then loads the cards of the page's works: sorting whole rows made PostgreSQL
    carry every card's columns through the sort of the whole category (60 ms for the last
    of 417 pages, 20 ms this way), in the same number of queries. Near the top, where the
    database keeps only the best rows while sorting, the subquery would only cost more."""

    DEEP_OFFSET = 1000

    def page(self, number):
        page = super().page(number)
        if page.start_index() > self.DEEP_OFFSET:
            page.object_list = self.object_list.filter(pk__in=page.object_list.values("pk"))
        return page


def work_list(request, category: str):
    category_obj = get_object_or_404(Category, slug=category)
    sort = request.GET.get("sort", "popular")
    if sort not in RANKINGS:
        sort = "popular"
    query = request.GET.get("q", "").strip()
    error = None
    paginator = RankingPaginator
    if query:
        paginator = Paginator  # a few hundred matches at most, ranked by costly expressions
        works = _visible(request, category_obj)
        try:
            works = works.search(query)  # best match first
        except ValueError as exc:
            error, works = str(exc), works.none()
    else:
        works = _visible(request, category_obj, RANKINGS[sort][1])
    page = paginator(works, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "mangaki/work_list.html",
        {
            "category": category_obj,
            "page": page,
            "sort": sort,
            "rankings": RANKINGS,
            "query": query,
            "error": error,
        },
        status=400 if error else 200,
    )


def work_detail(request, pk: int):
    work = get_object_or_404(Work.objects.select_related("category"), pk=pk)
    if work.nsfw and work not in Work.objects.safe_for(request.user).filter(pk=pk):
        raise Http404("This work is hidden by your adult-content setting.")
    tags = (
        TaggedWork.objects.filter(work=work)
        .select_related("tag")
        .order_by("source", "-weight", "tag__name")
    )
    my_rating = None
    if request.user.is_authenticated:
        my_rating = (
            Rating.objects.filter(user=request.user, work=work)
            .values_list("choice", flat=True)
            .first()
        )
    lists = neighbours(work, request.user)
    return render(
        request,
        "mangaki/work_detail.html",
        {
            "work": work,
            "tags": tags,
            "titles": work.titles.all(),
            "my_rating": my_rating,
            "choices": [(c.value, c.label, SHORTCUTS[c]) for c in Choice],
            "chart": _chart(work.rating_distribution()),
            "similar": lists.similar,
            "looks_alike": lists.looks_alike,
        },
    )


def _chart(distribution) -> dict:
    """Counts and shares of each choice; bars are scaled to the largest count so that small
    differences stay visible, and the percentages say the share of all ratings."""
    total = sum(n for _, _, n in distribution)
    largest = max((n for _, _, n in distribution), default=0) or 1
    rows = [
        {
            "value": value,
            "label": label,
            "count": n,
            "percent": round(100 * n / total) if total else 0,
            "width": round(100 * n / largest),
        }
        for value, label, n in distribution
    ]
    return {"total": total, "rows": rows}


@login_required
@require_POST
@limited("rate")
def rate(request, pk: int):
    choice = request.POST.get("choice", "")
    try:
        if choice == "clear":
            remove_rating(request.user, pk)
        else:
            rate_work(request.user, pk, choice)
    except RatingError as exc:
        if not Work.objects.safe_for(request.user).filter(pk=pk).exists():
            raise Http404(str(exc)) from exc
        return HttpResponseBadRequest(str(exc))
    if choice != "clear":
        messages.success(request, _("Rated: %(choice)s") % {"choice": Choice(choice).label})
    # "Not interested" on the recommendations page returns there; only local URLs are followed.
    back = request.POST.get("next", "")
    if back and url_has_allowed_host_and_scheme(back, {request.get_host()}, request.is_secure()):
        return redirect(back)
    return redirect("work-detail", pk=pk)
