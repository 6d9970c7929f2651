from django.apps import AppConfig


class ReturnsConfig(AppConfig):
    name = "caresight.returns"
    label = "returns"
    verbose_name = "Provider returns"

    def ready(self) -> None:
        from caresight.core.summaries import register_summary

        from .summary import SUMMARY

        register_summary(SUMMARY)

        from caresight.core import tables

        tables.register_export("returns", help="provider returns, --from and --to days",
                               build=_export_table)

        from caresight.core.imports import register

        from .services import CapacityTrackerImporter

        register(CapacityTrackerImporter())

        from . import tiles

        tiles.register()  # the dashboard's tiles (core.dashboards)

        from caresight.core.report_sections import register_section

        from .report_sections import SECTION

        register_section(SECTION)  # the generated reports' section (core.report_sections)

        from caresight.core.audit import history_written

        history_written.connect(_kept_totals_out_of_date, dispatch_uid="returns_kept_totals")


def _kept_totals_out_of_date(sender, pks, authority_ids=None, days=None, **kwargs) -> None:
    from caresight.registry.models import Location

    from . import kept_totals
    from .models import Return

    if sender is Return:
        kept_totals.returns_written(pks=pks, authority_ids=authority_ids, days=days)
    elif sender is Location:
        kept_totals.register_changed(model=sender, pks=pks)


def _export_table(*, authority_codes, date_from=None, date_to=None):
    from .selectors import measure_list_every, return_export
    from .tables import return_table

    return return_table(return_export(authority_codes=authority_codes, date_from=date_from,
                                      date_to=date_to).iterator(chunk_size=2000),
                        measure_list_every())
