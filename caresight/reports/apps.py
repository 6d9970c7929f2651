from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "caresight.reports"
    label = "reports"
    verbose_name = "Generated reports"

    def ready(self) -> None:
        from . import tiles

        tiles.register()  # the dashboard's "Reports due" (core.dashboards)
