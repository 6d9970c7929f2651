"""The Infection Control Fund's dashboard tiles: for officers, instalments due, services
withheld and payment runs awaiting confirmation; for a provider's staff, agreements to sign,
spend returns due and allocation letters."""

from caresight.core.dashboards import (
    Audience,
    Figure,
    Tile,
    list_link,
    memo,
    register_tile,
)
from caresight.core.tenancy import Capability
from caresight.core.timeutils import long_date

from . import selectors


def _officer(user, as_of, codes) -> dict:
    return memo(user, ("grants", as_of, tuple(codes)),
                lambda: selectors.officer_counts(user=user, as_of=as_of, authority_codes=codes))


def _provider(user, as_of) -> dict:
    return memo(user, ("grants-provider", as_of),
                lambda: selectors.provider_counts(user=user, as_of=as_of))


def _due(user, as_of, codes) -> Figure:
    found = _officer(user, as_of, codes)
    next_due = found["next_due"]
    note = ""
    if next_due:
        note = (f"Next due on {long_date(next_due)}" if next_due >= as_of
                else f"Due since {long_date(next_due)}")
    return Figure(value=found["due"], on=as_of, based_on=found["rounds"],
                  based_on_label="rounds", note=note, url=list_link("grants:list"),
                  link_text="See the rounds and their payment runs")


def _withheld(user, as_of, codes) -> Figure:
    found = _officer(user, as_of, codes)
    return Figure(value=found["withheld"], on=as_of, based_on=found["runs_confirmed"],
                  based_on_label="confirmed payment runs", url=list_link("grants:list"),
                  link_text="See the rounds and their payment runs")


def _awaiting(user, as_of, codes) -> Figure:
    found = _officer(user, as_of, codes)
    return Figure(value=found["awaiting"], on=as_of, based_on=found["rounds"],
                  based_on_label="rounds", url=list_link("grants:list"),
                  link_text="See the rounds and their payment runs")


def _provider_figure(key: str, note: str, link_text: str):
    def figure(user, as_of, codes) -> Figure:
        found = _provider(user, as_of)
        return Figure(value=found[key], on=as_of, based_on=found["letters"],
                      based_on_label="rounds you have an allocation from",
                      based_on_one="round you have an allocation from", note=note,
                      url=list_link("grants:list"), link_text=link_text)
    return figure


def register() -> None:
    officer = [
        ("grants_instalments_due", "Infection Control Fund instalments due", _due),
        ("grants_withheld", "Services with a payment withheld", _withheld),
        ("grants_runs_awaiting", "Payment runs awaiting confirmation", _awaiting),
    ]
    for order, (key, label, figure) in enumerate(officer):
        register_tile(Tile(key=key, label=label, capability=Capability.MANAGE_GRANTS,
                           figure=figure, group="Infection Control Fund", order=40 + order))
    provider = [
        ("provider_agreements", "Grant agreements to sign", "to_sign",
         "Sign to receive the fund's payments", "See your rounds and sign"),
        ("provider_spend_returns", "Spend returns due", "spend_due",
         "For rounds that have paid you", "See your rounds and report spend"),
        ("provider_letters", "Allocation letters", "letters", "One for each round",
         "See your rounds and letters"),
    ]
    for order, (key, label, name, note, link_text) in enumerate(provider):
        register_tile(Tile(key=key, label=label, capability=Capability.RESPOND_GRANTS,
                           figure=_provider_figure(name, note, link_text),
                           group="Infection Control Fund", order=20 + order,
                           audience=Audience.PROVIDER))
