from django.apps import AppConfig


class OutbreaksConfig(AppConfig):
    name = "caresight.outbreaks"
    label = "outbreaks"
    verbose_name = "Outbreaks"

    def ready(self) -> None:
        from caresight.core.summaries import register_summary

        from .summary import SUMMARY

        register_summary(SUMMARY)
