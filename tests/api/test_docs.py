"""The examples of docs/api.md, run as written against a live server."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from mangaki.models import ApiToken
from tests.factories import UserFactory, WorkFactory, category

DOC = Path(__file__).resolve().parents[2] / "docs" / "api.md"


def examples(language: str) -> list[str]:
    """The fenced blocks of one language in the "Examples" section, in order."""
    text = DOC.read_text(encoding="utf-8")
    section = text.split("## Examples", 1)[1].split("\n## ", 1)[0]
    return re.findall(rf"```{language}\n(.*?)```", section, flags=re.DOTALL)


def test_the_doc_has_curl_and_python_examples():
    assert len(examples("sh")) >= 2
    assert len(examples("python")) >= 2


@pytest.fixture
def doc_env(live_server):
    user = UserFactory(username="reader")
    WorkFactory(pk=42, title="Cowboy Bebop", nb_ratings=10)
    WorkFactory(pk=43, title="Trigun", nb_ratings=5)
    WorkFactory(title="Monster", category=category("manga"))
    _token, key = ApiToken.objects.issue(user, "docs")
    return {**os.environ, "MANGAKI_URL": live_server.url, "MANGAKI_TOKEN": key}


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_curl_examples_run(doc_env):
    from mangaki.models import Duel, Rating

    for script in examples("sh"):
        done = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", script],
            env=doc_env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        assert '"error"' not in done.stdout
    assert Rating.objects.get(user__username="reader", work_id=42).choice == "favorite"
    duel = Duel.objects.get(user__username="reader")  # posted twice: recorded once
    assert (duel.winner_id, duel.loser_id, duel.skipped) == (42, 43, False)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_python_examples_run(doc_env):
    code = "\n".join(examples("python"))
    done = subprocess.run(
        [sys.executable, "-c", code],
        env=doc_env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "'choice': 'favorite'" in done.stdout
