from django.apps import AppConfig


class OutbreaksConfig(AppConfig):
    name = "caresight.outbreaks"
    label = "outbreaks"
    verbose_name = "Outbreaks"

    def ready(self) -> None:
        from caresight.core.summaries import register_summary

        from .summary import SUMMARY

        register_summary(SUMMARY)

        from caresight.core import tables

        tables.register_export(
            "outbreaks", help="the tracker rows on --to, with closed and new since --from",
            build=_export_table)

        from caresight.core.imports import register

        from .services import LineListImporter

        register(LineListImporter())

        from . import tiles

        tiles.register()  # the dashboard's tiles (core.dashboards)

        from caresight.core.report_sections import register_section

        from .report_sections import SECTION

        register_section(SECTION)  # the generated reports' section (core.report_sections)


def _export_table(*, authority_codes, date_from=None, date_to=None):
    from .selectors import outbreak_export
    from .tables import tracker_table

    return tracker_table(outbreak_export(authority_codes=authority_codes, date_from=date_from,
                                         date_to=date_to), title="Outbreak tracker")
