from django.apps import AppConfig


class ReturnsConfig(AppConfig):
    name = "caresight.returns"
    label = "returns"
    verbose_name = "Provider returns"
