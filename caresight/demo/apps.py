from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The fictional demo area. It may use every app; no app uses it."""

    name = "caresight.demo"
    label = "demo"
    verbose_name = "Demo area"
