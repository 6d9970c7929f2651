from django.apps import AppConfig


class RegistryConfig(AppConfig):
    name = "caresight.registry"
    label = "registry"
    verbose_name = "Care provider register"

    def ready(self) -> None:
        from caresight.core.cli import register_area_lookup

        from .selectors import area_authorities

        register_area_lookup(area_authorities)

        from caresight.core import tables

        tables.register_export("locations", help="the register", build=_export_table)

        from caresight.core.imports import register

        from .services import CqcImporter

        register(CqcImporter())


def _export_table(*, authority_codes, **dates):
    from .selectors import location_export
    from .tables import location_table

    return location_table(location_export(authority_codes=authority_codes)
                          .iterator(chunk_size=2000))
