"""The taste map page: the catalogue's layout from the active model, its regions, where
the person stands and their top recommendations on it."""

import json

from django.shortcuts import get_object_or_404, render
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from mangaki.choices import PREDICTION_LABELS, Choice
from mangaki.models import Category
from mangaki.services.onboarding import session_ratings
from mangaki.services.tastemap import taste_map

#: Works of each region listed in the map's text alternative.
LISTED_PER_REGION = 8


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
            "near": _near(payload),
            "regions": _regions(payload),
        },
    )


def _near(payload) -> list[dict]:
    """The recommendations beside the map, with their predicted choice as words."""
    if not payload:
        return []
    return [
        {
            "id": i,
            "title": t,
            "predicted": PREDICTION_LABELS[p],
            "region": r,
            "placed": x is not None,
        }
        for i, t, p, r, x, _y in payload["near"]
    ]


def _regions(payload) -> list[dict]:
    """The map as a list: each region's name and its most rated works drawn (the works
    come most rated first in the payload)."""
    if not payload or not payload["works"]:
        return []
    listed: dict[int, list] = {}
    for work_id, _x, _y, title, _choice, _guess, region in payload["works"]:
        listed.setdefault(region, []).append((work_id, title))
    return [
        {
            "label": label or _("Unnamed region"),
            "n": n,
            "works": listed.get(r, [])[:LISTED_PER_REGION],
        }
        for r, label, _x, _y, n in payload["regions"]
    ]


def _labels() -> dict:
    """What the script writes in the tooltip, translated here."""
    return {
        "choices": {c.value: str(c.label) for c in Choice},
        "predicted": {k.value: str(v) for k, v in PREDICTION_LABELS.items()},
        "rated": _("you rated it: %(choice)s"),
        "recommended": _("in your top recommendations"),
        "region": _("region: %(name)s"),
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
