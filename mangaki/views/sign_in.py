"""Signing up, in and out; changing or resetting a password (Django's auth views).

Sign-up asks for an optional e-mail address (the only way to reset a forgotten password)
and for research consent, unticked: it is given by ticking, never by default. The
password reset mails a one-day link (``PASSWORD_RESET_TIMEOUT``); following it sets a new
password, signs the person in and clears the sign-in lockout of the account
(mangaki.security.logins). Sign-up and reset requests are rate-capped per address.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model, login
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import UserCreationForm
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from mangaki.models import Profile
from mangaki.security import limiter, logins
from mangaki.security.pages import limited
from mangaki.services.onboarding import claim


class SignupForm(UserCreationForm):
    email = forms.EmailField(
        label=gettext_lazy("E-mail address (optional)"),
        required=False,
        help_text=gettext_lazy("Only to reset your password if you forget it."),
    )
    research_ok = forms.BooleanField(
        label=Profile._meta.get_field("research_ok").verbose_name,
        required=False,
        initial=False,
        help_text=Profile._meta.get_field("research_ok").help_text,
    )

    class Meta(UserCreationForm.Meta):
        model = get_user_model()
        fields = ("username", "email")

    def save(self, commit=True):
        user = super().save(commit=commit)
        if commit:
            Profile.objects.filter(user=user).update(
                research_ok=self.cleaned_data.get("research_ok", False)
            )
        return user


def _claim_session_ratings(request) -> None:
    # Ratings made from the deck before having an account join the account now; the
    # account's own ratings win over the visit's.
    added, kept = claim(request.session, request.user)
    if added:
        message = ngettext(
            "%(n)d rating from this visit was added to your account.",
            "%(n)d ratings from this visit were added to your account.",
            added,
        )
        messages.success(request, message % {"n": added})
    if kept:
        message = ngettext(
            "%(n)d work rated during this visit keeps the rating your account already had.",
            "%(n)d works rated during this visit keep the ratings your account already had.",
            kept,
        )
        messages.info(request, message % {"n": kept})


@limited("signup")
def signup(request):
    if request.user.is_authenticated:
        return redirect("home")
    form = SignupForm(request.POST or None)
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


@method_decorator(limited("password_reset"), name="post")
class PasswordResetView(auth_views.PasswordResetView):
    """Mails a reset link to the accounts with this address; says the same whether or not
    one exists, so addresses cannot be probed."""

    email_template_name = "registration/password_reset_email.txt"
    subject_template_name = "registration/password_reset_subject.txt"

    def form_valid(self, form):
        # Also capped per e-mail address, so that many addresses cannot flood one inbox;
        # the page reads the same either way.
        email = form.cleaned_data["email"].strip().casefold()
        rate = limiter.rate_of("password_reset")
        if not limiter.hit("password_reset", f"email:{email}", rate).allowed:
            return redirect(self.get_success_url())
        return super().form_valid(form)


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    post_reset_login = True
    post_reset_login_backend = "django.contrib.auth.backends.ModelBackend"
    success_url = reverse_lazy("home")

    def form_valid(self, form):
        response = super().form_valid(form)
        logins.forget(self.request, form.user.get_username())
        messages.success(self.request, _("Your new password is set and you are signed in."))
        return response


class PasswordChangeView(auth_views.PasswordChangeView):
    success_url = reverse_lazy("account")

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(self.request, _("Your password is changed."))
        return response
