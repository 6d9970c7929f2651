from django.apps import AppConfig


class RegistryConfig(AppConfig):
    name = "caresight.registry"
    label = "registry"
    verbose_name = "Care provider register"

    def ready(self) -> None:
        from caresight.core.cli import register_area_lookup

        from .selectors import area_authorities

        register_area_lookup(area_authorities)
