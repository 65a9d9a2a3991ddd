"""A person's profile: ratings grouped by choice, watchlist by predicted rating, taste.

Visible to its owner always, to others only when the owner made it public (is_shared) and
the account is active (:mod:`mangaki.services.profiles`, the API's rule too); otherwise it
does not exist for them (404, so usernames cannot be probed).

The page shows the first works of each group; ``?group=<choice>`` (or ``watchlist``) lists
one group in full, page by page. Only the works shown are loaded: a member with hundreds
of ratings would otherwise cost a card each (about half a millisecond) on every visit.
"""

from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render

from mangaki.choices import Choice
from mangaki.models import Rating, Work
from mangaki.models.catalog import CARD_FIELDS
from mangaki.services.profiles import visible_profile_owner
from mangaki.views.cards import attach_genres
from recommender.serving import score_works, taste

PREVIEW = 8  # works per group on the profile page
GROUP_PAGE = 48  # works per page of one group
WATCHLIST = "watchlist"


def _can_see_adult(viewer) -> bool:
    return viewer.is_authenticated and viewer.profile.nsfw_ok


def profile(request, username: str):
    owner = visible_profile_owner(username, request.user)
    if owner is None:
        raise Http404("No such profile.")
    is_me = request.user.is_authenticated and request.user.pk == owner.pk
    ratings = Rating.objects.filter(user=owner).order_by("-date", "pk")
    if not _can_see_adult(request.user if not is_me else owner):
        ratings = ratings.filter(work__nsfw=False)
    pairs = list(ratings.values_list("work_id", "choice"))
    by_choice = {c.value: [] for c in Choice}
    for work_id, choice in pairs:
        by_choice[choice].append(work_id)
    watchlist = by_choice[Choice.WILLSEE]
    scores = score_works(owner, watchlist, ratings=pairs)
    # Best predicted first; works the model cannot score yet keep their date order, last.
    by_choice[WATCHLIST] = sorted(watchlist, key=lambda w: (w not in scores, -scores.get(w, 0.0)))

    group = request.GET.get("group")
    if group == Choice.WILLSEE:
        group = WATCHLIST  # "want to see" is shown as the watchlist
    page = None
    if group in by_choice:
        page = Paginator(by_choice[group], GROUP_PAGE).get_page(request.GET.get("page"))
        shown = {group: list(page.object_list)}
    else:
        group = None
        shown = {key: ids[:PREVIEW] for key, ids in by_choice.items()}
    works = Work.objects.only(*CARD_FIELDS).in_bulk([pk for ids in shown.values() for pk in ids])
    attach_genres(works.values())
    return render(
        request,
        "mangaki/profile.html",
        {
            "owner": owner,
            "is_me": is_me,
            "group": group,
            "page": page,
            # "Want to see" is the watchlist, shown once, in its own order.
            "groups": [
                (c.value, c.label, [works[pk] for pk in shown[c.value]], len(by_choice[c.value]))
                for c in Choice
                if c != Choice.WILLSEE and shown.get(c.value)
            ],
            # The predicted rating, shown as words by the {% prediction %} tag.
            "watchlist": [(works[pk], scores.get(pk)) for pk in shown.get(WATCHLIST, [])],
            "watchlist_total": len(watchlist),
            "taste": taste(owner, ratings=pairs, k=5) if group is None else None,
            "n_ratings": len(pairs),
        },
    )
