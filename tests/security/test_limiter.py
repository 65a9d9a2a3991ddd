"""The limiter: a sliding window that no burst of parallel requests can overrun, on Redis
for every process, and open (with one log line) when Redis does not answer."""

import logging
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
import redis
from django.conf import settings

from mangaki.security import limiter
from mangaki.security.limiter import Rate
from tests.processes import web_server
from tests.security.conftest import needs_services, status_counts


def test_rates_are_parsed_and_bad_ones_refused():
    assert Rate.parse("600/minute") == Rate(600, 60)
    assert Rate.parse("5/15m") == Rate(5, 900)
    for bad in ("600", "1/month", "x/minute", "5/0m"):
        with pytest.raises(ValueError):
            Rate.parse(bad)


def test_a_burst_gets_exactly_the_limit_then_a_retry_after(db):
    decisions = [limiter.hit("test", "someone", "5/minute") for _ in range(8)]
    assert [d.allowed for d in decisions] == [True] * 5 + [False] * 3
    # One more fits once a fifth of the full window has slid out: at most 60 + 12 s away.
    assert all(1 <= d.retry_after <= 72 for d in decisions[5:])
    assert limiter.hit("test", "someone else", "5/minute").allowed


def test_the_previous_window_still_counts_as_it_slides_out(db, monkeypatch):
    now = [60 * 16_667 + 20.0]  # 20 s into a minute window
    monkeypatch.setattr(limiter, "clock", lambda: now[0])
    for _ in range(10):
        assert limiter.hit("test", "slider", "10/minute").allowed
    now[0] += 60  # 20 s into the next window: 2/3 of the previous one still weighs
    allowed = sum(limiter.hit("test", "slider", "10/minute").allowed for _ in range(10))
    assert allowed == 3  # 10 * (1 - 20/60) = 6.67 counted, so 3 more fit under 10
    now[0] += 40  # the start of the window after: the first burst no longer counts
    assert limiter.hit("test", "slider", "10/minute").allowed


def test_refused_events_are_not_counted_but_failures_are(db):
    for _ in range(3):
        limiter.hit("test", "polite", "2/minute")
    assert limiter.peek("test", "polite", "2/minute").estimate == 2
    for _ in range(3):
        limiter.add("test", "failing", "2/minute")
    assert limiter.peek("test", "failing", "2/minute").estimate == 3
    limiter.reset("test", "failing", "2/minute")
    assert limiter.peek("test", "failing", "2/minute").allowed


def test_without_redis_requests_pass_and_the_outage_is_logged_once(client, settings, caplog, anime):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens there
    with caplog.at_level(logging.WARNING, logger="mangaki.security.limiter"):
        statuses = [client.get("/api/v1/works/autocomplete?q=be").status_code for _ in range(70)]
        statuses.append(client.post("/deck/anime/rate/", {"work": 0, "choice": "x"}).status_code)
    assert statuses[:70] == [200] * 70  # more than the limit: the limiter is open
    assert statuses[70] == 400  # the page itself still answers (bad input here)
    outages = [r for r in caplog.records if "rate limits are off" in r.getMessage()]
    assert len(outages) == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.slow
@pytest.mark.services
@needs_services
def test_parallel_clients_on_several_processes_get_exactly_the_limit(tmp_path):
    redis.Redis.from_url(settings.REDIS_URL).flushdb()
    rate = Rate.parse(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["anon"])
    assert rate == Rate(60, 60), "the shipped anonymous rate"
    with web_server(tmp_path, workers=3, threads=4) as url:

        def one(_):
            # One address for all: only atomic counting keeps parallel requests apart.
            request = urllib.request.Request(f"{url}/api/v1/works/autocomplete?q=be")
            try:
                with urllib.request.urlopen(request, timeout=60) as response:
                    return response.status
            except urllib.error.HTTPError as error:
                return error.code

        window = time.time() // rate.seconds
        with ThreadPoolExecutor(16) as pool:
            counts = status_counts(pool.map(one, range(240)))
        crossed = time.time() // rate.seconds != window
    assert set(counts) <= {200, 429}
    if crossed:  # the burst straddled two windows: a few more may fit in the new one
        assert 60 <= counts[200] <= 70, counts
    else:
        assert counts[200] == 60, counts
