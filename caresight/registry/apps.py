from django.apps import AppConfig


class RegistryConfig(AppConfig):
    name = "caresight.registry"
    label = "registry"
    verbose_name = "Care provider register"

    def ready(self) -> None:
        from caresight.core.imports import register

        from .services import CqcImporter

        register(CqcImporter())
