"""The accounts pages' tables, declared once for the page (see core.tables)."""

from caresight.core.tables import Column, Table

from .models import Role


def memberships_table(memberships) -> Table:
    """The roles a user holds: through which organisation, over which authorities."""
    return Table(columns=[
        Column("organisation", "Organisation", value=lambda m: str(m.organisation)),
        Column("role", "Role", choices=Role),
        Column("authorities", "Authorities",
               value=lambda m: ", ".join(a.name for a in m.authorities.all()), empty=""),
    ], rows=memberships, title="Your roles", caption_hidden=True,
        empty_message="You have no roles yet. Ask your administrator.")
