from django.apps import AppConfig


class DashboardsConfig(AppConfig):
    name = "caresight.dashboards"
    label = "dashboards"
    verbose_name = "Dashboards"

    def ready(self) -> None:
        from caresight.core.dashboards import register_landing

        from .views import home

        register_landing(home)  # core.views.home (URL "home") shows it
