from django.apps import AppConfig


class MangakiConfig(AppConfig):
    name = "mangaki"
    verbose_name = "Mangaki"

    def ready(self) -> None:
        from . import signals  # noqa: F401  (connects the profile creation handler)
