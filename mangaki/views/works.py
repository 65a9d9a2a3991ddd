"""Catalogue pages: home, rankings per category, work page, rating a work."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from mangaki.choices import SHORTCUTS, Choice
from mangaki.models import Category, Rating, TaggedWork, Work
from mangaki.services.ratings import RatingError, rate_work, remove_rating

RANKINGS = {
    "top": ("Top", "top"),
    "pearls": ("Pearls", "pearls"),
    "popular": ("Popular", "popular"),
    "controversial": ("Controversial", "controversial"),
}
PAGE_SIZE = 24


def _visible(request, category: Category | None = None):
    works = Work.objects.safe_for(request.user).select_related("category")
    if category is not None:
        works = works.filter(category=category)
    return works


def home(request):
    sections = []
    for category in Category.objects.all():
        works = _visible(request, category)
        sections.append(
            {
                "category": category,
                "top": list(works.top()[:8]),
                "popular": list(works.popular()[:8]),
            }
        )
    return render(request, "mangaki/home.html", {"sections": sections})


def work_list(request, category: str):
    category_obj = get_object_or_404(Category, slug=category)
    sort = request.GET.get("sort", "popular")
    if sort not in RANKINGS:
        sort = "popular"
    works = _visible(request, category_obj)
    query = request.GET.get("q", "").strip()
    if query:
        works = works.search(query).popular()
    else:
        works = getattr(works, RANKINGS[sort][1])()
    page = Paginator(works, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "mangaki/work_list.html",
        {
            "category": category_obj,
            "page": page,
            "sort": sort,
            "rankings": RANKINGS,
            "query": query,
        },
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
    distribution = work.rating_distribution()
    top = max((n for _, _, n in distribution), default=0) or 1
    return render(
        request,
        "mangaki/work_detail.html",
        {
            "work": work,
            "tags": tags,
            "titles": work.titles.all(),
            "my_rating": my_rating,
            "choices": [(c.value, c.label, SHORTCUTS[c]) for c in Choice],
            "distribution": [(v, label, n, round(100 * n / top)) for v, label, n in distribution],
        },
    )


@login_required
@require_POST
def rate(request, pk: int):
    choice = request.POST.get("choice", "")
    try:
        if choice == "clear":
            remove_rating(request.user, pk)
        else:
            rate_work(request.user, pk, choice)
    except RatingError as exc:
        if not Work.objects.filter(pk=pk).exists():
            raise Http404(str(exc)) from exc
        return HttpResponseBadRequest(str(exc))
    if choice != "clear":
        messages.success(request, f"Rated: {Choice(choice).label}")
    # "Not interested" on the recommendations page returns there; only local URLs are followed.
    back = request.POST.get("next", "")
    if back and url_has_allowed_host_and_scheme(back, {request.get_host()}, request.is_secure()):
        return redirect(back)
    return redirect("work-detail", pk=pk)
