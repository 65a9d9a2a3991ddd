"""How long the first visitor after a start waits: gunicorn is started for real on the demo
database (``bin/demo``'s, the embedded default), and the member's recommendations page is
timed on its first request after boot and on the next ones.

Each gunicorn worker loads the active model and runs one fold, rank and explanation while
it boots (``mangaki/wsgi.py`` calls ``recommender.facade.warm_up``), so reading the model
files and compiling the numba kernels (cached on disk by ``cache=True``) are paid before the
worker takes requests, not by the first visitor. ``--no-warm`` starts the same workers with
``MANGAKI_WARM_UP=0`` to show what the first request would pay without it.

Run from the repository root after ``bin/demo`` has built the site::

    python -m benchmarks.first_request            # port 8765, 2 workers, 5 more requests
    python -m benchmarks.first_request --no-warm
"""

from __future__ import annotations

import argparse
import http.cookiejar
import os
import signal
import subprocess
import sys
import time
import urllib.parse
import urllib.request

USERNAME = "first_request_bench"
PASSWORD = "a-first-request-pass-42"  # noqa: S105 - a local benchmark account


def _member() -> None:
    """The benchmark's member: 30 ratings of popular anime (created once)."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mangaki.settings")
    django.setup()
    from django.contrib.auth import get_user_model

    from mangaki.models import Work
    from mangaki.services.ratings import rate_work

    user, created = get_user_model().objects.get_or_create(username=USERNAME)
    if created:
        user.set_password(PASSWORD)
        user.save()
        works = Work.objects.filter(category__slug="anime").order_by("-nb_ratings")[:30]
        for i, work in enumerate(works):
            rate_work(user, work.pk, ["like", "favorite", "dislike", "neutral", "willsee"][i % 5])


def _wait(url: str, timeout: float) -> float:
    start = time.perf_counter()
    while time.perf_counter() - start < timeout:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - localhost
                if response.status == 200:
                    return time.perf_counter() - start
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"gunicorn did not answer {url} within {timeout:.0f} s")


def _logged_in(base: str) -> urllib.request.OpenerDirector:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.open(f"{base}/accounts/login/").read()
    token = next(c.value for c in jar if c.name == "csrftoken")
    body = urllib.parse.urlencode(
        {"username": USERNAME, "password": PASSWORD, "csrfmiddlewaretoken": token}
    ).encode()
    request = urllib.request.Request(  # noqa: S310 - localhost
        f"{base}/accounts/login/", data=body, headers={"Referer": f"{base}/accounts/login/"}
    )
    opener.open(request).read()
    if not any(c.name == "sessionid" for c in jar):
        raise SystemExit("could not log in")
    return opener


def _timed(opener, url: str) -> float:
    start = time.perf_counter()
    with opener.open(url) as response:
        response.read()
        if response.status != 200:
            raise SystemExit(f"{url}: HTTP {response.status}")
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--no-warm", action="store_true", help="start without the warm-up")
    args = parser.parse_args(argv)

    _member()
    env = {**os.environ, "WEB_BIND": f"127.0.0.1:{args.port}", "WEB_WORKERS": str(args.workers)}
    if args.no_warm:
        env["MANGAKI_WARM_UP"] = "0"
    base = f"http://127.0.0.1:{args.port}"
    server = subprocess.Popen(  # noqa: S603 - our own gunicorn
        [sys.executable, "-m", "gunicorn", "mangaki.wsgi:application", "-c", "gunicorn.conf.py"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        boot = _wait(f"{base}/livez", 300)
        # Log in through the site (no model involved), then the first recommendations page.
        opener = _logged_in(base)
        first = _timed(opener, f"{base}/recommendations/")
        later = sorted(_timed(opener, f"{base}/recommendations/") for _ in range(args.repeat))
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)
    label = "without warm-up" if args.no_warm else "with warm-up"
    print(f"{label}: boot to first answer {boot:.2f} s")
    print(f"  first /recommendations/ after start: {first * 1000:.0f} ms")
    print(f"  next {args.repeat}: median {later[len(later) // 2] * 1000:.0f} ms, "
          f"max {later[-1] * 1000:.0f} ms")  # fmt: skip


if __name__ == "__main__":
    main()
