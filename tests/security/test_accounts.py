"""Account safety: an optional e-mail address at sign-up, a password change, a reset by
e-mail; research consent is given by ticking a box that starts unticked."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail

from mangaki.models import Profile
from mangaki.services.demo import seed_demo
from tests.factories import UserFactory, WorkFactory

pytestmark = pytest.mark.django_db
PASSWORD = "s3cret-Pass-word"


def _signup(client, **extra):
    form = {"username": "newbie", "password1": PASSWORD, "password2": PASSWORD, **extra}
    return client.post("/accounts/signup/", form)


def test_sign_up_takes_an_optional_email_and_consent_starts_unticked(client, db):
    page = client.get("/accounts/signup/").content.decode()
    checkbox = re.search(r'<input type="checkbox" name="research_ok"[^>]*>', page).group(0)
    assert "checked" not in checkbox
    assert _signup(client).status_code == 302
    user = get_user_model().objects.get(username="newbie")
    assert user.email == "" and user.profile.research_ok is False
    client.post("/accounts/logout/")
    assert (
        _signup(client, username="other", email="o@example.org", research_ok="on").status_code
        == 302
    )
    other = get_user_model().objects.get(username="other")
    assert other.email == "o@example.org" and other.profile.research_ok is True


def test_a_new_profile_has_no_research_consent(db):
    user = get_user_model().objects.create_user("plain", password=PASSWORD)
    assert Profile.objects.get(user=user).research_ok is False


def test_the_demos_simulated_users_consent_explicitly(anime):
    for i in range(5):
        WorkFactory(title=f"Show {i}", external_members=100 * (i + 1))
    seed_demo(n_users=3, seed=1)
    assert set(Profile.objects.filter(is_demo=True).values_list("research_ok", flat=True)) == {True}


def test_a_member_changes_their_password(client):
    user = UserFactory(username="dora")
    client.force_login(user)
    wrong = client.post(
        "/account/password/",
        {
            "old_password": "nope",
            "new_password1": "another pass 42",
            "new_password2": "another pass 42",
        },
    )
    assert wrong.status_code == 200 and "incorrectly" in wrong.content.decode()
    done = client.post(
        "/account/password/",
        {
            "old_password": "correct horse battery",
            "new_password1": "another pass 42",
            "new_password2": "another pass 42",
        },
        follow=True,
    )
    assert "Your password is changed" in done.content.decode()
    assert client.get("/account/").status_code == 200  # still signed in
    user.refresh_from_db()
    assert user.check_password("another pass 42")


def test_a_member_sets_their_email_with_their_password(client):
    user = UserFactory(username="dora")
    client.force_login(user)
    refused = client.post("/account/email/", {"email": "d@example.org", "password": "nope"})
    assert refused.status_code == 400
    user.refresh_from_db()
    assert user.email == ""
    client.post("/account/email/", {"email": "d@example.org", "password": "correct horse battery"})
    user.refresh_from_db()
    assert user.email == "d@example.org"


def test_a_forgotten_password_is_reset_by_email(client):
    UserFactory(username="dora", email="dora@example.org")
    response = client.post("/accounts/password/reset/", {"email": "DORA@example.org"})
    assert response.status_code == 302
    (message,) = mail.outbox
    assert message.to == ["dora@example.org"] and "dora" in message.body
    link = re.search(r"http://testserver(/accounts/password/reset/\S+/)", message.body).group(1)
    form_page = client.get(link, follow=True)
    assert "Choose a new password" in form_page.content.decode()
    client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "a new passphrase 9", "new_password2": "a new passphrase 9"},
    )
    assert client.get("/account/").status_code == 200  # signed in by the reset
    # The link works once.
    assert "no longer valid" in client.get(link, follow=True).content.decode()


def test_an_unknown_address_gets_the_same_answer_and_no_mail(client, db):
    response = client.post("/accounts/password/reset/", {"email": "nobody@example.org"})
    assert response.status_code == 302 and response["Location"] == "/accounts/password/reset/sent/"
    assert mail.outbox == []


def test_reset_mails_to_one_address_are_capped(client):
    UserFactory(username="dora", email="dora@example.org")
    for i in range(8):
        client.post(
            "/accounts/password/reset/",
            {"email": "dora@example.org"},
            REMOTE_ADDR=f"198.51.100.{i + 1}",
        )
    assert len(mail.outbox) == 5
