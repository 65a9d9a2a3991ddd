"""The production topology as real processes, for fault tests (tests/reliability) and load
runs (benchmarks/bench_load.py): a private PostgreSQL and Redis (on their own ports, so a
test may stop, kill or restart them), the site's gunicorn, Celery worker and beat started
against them, and a small HTTP client that signs in and posts forms. Processes may also be
started as separate hosts (``start_web_on``, ``start_worker_on``): each with its own
MODEL_DIR and MEDIA_ROOT, sharing only PostgreSQL and Redis (tests/reliability/test_multihost.py).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from http.cookiejar import CookieJar
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PG_BIN = next(iter(sorted(Path("/usr/lib/postgresql").glob("*/bin"))), None)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(predicate, timeout: float, what: str, logs: Path | None = None, every=0.3):
    """Poll ``predicate`` until it is true; fail with the processes' log tails otherwise."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            if predicate():
                return
        except Exception as error:  # noqa: BLE001 (a poll may hit the fault under test)
            last = error
        time.sleep(every)
    tails = ""
    if logs is not None:
        tails = "\n".join(
            f"--- {p.name}\n{p.read_text(errors='replace')[-3000:]}" for p in logs.glob("*.log")
        )
    raise AssertionError(f"timed out waiting for {what} (last error: {last!r})\n{tails}")


def available() -> str | None:
    """Why these tests cannot run here, or None."""
    if PG_BIN is None or not (PG_BIN / "initdb").exists():
        return "PostgreSQL's server binaries (initdb, pg_ctl) are not installed"
    if shutil.which("redis-server") is None:
        return "redis-server is not installed"
    return None


def _as_postgres(command: list[str]) -> list[str]:
    # initdb and postgres refuse to run as root: run them as the postgres user then.
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *command]
    return command


class PrivatePostgres:
    """A throwaway PostgreSQL cluster in a temporary folder of its own (the postgres user
    must be able to reach it), trust auth, on a free port. ``remove()`` deletes it."""

    def __init__(self):
        self.folder = Path(tempfile.mkdtemp(prefix="mangaki-pg-"))
        self.data = self.folder / "pgdata"
        self.port = free_port()
        self.log = self.folder / "postgres.log"
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres")
        subprocess.run(
            _as_postgres([str(PG_BIN / "initdb"), "-D", str(self.data), "-A", "trust",
                          "-U", "postgres", "--no-sync"]),
            check=True, capture_output=True, timeout=120,
        )  # fmt: skip
        self.start()

    def _ctl(self, *args, check=True):
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        return subprocess.run(
            _as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.log),
                          "-o", options, "-w", "-t", "60", *args]),
            check=check, capture_output=True, timeout=120,
        )  # fmt: skip

    def start(self):
        self._ctl("start")

    def stop(self, mode: str = "fast"):
        self._ctl("stop", "-m", mode, check=False)

    def restart(self):
        self._ctl("restart", "-m", "fast")

    def remove(self):
        self.stop("immediate")
        shutil.rmtree(self.folder, ignore_errors=True)

    def url(self, database: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def psql(self, sql: str, database: str = "postgres") -> str:
        done = subprocess.run(
            [str(PG_BIN / "psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres",
             "-d", database, "-tAc", sql],
            check=True, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        return done.stdout.strip()


class PrivateRedis:
    """A redis-server on a free port that keeps nothing on disk."""

    def __init__(self, folder: Path):
        self.port = free_port()
        self.folder = folder
        self.process: subprocess.Popen | None = None
        self.start()

    def start(self):
        log = open(self.folder / "redis.log", "a")  # noqa: SIM115 (closed with the process)
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.folder)],
            stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        wait_until(self.ping, 20, "redis to start")

    def ping(self) -> bool:
        import redis

        return redis.Redis(port=self.port, socket_timeout=0.5).ping()

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=20)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"


