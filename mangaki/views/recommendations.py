"""Explained recommendations and the taste of the person asking."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, render

from mangaki.models import Category, Work
from mangaki.views.cards import attach_genres
from recommender.registry import active_version
from recommender.serving import recommend_lists, taste, user_ratings


@login_required
def recommendations(request, category: str = "anime"):
    category_obj = get_object_or_404(Category, slug=category)
    try:
        min_popularity = max(0, int(request.GET.get("min_popularity") or 0))
    except ValueError:
        min_popularity = 0
    # Adult works only for those whose profile allows them, whatever the query says.
    include_nsfw = request.user.profile.nsfw_ok and request.GET.get("nsfw") == "on"
    # Hidden unless the submitted filter form (it carries "filtered") left the box unticked.
    hide_wontsee = "filtered" not in request.GET or request.GET.get("hide_wontsee") == "on"
    rated = user_ratings(request.user)  # once, for the lists, the taste and the count
    items, discover = recommend_lists(
        request.user,
        member_ratings=rated,
        category_id=category_obj.pk,
        n=24,
        discover_n=4,
        include_nsfw=include_nsfw,
        min_popularity=min_popularity,
        show_wontsee=not hide_wontsee,
    )
    attach_genres([rec.work for rec in (*items, *discover)])
    return render(
        request,
        "mangaki/recommendations.html",
        {
            "category": category_obj,
            "items": items,
            "discover": discover if items else [],
            "taste": taste(ratings=rated, k=5),
            "model_version": active_version(),
            "n_ratings": len(rated),
            "min_popularity": min_popularity,
            "include_nsfw": include_nsfw,
            "hide_wontsee": hide_wontsee,
            # An empty category's page says so, not "rate a few works first".
            "category_empty": not items and not Work.objects.filter(category=category_obj).exists(),
        },
    )
