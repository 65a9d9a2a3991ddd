from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import UserCreationForm
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import ngettext

from mangaki.services.onboarding import claim


def _claim_session_ratings(request) -> None:
    # Ratings made from the deck before having an account join the account now.
    saved = claim(request.session, request.user)
    if saved:
        message = ngettext(
            "Your rating from this visit was saved.",
            "Your %(n)d ratings from this visit were saved.",
            saved,
        )
        messages.success(request, message % {"n": saved})


def signup(request):
    if request.user.is_authenticated:
        return redirect("home")
    form = UserCreationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        _claim_session_ratings(request)
        target = request.GET.get("next", "")
        safe = url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure())
        return redirect(target if safe else "home")
    return render(request, "registration/signup.html", {"form": form})


class LoginView(auth_views.LoginView):
    def form_valid(self, form):
        response = super().form_valid(form)
        _claim_session_ratings(self.request)
        return response
