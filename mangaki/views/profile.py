"""A person's profile: ratings grouped by choice, watchlist by predicted rating, taste.

Visible to its owner always, to others only when the owner made it public (is_shared);
otherwise it does not exist for them (404, so usernames cannot be probed).
"""

from django.contrib.auth import get_user_model
from django.http import Http404
from django.shortcuts import get_object_or_404, render

from mangaki.choices import Choice
from mangaki.models import Rating
from recommender.serving import score_works, taste


def _can_see_adult(viewer) -> bool:
    return viewer.is_authenticated and viewer.profile.nsfw_ok


def profile(request, username: str):
    owner = get_object_or_404(get_user_model().objects.select_related("profile"), username=username)
    is_me = request.user.is_authenticated and request.user.pk == owner.pk
    if not is_me and not owner.profile.is_shared:
        raise Http404("No such profile.")
    ratings = (
        Rating.objects.filter(user=owner)
        .select_related("work", "work__category")
        .defer("work__poster_embedding", "work__synopsis")
        .order_by("-date", "pk")
    )
    if not _can_see_adult(request.user if not is_me else owner):
        ratings = ratings.filter(work__nsfw=False)
    ratings = list(ratings)
    by_choice = {c.value: [] for c in Choice}
    for rating in ratings:
        by_choice[rating.choice].append(rating.work)
    pairs = [(r.work_id, r.choice) for r in ratings]
    watchlist = by_choice[Choice.WILLSEE]
    scores = score_works(owner, [w.pk for w in watchlist], ratings=pairs)
    # Best predicted first; works the model cannot score yet keep their date order, last.
    ranked = sorted(watchlist, key=lambda w: (w.pk not in scores, -scores.get(w.pk, 0.0)))
    return render(
        request,
        "mangaki/profile.html",
        {
            "owner": owner,
            "is_me": is_me,
            "groups": [
                (c.value, c.label, by_choice[c.value]) for c in Choice if by_choice[c.value]
            ],
            "watchlist": [(w, scores.get(w.pk)) for w in ranked],
            "taste": taste(owner, ratings=pairs, k=5),
            "n_ratings": len(ratings),
        },
    )
