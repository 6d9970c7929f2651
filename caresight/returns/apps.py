from django.apps import AppConfig


class ReturnsConfig(AppConfig):
    name = "caresight.returns"
    label = "returns"
    verbose_name = "Provider returns"

    def ready(self) -> None:
        from caresight.core.imports import register

        from .services import CapacityTrackerImporter

        register(CapacityTrackerImporter())
