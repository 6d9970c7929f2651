from django.apps import AppConfig


class GrantsConfig(AppConfig):
    name = "caresight.grants"
    label = "grants"
    verbose_name = "Infection Control Fund"

    def ready(self) -> None:
        from caresight.core.services import document_register
        from caresight.core.summaries import register_summary

        from .summary import SUMMARY

        register_summary(SUMMARY)
        document_register("grant-letters", "caresight.grants.letters.letters_job")

        from . import tiles

        tiles.register()  # the dashboard's tiles (core.dashboards)

        from caresight.core.report_sections import register_section

        from .report_sections import SECTION

        register_section(SECTION)  # the generated reports' section (core.report_sections)
