"""Deployment settings and headers: the HTTPS switches pass ``check --deploy``, a missing
SECRET_KEY stops a production start-up, pages carry a Content-Security-Policy that their
own markup obeys (no inline script, no inline event handler), and personal API answers
are never stored by a cache."""

import os
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

from mangaki.models import ListImport
from tests.factories import WorkFactory

ROOT = Path(__file__).resolve().parents[2]


def _manage(tmp_path, *args, **env):
    unset = {"SECRET_KEY", "DEBUG", "REDIS_URL", "DATABASE_URL"}
    clean = {k: v for k, v in os.environ.items() if k not in unset}
    clean.update(MANGAKI_VAR_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="mangaki.settings", **env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_https_switches_pass_check_deploy(tmp_path):
    result = _manage(
        tmp_path,
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DATABASE_URL="postgres://postgres@127.0.0.1:5432/mangaki",
        SECRET_KEY="k" * 20 + "-a-long-and-varied-production-secret-0123456789",
        SECURE_COOKIES="on",
        SECURE_SSL_REDIRECT="on",
        SECURE_HSTS_SECONDS="31536000",
        SECURE_HSTS_INCLUDE_SUBDOMAINS="on",
        SECURE_HSTS_PRELOAD="on",
        SECURE_PROXY_SSL_HEADER="X-Forwarded-Proto",
        TRUSTED_PROXIES="1",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_without_secret_key_a_production_start_up_stops(tmp_path):
    result = _manage(tmp_path, "check", DATABASE_URL="postgres://postgres@127.0.0.1:5432/x")
    assert result.returncode != 0
    assert "SECRET_KEY (or SECRET_KEY_FILE) must be set" in result.stderr
    assert not (tmp_path / ".secret_key").exists()
    # The embedded default still generates its development secret.
    assert _manage(tmp_path, "check").returncode == 0
    assert (tmp_path / ".secret_key").read_text().strip()


class _Inline(HTMLParser):
    """Inline scripts and inline event handlers: what the policy would block."""

    def __init__(self):
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        names = dict(attrs)
        if tag == "script" and "src" not in names and names.get("type") != "application/json":
            self.found.append(f"<script> without src at {self.getpos()}")
        self.found += [f"{tag} {name}=" for name in names if name.startswith("on")]
        for name in ("href", "src", "action"):
            if (names.get(name) or "").strip().lower().startswith("javascript:"):
                self.found.append(f"{tag} {name}=javascript:")


@pytest.mark.django_db
def test_pages_obey_their_content_security_policy(client, alice, anime):
    work = WorkFactory(title="Card", nb_ratings=3)
    imp = ListImport.objects.create(user=alice, source="mal", status="running", total=1)
    alice.is_staff = alice.is_superuser = True
    alice.save()
    pages = ["/", "/anime/", work.get_absolute_url(), "/deck/anime/", "/taste-map/anime/",
             "/accounts/login/", "/accounts/signup/", "/accounts/password/reset/",
             "/admin/login/", "/api/v1/docs/"]  # fmt: skip
    member = ["/recommendations/", "/u/alice/", "/account/", "/account/tokens/",
              "/account/password/", f"/account/import/{imp.pk}/", "/account/import/",
              "/admin/", "/admin/dashboard/", f"/admin/mangaki/work/{work.pk}/change/"]  # fmt: skip
    for index, path in enumerate(pages + member):
        if index == len(pages):
            client.force_login(alice)
        response = client.get(path)
        assert response.status_code == 200, path
        policy = response["Content-Security-Policy"]
        assert "script-src 'self';" in policy and "object-src 'none'" in policy
        parser = _Inline()
        parser.feed(response.content.decode())
        assert parser.found == [], path
    script = client.get("/api/v1/docs/?script=")
    assert script.status_code == 200 and "SwaggerUIBundle" in script.content.decode()


@pytest.mark.django_db
def test_personal_api_answers_are_private_and_never_stored(as_alice, api, catalogue):
    for path in (
        "/api/v1/me/profile",
        "/api/v1/me/ratings",
        f"/api/v1/works/{catalogue['bebop'].pk}",
    ):
        cache_control = as_alice.get(path)["Cache-Control"]
        assert "private" in cache_control and "no-store" in cache_control, path
    assert "no-store" in api.get("/api/v1/me/profile")["Cache-Control"]  # the 401 too
    assert "no-store" not in api.get("/api/v1/works").get("Cache-Control", "")


@pytest.mark.django_db
def test_the_token_page_is_not_stored(client, alice):
    client.force_login(alice)
    response = client.post("/account/tokens/", {"name": "script"})
    assert re.search(r"no-store", response["Cache-Control"])
