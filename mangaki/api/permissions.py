"""Who may call what. Everything under /me/ acts on the caller's own data only."""

from rest_framework import permissions


class IsSignedIn(permissions.IsAuthenticated):
    """The endpoint reads or writes the caller's own data; there is no "other user" form."""

    message = "Sign in (session) or send 'Authorization: Token <key>'."
