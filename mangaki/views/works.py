"""Catalogue pages: home, rankings per category, work page, rating a work."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from mangaki.choices import PREDICTION_LABELS, SHORTCUTS, Choice, predicted_choice
from mangaki.models import Category, Rating, TaggedWork, Work
from mangaki.models.catalog import CARD_FIELDS
from mangaki.security.pages import limited
from mangaki.services.onboarding import ENOUGH, forget_in_session, rate_in_session, session_ratings
from mangaki.services.ratings import RatingError, rate_work, remove_rating
from mangaki.services.similar import neighbours
from mangaki.views.cards import attach_genres, non_empty_categories, sample_recommendations
from recommender.serving import score_works

RANKINGS = {
    "top": (gettext_lazy("Top"), "top"),
    "pearls": (gettext_lazy("Pearls"), "pearls"),
    "popular": (gettext_lazy("Popular"), "popular"),
    "controversial": (gettext_lazy("Controversial"), "controversial"),
}
#: Page titles and headings of the rankings; "%(category)s" is "anime" or "manga".
RANKING_TITLES = {
    "top": gettext_lazy("Top %(category)s"),
    "pearls": gettext_lazy("Pearls: little-known %(category)s"),
    "popular": gettext_lazy("Popular %(category)s"),
    "controversial": gettext_lazy("Controversial %(category)s"),
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
    """The way in: one obvious start (the deck for a visitor, their next step for a
    member), a sample of what the site gives, then the top and popular works of each
    category that has works."""
    sections = [
        {
            "category": category,
            "top": list(_visible(request, category, "top")[:8]),
            "popular": list(_visible(request, category, "popular")[:8]),
        }
        for category in non_empty_categories()
    ]
    shown = [w for s in sections for w in (*s["top"], *s["popular"])]
    context = {"sections": sections, "enough": ENOUGH}
    if request.user.is_authenticated:
        context["n_ratings"] = Rating.objects.filter(user=request.user).count()
    elif sections:
        context["sample"] = sample_recommendations(sections[0]["category"])
        shown += [rec.work for rec in context["sample"].items]
    attach_genres(shown)
    return render(request, "mangaki/home.html", context)


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
    page.object_list = list(page.object_list)
    attach_genres(page.object_list)
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
            "title": _list_title(category_obj, sort, query),
            "empty_category": not query and not page.object_list and _is_empty(category_obj),
        },
        status=400 if error else 200,
    )


def _list_title(category: Category, sort: str, query: str) -> str:
    """The page's title says what it is: "Top anime", "Popular manga", a search."""
    if query:
        return _("“%(query)s” in %(category)s") % {"query": query, "category": category.name}
    return RANKING_TITLES[sort] % {"category": category.name.lower()}


def _is_empty(category: Category) -> bool:
    return not Work.objects.filter(category=category).exists()


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
        pairs = None  # the member's ratings, read by the model's fold
    else:
        pairs = session_ratings(request.session)
        my_rating = dict(pairs).get(work.pk)
    prediction = None
    if my_rating is None and (request.user.is_authenticated or pairs):
        score = score_works(request.user, [work.pk], ratings=pairs).get(work.pk)
        if score is not None:
            prediction = predicted_choice(score)
    lists = neighbours(work, request.user)
    attach_genres([work, *(lists.similar or ()), *(lists.looks_alike or ())])
    return render(
        request,
        "mangaki/work_detail.html",
        {
            "work": work,
            "tags": tags,
            "titles": work.titles.all(),
            "my_rating": my_rating,
            "prediction": prediction,
            "prediction_label": PREDICTION_LABELS.get(prediction, ""),
            "anonymous": not request.user.is_authenticated,
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


@require_POST
@limited("rate")
def rate(request, pk: int):
    """Rate a work from its page or a list. A visitor's rating stays in the session, as in
    the deck, until they sign up. "Not interested" names the work and offers an undo."""
    choice = request.POST.get("choice", "")
    visible = Work.objects.safe_for(request.user).filter(pk=pk)
    try:
        if not request.user.is_authenticated:
            if not visible.exists():
                raise RatingError(_("No such work."))
            if choice == "clear":
                forget_in_session(request.session, pk)
            else:
                rate_in_session(request.session, pk, choice)
        elif choice == "clear":
            remove_rating(request.user, pk)
        else:
            rate_work(request.user, pk, choice)
    except RatingError as exc:
        if not visible.exists():
            raise Http404(str(exc)) from exc
        return HttpResponseBadRequest(str(exc))
    back = request.POST.get("next", "")
    if choice == Choice.WONTSEE and back:
        title = visible.values_list("title", flat=True).first() or ""
        messages.success(
            request,
            _("“%(title)s”: not interested. It will not be recommended again.") % {"title": title},
            extra_tags=f"undo:{pk}",
        )
    elif choice == "clear" and request.POST.get("undo"):
        messages.success(request, _("Undone."))
    elif choice != "clear":
        messages.success(request, _("Rated: %(choice)s") % {"choice": Choice(choice).label})
    # "Not interested" on the recommendations page returns there; only local URLs are followed.
    back = request.POST.get("next", "")
    if back and url_has_allowed_host_and_scheme(back, {request.get_host()}, request.is_secure()):
        return redirect(back)
    return redirect("work-detail", pk=pk)
