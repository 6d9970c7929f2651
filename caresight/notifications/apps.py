from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "caresight.notifications"
    label = "notifications"
    verbose_name = "Notifications"

    def ready(self) -> None:
        from . import hooks

        hooks.connect()
