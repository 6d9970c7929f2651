"""The risk register's dashboard tile: risks due for review (or overdue) on the day."""

from caresight.core.dashboards import Figure, Tile, list_link, register_tile
from caresight.core.tenancy import Capability

from . import selectors


def _due(user, as_of, codes) -> Figure:
    found = selectors.due_for_review_count(user=user, as_of=as_of, authority_codes=codes)
    note = f"{found['overdue']} overdue" if found["overdue"] else ""
    return Figure(value=found["due"], on=as_of, based_on=found["open"],
                  based_on_label="open risks", note=note,
                  url=list_link("governance:risk-due", as_of=as_of),
                  link_text="See the risks due for review")


def register() -> None:
    register_tile(Tile(key="governance_risks_due", label="Risks due for review",
                       capability=Capability.VIEW_PLANS, figure=_due,
                       group="Plans and risks", order=51))
