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


def _export_table(*, authority_codes, date_from=None, date_to=None):
    from .selectors import measure_list_every, return_export
    from .tables import return_table

    return return_table(return_export(authority_codes=authority_codes, date_from=date_from,
                                      date_to=date_to).iterator(chunk_size=2000),
                        measure_list_every())
