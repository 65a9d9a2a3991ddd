"""The API: Django REST framework and its OpenAPI schema (docs/api.md)."""

from mangaki.env import ImproperlyConfiguredEnv, env_str
from mangaki.security.rates import Rate
from mangaki.settings.security import TRUSTED_PROXIES

REST_FRAMEWORK = {
    # Token first: an unauthenticated client gets 401 with a WWW-Authenticate header.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "mangaki.api.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["mangaki.api.parsers.JSONParser"],
    "DEFAULT_THROTTLE_CLASSES": [
        "mangaki.api.throttles.AnonymousRateThrottle",
        "mangaki.api.throttles.PersonRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env_str("API_ANON_RATE", "60/minute"),
        "user": env_str("API_USER_RATE", "600/minute"),
    },
    "NUM_PROXIES": TRUSTED_PROXIES,
    "DEFAULT_PAGINATION_CLASS": "mangaki.api.pagination.PagePagination",
    "PAGE_SIZE": 24,
    "EXCEPTION_HANDLER": "mangaki.api.errors.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "mangaki.api.schema.AutoSchema",
}
for _name in ("API_ANON_RATE", "API_USER_RATE"):
    try:
        Rate.parse(env_str(_name, "1/minute"))
    except ValueError as exc:
        raise ImproperlyConfiguredEnv(f"{_name}: {exc}") from None

SPECTACULAR_SETTINGS = {
    "TITLE": "Mangaki API",
    "DESCRIPTION": "Anime and manga ratings, rankings and explained recommendations.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {"RatingChoiceEnum": "mangaki.choices.Choice"},
    # Ids beyond 18 digits do not route (a JSON 404) instead of overflowing the database.
    "PATH_CONVERTER_OVERRIDES": {
        "work_id": {"type": "integer", "minimum": 1, "maximum": 999_999_999_999_999_999},
        "username": {"type": "string", "pattern": r"^[\w.@+-]{1,150}$"},
    },
}
