from django.apps import AppConfig


class WorkforceConfig(AppConfig):
    name = "caresight.workforce"
    label = "workforce"
    verbose_name = "Council workforce"

    def ready(self) -> None:
        from caresight.core import tables

        tables.register_export(
            "workforce", help="every team's weeks up to --to (from --from), with COVID-19 "
            "absences by reason", build=_weeks_export)

        from caresight.core.report_sections import register_section

        from .report_sections import SECTION

        register_section(SECTION)  # the generated reports' section (core.report_sections)


def _weeks_export(*, authority_codes, date_from=None, date_to=None):
    from .selectors import weeks_export
    from .tables import weeks_export_table

    return weeks_export_table(weeks_export(authority_codes=authority_codes,
                                           date_from=date_from, date_to=date_to))
