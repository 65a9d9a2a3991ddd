"""Named API tokens: a person may hold several (one per client) and revoke each one.

Only a SHA-256 hash of the key and a short prefix are stored, so a database leak does
not hand out working keys; the key itself is shown once, when the token is created.

Example::

    token, key = ApiToken.objects.issue(user, "my phone")
    ApiToken.objects.from_key(key) == token
"""

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

PREFIX_LENGTH = 8


def hash_key(key: str) -> str:
    """The stored form of a key.

    Example::

        >>> len(hash_key("abc"))
        64
    """
    return hashlib.sha256(key.encode()).hexdigest()


class ApiTokenManager(models.Manager):
    def issue(self, user, name: str) -> tuple["ApiToken", str]:
        """Create a token for ``user``; returns it with the clear key (shown only once)."""
        key = secrets.token_urlsafe(32)
        token = self.create(
            user=user, name=name, prefix=key[:PREFIX_LENGTH], key_hash=hash_key(key)
        )
        return token, key

    def from_key(self, key: str) -> "ApiToken | None":
        """The active token with this key (and its user, in the same query), or None."""
        return (
            self.select_related("user", "user__profile")
            .filter(key_hash=hash_key(key), user__is_active=True)
            .first()
        )


class ApiToken(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("name"), max_length=64)
    prefix = models.CharField(max_length=PREFIX_LENGTH, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created = models.DateTimeField(auto_now_add=True)
    last_used = models.DateTimeField(null=True, blank=True, editable=False)

    objects = ApiTokenManager()

    class Meta:
        ordering = ["-created", "-pk"]
        verbose_name = _("API token")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"
