"""Start the project's real processes (a Celery worker) against the test database."""

import os
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[1]


def service_env(tmp_path, **extra) -> dict[str, str]:
    """Environment for a child process that shares this test's database, broker and files."""
    db = settings.DATABASES["default"]
    return {
        **os.environ,
        "DATABASE_URL": (
            f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:"
            f"{db['PORT'] or 5432}/{connection.settings_dict['NAME']}"
        ),
        "REDIS_URL": settings.REDIS_URL,
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "MODEL_DIR": str(settings.MODEL_DIR),
        "MANGAKI_VAR_DIR": str(tmp_path),
        "SECRET_KEY": "child-process-" + "x" * 40,
        **extra,
    }


@contextmanager
def celery_worker(tmp_path, queues: str, pool: str = "solo", extra_args=(), **extra_env):
    """A real worker process; yields (process, log path)."""
    log_path = tmp_path / f"worker-{queues.replace(',', '-')}.log"
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "mangaki", "worker", "-Q", queues,
             "--concurrency", "1", "--pool", pool, "--loglevel", "INFO", *extra_args],
            cwd=ROOT, env=service_env(tmp_path, **extra_env), stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            yield process, log_path
        finally:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()
