from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "caresight.core"
    label = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        from caresight.core import (  # noqa: F401  (they register rules and signal receivers)
            audit,
            tenancy,
        )
