from django.apps import AppConfig


class OutbreaksConfig(AppConfig):
    name = "caresight.outbreaks"
    label = "outbreaks"
    verbose_name = "Outbreaks"

    def ready(self) -> None:
        from caresight.core import tables

        tables.register_export(
            "outbreaks", help="the tracker rows on --to, with closed and new since --from",
            build=_export_table)


def _export_table(**options):
    from caresight.core.tables import from_dicts

    from .selectors import outbreak_export

    rows, columns, title = outbreak_export(**options)
    return from_dicts(rows, columns, title=title)
