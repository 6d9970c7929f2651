"""The action plans' dashboard tile: actions overdue on the day."""

from caresight.core.dashboards import Figure, Tile, list_link, register_tile
from caresight.core.tenancy import Capability

from . import selectors


def _overdue(user, as_of, codes) -> Figure:
    found = selectors.overdue_count(user=user, as_of=as_of, authority_codes=codes)
    return Figure(value=found["overdue"], on=as_of, based_on=found["actions"],
                  based_on_label="actions", url=list_link("plans:overdue", as_of=as_of),
                  link_text="See the overdue actions")


def register() -> None:
    register_tile(Tile(key="plans_overdue", label="Plan actions overdue",
                       capability=Capability.VIEW_PLANS, figure=_overdue,
                       group="Plans and risks", order=50))
