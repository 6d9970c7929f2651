from django.apps import AppConfig


class RiskConfig(AppConfig):
    name = "caresight.risk"
    label = "risk"
    verbose_name = "Provider risk log"

    def ready(self) -> None:
        from caresight.core.audit import history_written

        history_written.connect(_rating_inputs_changed, dispatch_uid="risk_rating_inputs")


def _rating_inputs_changed(sender, pks, **kwargs) -> None:
    from . import services

    services.rating_inputs_changed(model=sender, pks=pks)
