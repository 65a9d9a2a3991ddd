"""Settings are read in a fresh interpreter, with a controlled environment."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROBE = (
    "import json, django; from django.conf import settings as s; django.setup();"
    "from mangaki.celery import app;"
    "print(json.dumps({'engine': s.DATABASES['default']['ENGINE'],"
    "'cache': s.CACHES['default']['BACKEND'],"
    "'eager': app.conf.task_always_eager, 'broker': app.conf.broker_url, 'debug': s.DEBUG,"
    "'acks_late': app.conf.task_acks_late, 'prefetch': app.conf.worker_prefetch_multiplier}))"
)


def _settings(tmp_path, **env):
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "DEBUG", "SECRET_KEY"}
    }
    clean.update(MANGAKI_VAR_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="mangaki.settings", **env)
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
    )
    return result


def test_embedded_default_needs_nothing_configured(tmp_path):
    result = _settings(tmp_path)
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    assert values["engine"] == "django.db.backends.sqlite3"
    assert values["cache"].endswith("LocMemCache")
    assert values["eager"] is True
    assert values["debug"] is False
    assert values["acks_late"] is True and values["prefetch"] == 1
    # The development secret lives in a git-ignored file under the var directory.
    assert (tmp_path / ".secret_key").read_text().strip()


def test_database_and_redis_urls_switch_to_real_services(tmp_path):
    result = _settings(
        tmp_path,
        DATABASE_URL="postgres://postgres@127.0.0.1:5432/mangaki",
        REDIS_URL="redis://127.0.0.1:6379/0",
        SECRET_KEY="x" * 50,
    )
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    assert values["engine"] == "django.db.backends.postgresql"
    assert values["cache"].endswith("RedisCache")
    assert values["eager"] is False
    assert values["broker"] == "redis://127.0.0.1:6379/0"


def test_a_bad_setting_stops_start_up_with_its_name(tmp_path):
    result = _settings(tmp_path, DEBUG="sometimes")
    assert result.returncode != 0
    assert "DEBUG='sometimes' is not a boolean" in result.stderr
    result = _settings(tmp_path, DATABASE_URL="mysql://nowhere/x")
    assert result.returncode != 0
    assert "DATABASE_URL must start with" in result.stderr
