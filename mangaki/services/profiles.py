"""Who may see whose profile: one rule for the profile page and the API.

A profile is shown to its owner, and to everyone else only when the owner made it public
(``Profile.is_shared``) and the account is active: a deactivated account (closed or
suspended by a moderator) has no public profile any more, even if it was shared. Anything
else answers exactly like an unknown name, so names cannot be probed.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model


def profile_visible_to(owner, viewer) -> bool:
    """Whether ``viewer`` (a user, possibly anonymous) may see ``owner``'s profile.

    Example::

        profile_visible_to(alice, alice)  # -> True
        profile_visible_to(alice, AnonymousUser())  # -> alice.profile.is_shared
    """
    if not owner.is_active:
        return False
    if viewer is not None and viewer.is_authenticated and viewer.pk == owner.pk:
        return True
    return owner.profile.is_shared


def visible_profile_owner(username: str, viewer):
    """The account named ``username`` if ``viewer`` may see its profile, else None (for an
    unknown name too). Reads the account and its profile in one query.

    Example::

        visible_profile_owner("alice", request.user)  # -> <User alice> or None
    """
    owner = get_user_model().objects.select_related("profile").filter(username=username).first()
    if owner is None or not profile_visible_to(owner, viewer):
        return None
    return owner
