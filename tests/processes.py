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


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def web_server(tmp_path, workers: int = 2, threads: int = 4, **extra_env):
    """gunicorn serving the site (with the checkout's gunicorn.conf.py) against this test's
    database and broker; yields its base URL once it answers."""
    import time
    import urllib.error
    import urllib.request

    port = free_port()
    log_path = tmp_path / f"gunicorn-{port}.log"
    gunicorn = Path(sys.executable).parent / "gunicorn"
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            [str(gunicorn), "mangaki.wsgi:application", "--bind", f"127.0.0.1:{port}",
             "--workers", str(workers), "--threads", str(threads)],
            cwd=ROOT, env=service_env(tmp_path, **extra_env), stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                try:  # a static file: no rate limit counts it
                    urllib.request.urlopen(url + "/static/css/site.css", timeout=5)
                    break
                except urllib.error.HTTPError:
                    break  # it answers
                except OSError:
                    if time.monotonic() > deadline or process.poll() is not None:
                        raise RuntimeError(
                            f"gunicorn did not start: {log_path.read_text()}"
                        ) from None
                    time.sleep(0.3)
            yield url
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
