"""The rating deck: one card at a time, six choices by click or key, undo, no page reload.

Anyone can use it. A signed-in person's ratings go to the rating service; a visitor's stay
in the session (services.onboarding) until sign-up or log-in moves them to the account.
Without JavaScript every button is a plain form post and the page redirects back.
"""

from django.http import HttpResponseBadRequest, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from mangaki.choices import SHORTCUTS, Choice
from mangaki.models import Category, Work
from mangaki.security.pages import limited
from mangaki.services.decks import DECK_SLOTS, deck
from mangaki.services.onboarding import (
    ENOUGH,
    rate_in_session,
    session_ratings,
    undo_in_session,
)
from mangaki.services.ratings import RatingError, rate_work, remove_rating
from mangaki.views.cards import attach_genres
from recommender.registry import active_version
from recommender.serving import recommend, taste

UNDO_KEY = "deck_undo"  # a signed-in person's recently rated work ids, latest last
UNDO_DEPTH = 50
SLOT_LABELS = {
    "popular": _("Popular"),
    "diverse": _("Diverse"),
    "top": _("Top"),
    "pearls": _("Pearls"),
    "controversial": _("Controversial"),
    "random": _("Random"),
}


def _slot(request) -> str:
    slot = request.POST.get("slot") or request.GET.get("slot") or "popular"
    return slot if slot in DECK_SLOTS else "popular"


def _card_context(request, category: Category, slot: str, card: Work | None = None) -> dict:
    anonymous = not request.user.is_authenticated
    pairs = session_ratings(request.session) if anonymous else []
    if card is None:
        found = deck(request.user, category, slot, n=1, exclude=[w for w, _ in pairs])
        card = found[0] if found else None
    can_undo = bool(pairs) if anonymous else bool(request.session.get(UNDO_KEY))
    attach_genres([card])
    return {
        "category": category,
        "slot": slot,
        "card": card,
        "choices": [(c.value, c.label, SHORTCUTS[c]) for c in Choice],
        "anonymous": anonymous,
        "n_rated": len(pairs),
        "enough": ENOUGH,
        "can_undo": can_undo,
        # "You have rated every work" would be untrue of a category with no work at all.
        "category_empty": card is None and not Work.objects.filter(category=category).exists(),
    }


def _respond(request, category: Category, slot: str, card: Work | None = None):
    context = _card_context(request, category, slot, card)
    if "application/json" in request.headers.get("Accept", ""):
        html = render_to_string("mangaki/deck_card.html", context, request=request)
        return JsonResponse({"html": html, "work": context["card"].pk if context["card"] else None})
    return redirect(f"{reverse('deck', args=[category.slug])}?slot={slot}")


def deck_page(request, category: str):
    category_obj = get_object_or_404(Category, slug=category)
    slot = _slot(request)
    context = _card_context(request, category_obj, slot)
    context["slots"] = [(s, SLOT_LABELS.get(s, s.title())) for s in DECK_SLOTS]
    return render(request, "mangaki/deck.html", context)


@require_POST
@limited("deck")
def rate(request, category: str):
    category_obj = get_object_or_404(Category, slug=category)
    try:
        work_id = int(request.POST.get("work", ""))
    except ValueError:
        return HttpResponseBadRequest(str(_("work must be a work id")))
    choice = request.POST.get("choice", "")
    try:
        if request.user.is_authenticated:
            rate_work(request.user, work_id, choice)
            stack = request.session.get(UNDO_KEY, [])[-(UNDO_DEPTH - 1) :]
            request.session[UNDO_KEY] = [*stack, work_id]
        else:
            rate_in_session(request.session, work_id, choice)
    except RatingError as exc:
        return HttpResponseBadRequest(str(exc))
    return _respond(request, category_obj, _slot(request))


@require_POST
@limited("deck")
def undo(request, category: str):
    """Take back the latest rating made from the deck and show that card again."""
    category_obj = get_object_or_404(Category, slug=category)
    if request.user.is_authenticated:
        stack = list(request.session.get(UNDO_KEY, []))
        work_id = stack.pop() if stack else None
        request.session[UNDO_KEY] = stack
        if work_id is not None:
            # The deck only shows unrated works, so there was no earlier rating to restore.
            remove_rating(request.user, work_id)
    else:
        work_id = undo_in_session(request.session)
    card = None
    if work_id is not None:
        card = (
            Work.objects.safe_for(request.user)
            .select_related("category")
            .filter(pk=work_id, category=category_obj)
            .first()
        )
    return _respond(request, category_obj, _slot(request), card)


def recommendations(request, category: str):
    """A visitor's explained recommendations from their session ratings."""
    if request.user.is_authenticated:
        return redirect("recommendations-category", category=category)
    category_obj = get_object_or_404(Category, slug=category)
    pairs = session_ratings(request.session)
    if len(pairs) < ENOUGH:
        items, liked = [], {"liked": [], "disliked": []}
    else:
        items = recommend(None, ratings=pairs, category_id=category_obj.pk, n=12)
        liked = taste(None, ratings=pairs, k=5)
    attach_genres([rec.work for rec in items])
    return render(
        request,
        "mangaki/deck_recommendations.html",
        {
            "category": category_obj,
            "items": items,
            "taste": liked,
            "n_rated": len(pairs),
            "enough": ENOUGH,
            "missing": max(ENOUGH - len(pairs), 0),
            "model_version": active_version(),
            "category_empty": not Work.objects.filter(category=category_obj).exists(),
        },
    )
