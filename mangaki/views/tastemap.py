"""The taste map page: works in 2-D from the active model, and where your taste points."""

import json

from django.shortcuts import get_object_or_404, render
from django.utils.safestring import mark_safe
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
        {
            "category": category_obj,
            "payload": payload,
            "payload_json": _script_json(payload),
            "labels": _labels(),
        },
    )


def _labels() -> dict:
    """What the script writes in the tooltip, translated here."""
    return {
        "choices": {c.value: str(c.label) for c in Choice},
        "rated": _("you rated it: %(choice)s"),
        "predicted": _("predicted for you: %(score)s"),
        "you": _("you"),
    }


def _script_json(value) -> str:
    """``value`` as JSON to put inside ``<script type="application/json">``, escaped as the
    ``json_script`` filter does (``<``, ``>`` and ``&``, so that no title can close the
    element), with ``str.replace``: the filter's ``str.translate`` takes about 10 ms on the
    map's 100 kB, a fifth of the page."""
    text = json.dumps(value, separators=(",", ":"))
    text = text.replace("&", "\\u0026").replace("<", "\\u003C").replace(">", "\\u003E")
    return mark_safe(text)  # noqa: S308 - escaped for a script element just above
