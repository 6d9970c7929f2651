from django.apps import AppConfig


class ReturnsConfig(AppConfig):
    name = "caresight.returns"
    label = "returns"
    verbose_name = "Provider returns"

    def ready(self) -> None:
        from caresight.core.summaries import register_summary

        from .summary import SUMMARY

        register_summary(SUMMARY)
