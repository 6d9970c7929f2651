from django.apps import AppConfig


class RegistryConfig(AppConfig):
    name = "caresight.registry"
    label = "registry"
    verbose_name = "Care provider register"

    def ready(self) -> None:
        from caresight.core import tables

        tables.register_export("locations", help="the register", build=_export_table)


def _export_table(**options):
    from caresight.core.tables import from_dicts

    from .selectors import location_export

    rows, columns, title = location_export(**options)
    return from_dicts(rows, columns, title=title)
