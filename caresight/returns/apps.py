from django.apps import AppConfig


class ReturnsConfig(AppConfig):
    name = "caresight.returns"
    label = "returns"
    verbose_name = "Provider returns"

    def ready(self) -> None:
        from caresight.core import tables

        tables.register_export("returns", help="provider returns, --from and --to days",
                               build=_export_table)


def _export_table(**options):
    from caresight.core.tables import from_dicts

    from .selectors import return_export

    rows, columns, title = return_export(**options)
    return from_dicts(rows, columns, title=title)
