"""Lockout after failed sign-ins, on the site's login page and the admin's.

Three counts, each with its own limit (``settings.RATE_LIMITS``):

- ``login_account_address``: failures on one account from one address (5 in 15 minutes).
  Guessing one person's password from one place stops here, and someone else typing
  wrong passwords for that account from elsewhere does not lock its owner out;
- ``login_address``: failures from one address on any accounts (password spraying);
- ``login_account``: failures on one account from anywhere (a guess spread over many
  addresses), much higher, since anyone could lock an account out with it.

Failures are counted from Django's ``user_login_failed`` signal, so every form that
authenticates with the request counts them. While a count is over its limit the login
pages answer 429 before checking the password, even the right one, with a message that
says when to come back and links to the password reset: a reset by e-mail logs the person
in and clears the account's counts. A successful sign-in clears the account-and-address
count. Usernames are counted case-insensitively.
"""

from __future__ import annotations

import math
from functools import wraps

from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.dispatch import receiver
from django.shortcuts import render

from . import limiter
from .addresses import request_bucket

ACCOUNT_ADDRESS, ADDRESS, ACCOUNT = "login_account_address", "login_address", "login_account"


def _account(username: str) -> str:
    return (username or "").strip().casefold()


def _counts(request, username: str) -> list[tuple[str, str]]:
    address = request_bucket(request)
    account = _account(username)
    counts = [(ADDRESS, address)]
    if account:
        counts += [(ACCOUNT_ADDRESS, f"{account}@{address}"), (ACCOUNT, account)]
    return counts


def lockout(request, username: str) -> limiter.Decision | None:
    """The longest lockout that applies to signing in as ``username`` from this request's
    address, or None when it may try."""
    locked = [
        decision
        for name, ident in _counts(request, username)
        if not (decision := limiter.peek(name, ident, limiter.rate_of(name))).allowed
    ]
    return max(locked, key=lambda d: d.retry_after, default=None)


def forget(request, username: str) -> None:
    """Clear the account's counts (after a password reset by its owner)."""
    for name, ident in _counts(request, username):
        if name != ADDRESS:
            limiter.reset(name, ident, limiter.rate_of(name))


def guarded(view):
    """A login view that answers 429 while the username or the address is locked out."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if request.method == "POST":
            decision = lockout(request, request.POST.get("username", ""))
            if decision is not None:
                minutes = max(1, math.ceil(decision.retry_after / 60))
                response = render(
                    request, "registration/locked.html", {"minutes": minutes}, status=429
                )
                response["Retry-After"] = str(decision.retry_after)
                return response
        return view(request, *args, **kwargs)

    return wrapped


@receiver(user_login_failed)
def _count_failure(sender, credentials, request=None, **kwargs):
    if request is None:  # authenticate() called by code, not by a login form
        return
    for name, ident in _counts(request, credentials.get("username", "")):
        limiter.add(name, ident, limiter.rate_of(name))


@receiver(user_logged_in)
def _clear_after_success(sender, request, user, **kwargs):
    if request is None:
        return
    address = request_bucket(request)
    account = _account(user.get_username())
    limiter.reset(ACCOUNT_ADDRESS, f"{account}@{address}", limiter.rate_of(ACCOUNT_ADDRESS))
