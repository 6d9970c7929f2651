from django.apps import AppConfig


class RiskConfig(AppConfig):
    name = "caresight.risk"
    label = "risk"
    verbose_name = "Provider risk log"
