from django.apps import AppConfig


class RegistryConfig(AppConfig):
    name = "caresight.registry"
    label = "registry"
    verbose_name = "Care provider register"
