"""The mixed workload of ``benchmarks/bench_load.py``, as locust users.

- ``Member`` (API token): rates works with ``PUT /api/v1/me/ratings/<id>``, reads its
  recommendations (page and API), work pages and search suggestions. Every rating the
  site acknowledged (2xx) is appended to ``LOAD_ACKS`` so the harness can check it against
  the database afterwards.
- ``Visitor``: rates cards of the anonymous deck (session ratings) and opens work pages.

Configuration comes from the environment: ``LOAD_SETUP`` (a JSON file: API keys, work ids)
and ``LOAD_ACKS`` (where acknowledged writes are appended, one JSON object per line).
"""

from __future__ import annotations

import json
import os
import random
import re
import threading

from locust import HttpUser, between, task

SETUP = json.loads(open(os.environ["LOAD_SETUP"]).read()) if "LOAD_SETUP" in os.environ else {}
CHOICES = ["favorite", "like", "like", "neutral", "dislike", "willsee", "wontsee"]
QUERIES = ["nar", "one", "attack", "code", "steins", "bleach", "gin", "death"]
_keys = list(SETUP.get("keys", []))
_keys_lock = threading.Lock()
_acks_lock = threading.Lock()


def _acknowledged(record: dict) -> None:
    with _acks_lock, open(os.environ["LOAD_ACKS"], "a") as handle:
        handle.write(json.dumps(record) + "\n")


class Member(HttpUser):
    weight = 3
    wait_time = between(0.2, 1.0)

    def on_start(self):
        with _keys_lock:
            self.key = _keys.pop() if _keys else random.choice(SETUP["keys"])
        self.headers = {"Authorization": f"Token {self.key}"}
        self.works = SETUP["works"]

    @task(4)
    def rate(self):
        work = random.choice(self.works)
        choice = random.choice(CHOICES)
        with self.client.put(
            f"/api/v1/me/ratings/{work}",
            json={"choice": choice},
            headers=self.headers,
            name="PUT /api/v1/me/ratings/<id>",
            catch_response=True,
        ) as response:
            if 200 <= response.status_code < 300:
                _acknowledged({"key": self.key, "work": work, "choice": choice})
                response.success()

    @task(2)
    def recommendations_api(self):
        self.client.get(
            "/api/v1/me/recommendations?n=20",
            headers=self.headers,
            name="GET /api/v1/me/recommendations",
        )

    @task(2)
    def work_page(self):
        self.client.get(f"/work/{random.choice(self.works)}/", name="GET /work/<id>/")

    @task(1)
    def search(self):
        self.client.get(f"/search/suggest/?q={random.choice(QUERIES)}", name="GET /search/suggest/")

    @task(1)
    def work_api(self):
        self.client.get(
            f"/api/v1/works/{random.choice(self.works)}",
            headers=self.headers,
            name="GET /api/v1/works/<id>",
        )


class Visitor(HttpUser):
    weight = 2
    wait_time = between(0.3, 1.5)

    @task(3)
    def rate_a_card(self):
        page = self.client.get("/deck/anime/", name="GET /deck/anime/")
        card = re.search(r'name="work" value="(\d+)"', page.text)
        token = self.client.cookies.get("csrftoken")
        if card is None or token is None:
            return
        self.client.post(
            "/deck/anime/rate/",
            data={"work": card.group(1), "choice": random.choice(CHOICES),
                  "csrfmiddlewaretoken": token},
            headers={"Referer": self.host + "/deck/anime/", "Accept": "application/json"},
            name="POST /deck/anime/rate/",
        )  # fmt: skip

    @task(1)
    def recommendations(self):
        self.client.get("/deck/anime/recommendations/", name="GET /deck/anime/recommendations/")

    @task(1)
    def home(self):
        self.client.get("/", name="GET /")
