"""Password guessing: failed sign-ins lock the account (from that address) and the address
out for a while, on the site's login page and the admin's; the right password does not get
through meanwhile; a password reset by e-mail is the way out."""

import re

import pytest
from django.core import mail

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
RIGHT = "correct horse battery"


def _login(client, username, password, path="/accounts/login/", **extra):
    return client.post(path, {"username": username, "password": password}, **extra)


def test_five_wrong_passwords_lock_the_account_even_for_the_right_one(client):
    UserFactory(username="dora")
    statuses = [_login(client, "dora", f"guess {i}").status_code for i in range(5)]
    assert statuses == [200] * 5  # the form again, "wrong password"
    locked = _login(client, "dora", RIGHT)
    assert locked.status_code == 429
    assert int(locked["Retry-After"]) > 0
    text = locked.content.decode()
    assert "Too many failed sign-ins" in text and "/accounts/password/reset/" in text
    assert "_auth_user_id" not in client.session
    # Usernames are counted whatever their case.
    assert _login(client, "DORA", RIGHT).status_code == 429


def test_the_admin_login_is_locked_out_the_same_way(client):
    UserFactory(username="root", is_staff=True, is_superuser=True)
    statuses = [
        _login(client, "root", f"guess {i}", "/admin/login/").status_code for i in range(20)
    ]
    assert statuses[:5] == [200] * 5
    assert set(statuses[5:]) == {429}
    assert _login(client, "root", RIGHT, "/admin/login/").status_code == 429


def test_someone_else_guessing_does_not_lock_the_owner_out_from_elsewhere(client):
    UserFactory(username="dora")
    for i in range(6):
        _login(client, "dora", f"guess {i}", REMOTE_ADDR="203.0.113.66")
    assert _login(client, "dora", RIGHT, REMOTE_ADDR="203.0.113.66").status_code == 429
    assert _login(client, "dora", RIGHT, REMOTE_ADDR="198.51.100.7").status_code == 302


def test_spraying_many_accounts_from_one_address_is_locked_out(client):
    for i in range(30):
        _login(client, f"someone{i}", "password1", REMOTE_ADDR="203.0.113.9")
    assert _login(client, "anyone", "password1", REMOTE_ADDR="203.0.113.9").status_code == 429


def test_a_password_reset_by_email_signs_in_and_clears_the_lockout(client):
    UserFactory(username="dora", email="dora@example.org")
    for i in range(5):
        _login(client, "dora", f"guess {i}")
    assert _login(client, "dora", RIGHT).status_code == 429
    sent = client.post("/accounts/password/reset/", {"email": "dora@example.org"})
    assert sent.status_code == 302
    (message,) = mail.outbox
    link = re.search(r"http://testserver(/accounts/password/reset/\S+/)", message.body).group(1)
    form = client.get(link, follow=True)
    new = "a brand new passphrase 7"
    done = client.post(
        form.redirect_chain[-1][0], {"new_password1": new, "new_password2": new}, follow=True
    )
    assert done.status_code == 200 and "you are signed in" in done.content.decode()
    client.post("/accounts/logout/")
    assert _login(client, "dora", new).status_code == 302
