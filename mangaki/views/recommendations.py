"""Explained recommendations and the taste of the person asking."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, render

from mangaki.models import Category
from recommender.registry import active_version
from recommender.serving import recommend, taste


@login_required
def recommendations(request, category: str = "anime"):
    category_obj = get_object_or_404(Category, slug=category)
    items = recommend(request.user, category_id=category_obj.pk, n=24)
    return render(
        request,
        "mangaki/recommendations.html",
        {
            "category": category_obj,
            "items": items,
            "taste": taste(request.user, k=5),
            "model_version": active_version(),
            "n_ratings": request.user.ratings.count(),
        },
    )