@dataclass
class Site:
    """The production topology as processes (web, worker, beat) on private services."""

    folder: Path
    postgres: PrivatePostgres
    redis: PrivateRedis
    database: str = "mangaki"
    extra_env: dict = field(default_factory=dict)
    processes: dict = field(default_factory=dict)
    web_port: int = field(default_factory=free_port)

    @property
    def env(self) -> dict:
        return {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "mangaki.settings",
            "DATABASE_URL": self.postgres.url(self.database),
            "REDIS_URL": self.redis.url,
            "SECRET_KEY": "reliability-test-secret-" + "x" * 40,
            "MANGAKI_VAR_DIR": str(self.folder),
            "MODEL_DIR": str(self.folder / "models"),
            "MEDIA_ROOT": str(self.folder / "media"),
            "BACKUP_DIR": str(self.folder / "backups"),
            "BEAT_HEARTBEAT_SECONDS": "2",
            "DIRTY_RECOUNT_SECONDS": "5",
            "TRAINING_STALE_SECONDS": "10",
            "CELERY_VISIBILITY_TIMEOUT": "60",
            "NUMBA_NUM_THREADS": "1",
            **self.extra_env,
        }

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.web_port}"

    def manage(self, *args, timeout=900, check=True) -> subprocess.CompletedProcess:
        done = subprocess.run(
            [sys.executable, "manage.py", *args], cwd=ROOT, env=self.env, capture_output=True,
            text=True, timeout=timeout, check=False,
        )  # fmt: skip
        if check and done.returncode != 0:
            raise RuntimeError(
                f"manage.py {' '.join(args)} exited {done.returncode}: {done.stderr[-3000:]}"
            )
        return done

    def prepare(self, works: int = 200, users: int = 40) -> None:
        self.postgres.psql(f"CREATE DATABASE {self.database}")
        self.manage("migrate", "--noinput", "-v0")
        head = self.folder / "catalogue.csv"
        lines = (ROOT / "data" / "anime.csv").read_text(encoding="utf-8").splitlines()
        head.write_text("\n".join(lines[: works + 1]) + "\n", encoding="utf-8")
        self.manage("import_catalog", str(head), "--no-progress")
        self.manage("seed_demo", "--users", str(users))
        self.manage(
            "shell", "-c",
            "from django.contrib.auth import get_user_model as g; "
            "u = g().objects.create_superuser('staff', 'staff@example.org', 'staff pass 42'); "
            "g().objects.create_user('member', 'member@example.org', 'member pass 42')",
        )  # fmt: skip

    def _spawn(self, name: str, command: list[str], env: dict | None = None) -> subprocess.Popen:
        log = open(self.folder / f"{name}.log", "a")  # noqa: SIM115 (closed with the process)
        process = subprocess.Popen(
            command, cwd=ROOT, env=env or self.env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        self.processes[name] = process
        return process

    def start_web(self, workers: int = 2, threads: int = 4) -> None:
        bin_dir = Path(sys.executable).parent
        self._spawn(
            "web",
            [str(bin_dir / "gunicorn"), "mangaki.wsgi:application", "-c",
             "gunicorn.conf.py", "--bind", f"127.0.0.1:{self.web_port}",
             "--workers", str(workers), "--threads", str(threads)],
        )  # fmt: skip
        wait_until(lambda: self.get("/livez")[0] == 200, 90, "gunicorn", self.folder)

    def start_worker(self, queues: str = "default,tagging,training", pool: str = "prefork"):
        bin_dir = Path(sys.executable).parent
        return self._spawn(
            "worker",
            [str(bin_dir / "celery"), "-A", "mangaki", "worker", "-Q", queues,
             "--concurrency", "1", "--pool", pool, "--loglevel", "INFO", "-n", "faults@%h"],
        )  # fmt: skip

    def start_beat(self):
        bin_dir = Path(sys.executable).parent
        return self._spawn(
            "beat",
            [str(bin_dir / "celery"), "-A", "mangaki", "beat", "--schedule",
             str(self.folder / "beat-schedule"), "--loglevel", "INFO"],
        )  # fmt: skip

    def stop(self, name: str, sig=signal.SIGTERM) -> None:
        process = self.processes.pop(name, None)
        if process is None or process.poll() is not None:
            return
        os.killpg(process.pid, sig)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=30)

    def stop_all(self) -> None:
        for name in list(self.processes):
            self.stop(name)

    # -- several hosts: nothing shared but PostgreSQL and Redis ------------------------------

    def host_env(self, host: str) -> dict:
        """The environment of a process on a host of its own: its own MODEL_DIR, MEDIA_ROOT
        and var folder (set FILE_STORAGE in ``extra_env`` so that files are shared)."""
        folder = self.folder / host
        folder.mkdir(exist_ok=True)
        return {
            **self.env,
            "MANGAKI_VAR_DIR": str(folder),
            "MODEL_DIR": str(folder / "models"),
            "MEDIA_ROOT": str(folder / "media"),
            "BACKUP_DIR": str(folder / "backups"),
        }

    def start_web_on(self, host: str, workers: int = 1, threads: int = 4) -> WebHost:
        web = WebHost(host, free_port(), self.folder / host)
        bin_dir = Path(sys.executable).parent
        self._spawn(
            host,
            [str(bin_dir / "gunicorn"), "mangaki.wsgi:application", "-c",
             "gunicorn.conf.py", "--bind", f"127.0.0.1:{web.port}",
             "--workers", str(workers), "--threads", str(threads)],
            env=self.host_env(host),
        )  # fmt: skip
        wait_until(lambda: Client(web).request("/livez")[0] == 200, 90, host, self.folder)
        return web

    def start_worker_on(self, host: str, queues: str = "default,tagging,training"):
        bin_dir = Path(sys.executable).parent
        return self._spawn(
            host,
            [str(bin_dir / "celery"), "-A", "mangaki", "worker", "-Q", queues,
             "--concurrency", "1", "--loglevel", "INFO", "-n", f"{host}@%h"],
            env=self.host_env(host),
        )  # fmt: skip

    # -- the database, read directly ---------------------------------------------------------

    def sql(self, query: str) -> str:
        return self.postgres.psql(query, self.database)

    # -- HTTP ----------------------------------------------------------------------------

    def get(self, path: str, client: Client | None = None) -> tuple[int, str]:
        return (client or Client(self)).request(path)


