"""Security (docs/security.md): HTTPS, headers, trusted proxies, request sizes, rate limits
and the poster fetcher's reach.
"""

import ipaddress

from mangaki.env import ImproperlyConfiguredEnv, env_bool, env_int, env_list, env_map, env_str
from mangaki.security.rates import Rate

# Behind HTTPS: secure cookies, redirect plain HTTP, and HSTS once HTTPS is known to work.
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
# The header a TLS-terminating proxy sets to say the browser used HTTPS, e.g.
# X-Forwarded-Proto; only behind a proxy that always sets (or strips) it.
_PROXY_SSL_HEADER = env_str("SECURE_PROXY_SSL_HEADER", "")
if _PROXY_SSL_HEADER:
    SECURE_PROXY_SSL_HEADER = ("HTTP_" + _PROXY_SSL_HEADER.upper().replace("-", "_"), "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# Posters come from anywhere on the web (https); scripts and styles only from this site.
# Styles allow inline attributes for the admin's and Swagger UI's markup; scripts do not.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: https:; connect-src 'self'; font-src 'self' data:; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)

# How many proxies of ours stand between clients and the site, each appending to
# X-Forwarded-For. 0: reached directly, X-Forwarded-For is ignored (anyone can write it).
TRUSTED_PROXIES = env_int("TRUSTED_PROXIES", 0, minimum=0)

# Request sizes, refused with 413 from the Content-Length header before the body is read.
MAX_REQUEST_BYTES = env_int("MAX_REQUEST_BYTES", 1024 * 1024, minimum=1024)
MAX_UPLOAD_BYTES = env_int("MAX_UPLOAD_BYTES", 21 * 1024 * 1024, minimum=1024)
MAX_URL_BYTES = env_int("MAX_URL_BYTES", 4096, minimum=256)

# Rate limits (mangaki.security.limiter): counted per signed-in person, else per address.
RATE_LIMITS_ENABLED = env_bool("RATE_LIMITS_ENABLED", True)
RATE_LIMIT_KEY_PREFIX = env_str("CACHE_KEY_PREFIX", "mangaki") + ":limit"
RATE_LIMITS = env_map(
    "RATE_LIMITS",
    {
        "login_account_address": "5/15m",  # failed sign-ins on one account from one address
        "login_address": "30/15m",  # failed sign-ins from one address, any account
        "login_account": "100/h",  # failed sign-ins on one account, from anywhere
        "bad_token": "20/minute",  # invalid API tokens from one address
        "signup": "10/h",
        "password_reset": "5/h",
        "deck": "60/minute",  # ratings and undos from the deck
        "rate": "60/minute",  # ratings from a work page
        "suggest": "120/minute",  # search suggestions while typing
        "import_upload": "10/h",
        "import_preview": "10/minute",
        "group": "30/minute",  # group lists: up to 8 people folded in per page
    },
    check=Rate.parse,
)
# Imports confirmed and not finished, per person, at any time.
LIST_IMPORTS_AT_ONCE = env_int("LIST_IMPORTS_AT_ONCE", 1, minimum=1)
# An unconfirmed list import preview expires after this many hours (docs/imports.md).
LIST_IMPORT_PREVIEW_HOURS = env_int("LIST_IMPORT_PREVIEW_HOURS", 24, minimum=1)

# The poster fetcher connects to public addresses on ports 80 and 443 only; an operator
# may allow an internal mirror (networks such as 10.1.2.0/24) and other ports.
try:
    POSTER_FETCH_ALLOWED_NETWORKS = [
        str(ipaddress.ip_network(network, strict=False))
        for network in env_list("POSTER_FETCH_ALLOWED_NETWORKS", [])
    ]
    POSTER_FETCH_ALLOWED_PORTS = [int(p) for p in env_list("POSTER_FETCH_ALLOWED_PORTS", [])]
except ValueError as exc:
    raise ImproperlyConfiguredEnv(f"POSTER_FETCH_ALLOWED_PORTS/NETWORKS: {exc}") from None
