"""The API tokens page: create named tokens (the key is shown once) and revoke them."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from mangaki.models import ApiToken

MAX_TOKENS = 20


@login_required
@never_cache  # a new key appears in this page once: no cache or history may keep it
def tokens(request):
    new_key = None
    error = None
    if request.method == "POST":
        name = request.POST.get("name", "").strip()[:64]
        if not name:
            error = _("Give the token a name, such as the client that will use it.")
        elif request.user.api_tokens.count() >= MAX_TOKENS:
            error = _("You have too many tokens: revoke one first.")
        else:
            # Rendered, not redirected: the key exists in clear only in this response.
            _token, new_key = ApiToken.objects.issue(request.user, name)
    return render(
        request,
        "mangaki/tokens.html",
        {
            "tokens": request.user.api_tokens.all(),
            "new_key": new_key,
            "error": error,
        },
        status=400 if error else 200,
    )


@login_required
@require_POST
def revoke(request, pk: int):
    # Filtering by owner makes another person's token a 404, not a revocation.
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    token.delete()
    messages.success(request, _("Token “%(name)s” revoked.") % {"name": token.name})
    return redirect("api-tokens")
