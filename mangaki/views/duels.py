"""The duel deck page (``/duel/<category>/``): which of two seen works do you prefer?

Members only: duels refine a member's own ratings, and a visitor's ratings live in their
session until they sign up. Answers are plain form posts (the page works without
JavaScript); static/js/duel.js adds the keys: left arrow, right arrow, down arrow or "s"
to skip. A second post of the same offer (double click) records nothing more.
"""

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from mangaki.models import Category
from mangaki.security.pages import limited
from mangaki.services.duels import DuelError, duel_ranking, next_pair, record_duel

RANKING_SIZE = 50


@login_required
def duel_page(request, category: str):
    category_obj = get_object_or_404(Category, slug=category)
    ranking = duel_ranking(request.user, category_obj.pk)
    return render(
        request,
        "mangaki/duel.html",
        {
            "category": category_obj,
            "pair": next_pair(request.user, category_obj.pk),
            "ranking": ranking[:RANKING_SIZE],
            "n_compared": len(ranking),
        },
    )


def _work_id(value: str | None) -> int | None:
    if value in (None, "", "skip"):
        return None
    if not value.isdigit() or len(value) > 18:
        raise ValueError(value)
    return int(value)


@require_POST
@login_required
@limited("deck")
def answer(request, category: str):
    get_object_or_404(Category, slug=category)
    try:
        token = uuid.UUID(request.POST.get("token", ""))
        left, right = _work_id(request.POST.get("left")), _work_id(request.POST.get("right"))
        winner = _work_id(request.POST.get("winner"))
    except ValueError:
        return HttpResponseBadRequest("Malformed duel answer.")
    if left is None or right is None:
        return HttpResponseBadRequest("Malformed duel answer.")
    try:
        record_duel(request.user, token, left, right, winner)
    except DuelError as error:
        messages.error(request, str(error))
    return redirect("duel", category=category)
