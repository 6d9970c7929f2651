"""The accounts pages' tables, declared once for the page (see core.tables)."""

from caresight.core.tables import Column, Kind, Table

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


def _roles(person) -> str:
    return "; ".join(
        f"{m.get_role_display()} at {m.organisation} "
        f"({', '.join(a.name for a in m.authorities.all())})"
        for m in person.memberships.all())


def users_table(people) -> Table:
    """People with a role in the administrator's authorities."""
    from django.urls import reverse

    from .selectors import account_status

    status_colour = {"Active": "green", "Invited": "blue", "Invitation expired": "yellow",
                     "Deactivated": "grey", "No password set": "yellow"}
    return Table(columns=[
        Column("name", "Name", value=lambda p: p.full_name or p.email, row_header=True,
               link=lambda p: reverse("accounts:user-detail", args=[p.pk]),
               testid=lambda p: f"user-{p.email}"),
        Column("email", "Email address"),
        Column("roles", "Roles", value=_roles, empty="No roles"),
        Column("status", "Status", value=account_status, tag_colour=status_colour.get),
        Column("last_login", "Last signed in", kind=Kind.DATETIME, empty="Never"),
    ], rows=people, title="Users", caption_hidden=True,
        empty_message="Nobody has a role in your authorities yet.")


def user_roles_table(memberships, *, can_change: bool) -> Table:
    """A person's roles that the administrator may change."""
    from django.urls import reverse

    return Table(columns=[
        Column("organisation", "Organisation", value=lambda m: str(m.organisation),
               row_header=True),
        Column("role", "Role", choices=Role),
        Column("authorities", "Authorities",
               value=lambda m: ", ".join(a.name for a in m.authorities.all()), empty=""),
        *([Column("change", "Action", value=lambda m: "Change",
                  link=lambda m: reverse("accounts:membership-edit", args=[m.pk]),
                  hidden=lambda m: f" the role at {m.organisation}",
                  testid=lambda m: f"change-{m.pk}")]
          if can_change else []),
    ], rows=memberships, title="Roles", caption_hidden=True, empty_message="No roles.")
