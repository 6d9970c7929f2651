from django.apps import AppConfig


class RiskConfig(AppConfig):
    name = "caresight.risk"
    label = "risk"
    verbose_name = "Provider risk log"

    def ready(self) -> None:
        from caresight.core import tables
        from caresight.core.audit import history_written

        history_written.connect(_rating_inputs_changed, dispatch_uid="risk_rating_inputs")
        tables.register_export("risk-log", help="the risk log on --to", build=_risk_log_table)

        from . import tiles

        tiles.register()  # the dashboard's tiles (core.dashboards)

        from caresight.core.report_sections import register_section

        from .report_sections import SECTION

        register_section(SECTION)  # the generated reports' section (core.report_sections)


def _rating_inputs_changed(sender, pks, authority_ids=None, **kwargs) -> None:
    from . import services

    services.rating_inputs_changed(model=sender, pks=pks, authority_ids=authority_ids)


def _risk_log_table(**options):
    from .tables import risk_log_export

    return risk_log_export(**options)
