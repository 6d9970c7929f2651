from django.apps import AppConfig


class GovernanceConfig(AppConfig):
    name = "caresight.governance"
    label = "governance"
    verbose_name = "Risks and decisions"

    def ready(self) -> None:
        from caresight.core import tables

        tables.register_export("risk-register", help="the risk register as of --to (seed 000's "
                               "Risks | Mitigations | Residual Risk)", build=_register)
        tables.register_export("decisions", help="decisions made from --from to --to",
                               build=_decisions)
        tables.register_export("business-cases", help="business cases and their status as of "
                               "--to", build=_cases)

        from . import tiles

        tiles.register()  # the dashboard's tiles (core.dashboards)

        from caresight.core.report_sections import register_section

        from .report_sections import SECTIONS

        for section in SECTIONS:  # the generated reports' sections (core.report_sections)
            register_section(section)


def _register(**options):
    from .tables import register_export

    return register_export(**options)


def _decisions(**options):
    from .tables import decisions_export

    return decisions_export(**options)


def _cases(**options):
    from .tables import cases_export

    return cases_export(**options)
