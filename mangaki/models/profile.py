from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Profile(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile"
    )
    nsfw_ok = models.BooleanField(_("show adult works"), default=False)
    is_shared = models.BooleanField(_("public profile"), default=False)
    # Consent is opt-in: a new account starts without it (the demo's simulated users and
    # the tests' actors say so explicitly).
    research_ok = models.BooleanField(
        _("my ratings may train the recommender"),
        default=False,
        help_text=_(
            "Off until you tick it: when on, your ratings help train the recommender for "
            "everyone and appear, anonymised, in dataset exports."
        ),
    )
    language = models.CharField(
        _("language"),
        max_length=8,
        blank=True,
        default="",
        choices=settings.LANGUAGES,
        help_text=_("Used on every device you sign in on. Empty: your browser's language."),
    )
    # Simulated users from `seed_demo`, kept apart so they can be removed in one go.
    is_demo = models.BooleanField(default=False, editable=False)

    def __str__(self) -> str:
        return f"profile of {self.user}"
