from django.apps import AppConfig


class OutbreaksConfig(AppConfig):
    name = "caresight.outbreaks"
    label = "outbreaks"
    verbose_name = "Outbreaks"

    def ready(self) -> None:
        from caresight.core.imports import register

        from .services import LineListImporter

        register(LineListImporter())
