from django.apps import AppConfig


class MangakiConfig(AppConfig):
    name = "mangaki"
    verbose_name = "Mangaki"

    def ready(self) -> None:
        from . import language, signals  # noqa: F401  (connect their signal handlers)
        from .security import logins  # noqa: F401  (counts failed sign-ins)
