from django.apps import AppConfig


class BedsConfig(AppConfig):
    name = "caresight.beds"
    label = "beds"
    verbose_name = "Beds and hospital discharge"

    def ready(self) -> None:
        from caresight.core.location_sections import register_location_section

        from .views import location_section

        # "Commissioned beds" on a service's page (the register reads no later app)
        register_location_section("beds", location_section)

        from . import tiles

        tiles.register()  # the dashboard's tiles (core.dashboards)

        from caresight.core.report_sections import register_section

        from .report_sections import SECTION

        register_section(SECTION)  # the generated reports' section (core.report_sections)
        # The notifications (a new outbreak where beds are commissioned, overstays) are sent
        # by caresight.notifications' hook and daily job, through beds.notify.

        from caresight.core import imports, tables
        from caresight.core.summaries import register_summary

        from . import exports
        from .importing import BedSchemeImporter, PlacementImporter

        imports.register(BedSchemeImporter())  # `caresight import bed-schemes|placements`
        imports.register(PlacementImporter())
        tables.register_export("beds", help="each bed scheme running on --as-of (or --to): "
                               "beds commissioned, occupied, free and overstays",
                               build=exports.beds_export)
        tables.register_export("placements", help="placements admitted by --as-of (or --to), "
                               "with discharges after that day left out",
                               build=exports.placements_export)
        register_summary(exports.SUMMARY)  # `caresight summary beds`
