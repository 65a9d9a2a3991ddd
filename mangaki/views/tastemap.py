"""The taste map page: works in 2-D from the active model, and where your taste points."""

from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _

from mangaki.choices import Choice
from mangaki.models import Category
from mangaki.services.onboarding import session_ratings
from mangaki.services.tastemap import taste_map


def taste_map_page(request, category: str):
    category_obj = get_object_or_404(Category, slug=category)
    if request.user.is_authenticated:
        payload = taste_map(category_obj, request.user, include_nsfw=request.user.profile.nsfw_ok)
    else:
        # A visitor's deck ratings live in the session until sign-up.
        payload = taste_map(category_obj, ratings=session_ratings(request.session))
    return render(
        request,
        "mangaki/taste_map.html",
        {"category": category_obj, "payload": payload, "labels": _labels()},
    )


def _labels() -> dict:
    """What the script writes in the tooltip, translated here."""
    return {
        "choices": {c.value: str(c.label) for c in Choice},
        "rated": _("you rated it: %(choice)s"),
        "predicted": _("predicted for you: %(score)s"),
        "you": _("you"),
    }
