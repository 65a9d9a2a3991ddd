"""A member's language follows the account, not only the browser.

The footer's switcher and the account page save the choice on the profile; signing in sets
the language cookie from it, so a phone picks up what was chosen on a laptop. A choice made
before signing in (the cookie) is kept for an account that has none yet. Without a saved
choice, Django's usual order applies (cookie, then Accept-Language).
"""

from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.views.decorators.http import require_POST
from django.views.i18n import set_language as django_set_language

from mangaki.models import Profile


def _known(code: str) -> bool:
    return code in dict(settings.LANGUAGES)


def remember_language(response, code: str):
    """Set the language cookie on ``response``; an empty code deletes it (the browser's
    language applies again); an unknown one changes nothing."""
    if code == "":
        response.delete_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            path=settings.LANGUAGE_COOKIE_PATH,
            domain=settings.LANGUAGE_COOKIE_DOMAIN,
            samesite=settings.LANGUAGE_COOKIE_SAMESITE,
        )
    elif _known(code):
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            code,
            max_age=settings.LANGUAGE_COOKIE_AGE,
            path=settings.LANGUAGE_COOKIE_PATH,
            domain=settings.LANGUAGE_COOKIE_DOMAIN,
            secure=settings.LANGUAGE_COOKIE_SECURE,
            httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
            samesite=settings.LANGUAGE_COOKIE_SAMESITE,
        )
    return response


@require_POST
def set_language(request):
    """Django's ``set_language``, which also saves a member's choice on the profile."""
    response = django_set_language(request)
    code = request.POST.get("language", "")
    if request.user.is_authenticated and _known(code):
        Profile.objects.filter(user=request.user).update(language=code)
    return response


@receiver(user_logged_in)
def _language_of_the_account(sender, request, user, **kwargs):
    if request is None:
        return
    code = Profile.objects.filter(user=user).values_list("language", flat=True).first()
    if code:
        request.account_language = code  # the middleware below writes the cookie
        return
    chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
    if _known(chosen):
        Profile.objects.filter(user=user).update(language=chosen)


class AccountLanguageMiddleware:
    """Writes the language cookie on the response to a sign-in (see the receiver above)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        code = getattr(request, "account_language", "")
        return remember_language(response, code) if code else response
