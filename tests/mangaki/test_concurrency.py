"""Many simultaneous clicks on the same work: one rating, correct counters."""

import http.cookiejar
import random
import re
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.conf import settings

from mangaki.choices import Choice
from mangaki.models import Rating, Work
from tests.factories import UserFactory, WorkFactory

pytestmark = pytest.mark.skipif(
    not settings.IS_POSTGRES, reason="concurrent writers need a real database server"
)


def _opener(base_url, username):
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), _NoRedirect())
    page = opener.open(f"{base_url}/accounts/login/").read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    body = urllib.parse.urlencode(
        {"username": username, "password": "correct horse battery", "csrfmiddlewaretoken": token}
    ).encode()
    status = _status(opener, urllib.request.Request(f"{base_url}/accounts/login/", data=body))
    assert status == 302, "login failed"
    return opener, jar


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _status(opener, request):
    try:
        return opener.open(request, timeout=30).status
    except urllib.error.HTTPError as exc:
        return exc.code


@pytest.mark.django_db(transaction=True)
def test_fifty_parallel_ratings_leave_one_rating_and_true_counters(live_server):
    user = UserFactory(username="clicker")
    work = WorkFactory(title="Clicked a lot")
    opener, jar = _opener(live_server.url, "clicker")
    csrf = next(c.value for c in jar if c.name == "csrftoken")
    choices = [random.Random(i).choice(Choice.values) for i in range(50)]

    def click(choice):
        data = urllib.parse.urlencode({"choice": choice, "csrfmiddlewaretoken": csrf}).encode()
        request = urllib.request.Request(
            f"{live_server.url}/work/{work.pk}/rate/",
            data=data,
            headers={"Referer": live_server.url + "/"},
        )
        return _status(opener, request)

    with ThreadPoolExecutor(max_workers=50) as pool:
        statuses = list(pool.map(click, choices))

    assert statuses == [302] * 50
    ratings = list(Rating.objects.filter(user=user, work=work))
    assert len(ratings) == 1
    work = Work.objects.get(pk=work.pk)
    final = ratings[0].choice
    assert work.nb_ratings == 1
    assert getattr(work, f"nb_{final}") == 1
    assert sum(getattr(work, f"nb_{c}") for c in Choice.values) == 1
