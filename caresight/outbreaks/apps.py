from django.apps import AppConfig


class OutbreaksConfig(AppConfig):
    name = "caresight.outbreaks"
    label = "outbreaks"
    verbose_name = "Outbreaks"