@dataclass
class WebHost:
    """A web process on a host of its own (:meth:`Site.start_web_on`); a :class:`Client`
    built on it talks to that process only."""

    name: str
    port: int
    folder: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


class Client:
    """A browser-like HTTP client: cookies, CSRF token, status codes instead of raising."""

    def __init__(self, site: Site | WebHost):
        self.site = site
        self.jar = CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def csrf(self) -> str:
        token = next((c.value for c in self.jar if c.name == "csrftoken"), None)
        if token is None:
            self.request("/accounts/login/")
            token = next(c.value for c in self.jar if c.name == "csrftoken")
        return token

    def request(
        self,
        path: str,
        data: dict | None = None,
        method: str | None = None,
        body: bytes | None = None,
        headers: dict | None = None,
    ) -> tuple[int, str]:
        headers = dict(headers or {})
        if data is not None:
            body = urllib.parse.urlencode({**data, "csrfmiddlewaretoken": self.csrf()}).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if method in ("PUT", "DELETE", "POST") or data is not None:
            headers.setdefault("X-CSRFToken", self.csrf())
            headers.setdefault("Referer", self.site.url + "/")
        request = urllib.request.Request(  # noqa: S310 (our own http:// site)
            self.site.url + path, data=body, method=method, headers=headers
        )
        try:
            with self.opener.open(request, timeout=60) as response:
                return response.status, response.read().decode(errors="replace")
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode(errors="replace")

    def login(self, username: str, password: str) -> None:
        status, _ = self.request("/accounts/login/", {"username": username, "password": password})
        assert status == 200, f"login of {username} answered {status}"
        status, page = self.request("/account/")
        assert status == 200 and username in page, f"{username} is not signed in"

    def json(self, path: str, **kwargs) -> tuple[int, dict]:
        status, text = self.request(path, **kwargs)
        try:
            return status, json.loads(text)
        except json.JSONDecodeError:
            return status, {"raw": text[:500]}


def first_number(pattern: str, text: str) -> int:
    return int(re.search(pattern, text).group(1))
