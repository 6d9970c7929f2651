from django.apps import AppConfig


class PlansConfig(AppConfig):
    name = "caresight.plans"
    label = "plans"
    verbose_name = "Plans"

    def ready(self) -> None:
        from caresight.core import imports, tables

        from . import exports
        from .importing import ActionPlanImporter

        imports.register(ActionPlanImporter())
        tables.register_export("action-plan", help="every action plan's actions as on --to",
                               build=exports.action_plan_export)
        tables.register_export("winter-plan", help="the winter plan checklist as on --to",
                               build=exports.winter_plan_export)

        from . import tiles

        tiles.register()  # the dashboard's tiles (core.dashboards)

        from caresight.core.report_sections import register_section

        from .report_sections import SECTION

        register_section(SECTION)  # the generated reports' section (core.report_sections)
