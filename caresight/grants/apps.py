from django.apps import AppConfig


class GrantsConfig(AppConfig):
    name = "caresight.grants"
    label = "grants"
    verbose_name = "Infection Control Fund"
