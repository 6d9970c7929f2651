"""The beds app's rows of the role × route walk (core/tests/test_permissions.py): its pages
and its API (bed-scheme-…, placement-…, beds-…)."""

import datetime as dt

from caresight.accounts.models import Membership, Role
from caresight.core.tests.test_permissions import (
    api,
    api_hidden,
    api_write,
    hidden,
    page,
    record,
)

from .factories import placement, scheme

VIEW_BEDS = {Role.ADMIN, Role.COMMISSIONER, Role.QUALITY_OFFICER, Role.PUBLIC_HEALTH,
             Role.FINANCE, Role.BROKERAGE, Role.PARTNER, Role.PROVIDER_USER}
PLACE_BEDS = {Role.ADMIN, Role.COMMISSIONER, Role.BROKERAGE, Role.PARTNER}
MANAGE_BEDS = {Role.ADMIN, Role.COMMISSIONER}
RECORD_BED_CLAIMS = {Role.ADMIN, Role.COMMISSIONER, Role.FINANCE}
EXPORT_BEDS = VIEW_BEDS - {Role.PROVIDER_USER}
# Brokerage and money are the council's and its partners' pages, not a provider's staff's.
COUNCIL_SIDE = VIEW_BEDS - {Role.PROVIDER_USER}


def _make(w):
    partner = w["users"][Role.PARTNER]
    funder = Membership.objects.filter(user=partner).first().organisation
    # In the own provider's service, commissioned by the partner's organisation: every role
    # that sees beds sees it.
    mine = scheme(w["own"].authority, name="Permission walk step-down", location=w["own"],
                  commissioned_by=funder)
    theirs = scheme(w["other"].authority, name="Another council's beds", location=w["other"])
    return {"scheme": mine.pk, "other_scheme": theirs.pk,
            "placement": placement(mine, person_reference="PW-0001",
                                   admitted_on=dt.date(2020, 4, 2)).pk,
            "other_placement": placement(theirs, person_reference="PW-0002").pk}


def rows(w):
    r = w.get("beds") or w.setdefault("beds", _make(w))
    mine, theirs = r["scheme"], r["other_scheme"]
    own_p, other_p = r["placement"], r["other_placement"]
    view, council = page(VIEW_BEDS), page(COUNCIL_SIDE)
    day = "as_of=2020-06-04"
    return [
        ("beds:occupancy", {}, "get", None, day, view),
        ("beds:occupancy", {}, "get", None, f"{day}&download=csv", page(EXPORT_BEDS)),
        ("beds:brokerage", {}, "get", None, day, council),
        ("beds:placement-list", {}, "get", None, f"{day}&current=1", view),
        ("beds:placement-list", {}, "get", None, f"{day}&download=csv", page(EXPORT_BEDS)),
        ("beds:attention", {}, "get", None, day, view),
        ("beds:stays", {}, "get", None, "from=2020-04-01&to=2020-06-30", view),
        ("beds:sitrep", {}, "get", None, day, view),
        ("beds:sitrep", {}, "get", None, f"{day}&download=json", page(EXPORT_BEDS)),
        ("beds:money", {}, "get", None, "from=2020-04-01&to=2020-06-30", council),
        ("beds:reconciliation", {}, "get", None, day, council),
        ("beds:claim-new", {}, "get", None, "", page(RECORD_BED_CLAIMS)),
        ("beds:scheme-list", {}, "get", None, "", view),
        ("beds:scheme-new", {}, "get", None, "", page(MANAGE_BEDS)),
        ("beds:scheme-detail", {"pk": mine}, "get", None, "", record(VIEW_BEDS)),
        ("beds:scheme-detail", {"pk": theirs}, "get", None, "", hidden()),
        ("beds:scheme-edit", {"pk": mine}, "get", None, "", record(VIEW_BEDS, MANAGE_BEDS)),
        ("beds:scheme-edit", {"pk": theirs}, "post", {"name": "x"}, "", hidden()),
        ("beds:capacity-set", {"pk": mine}, "get", None, "",
         record(VIEW_BEDS, MANAGE_BEDS)),
        ("beds:capacity-set", {"pk": theirs}, "post", {"beds": "0"}, "", hidden()),
        ("beds:scheme-history", {"pk": mine}, "get", None, "", record(VIEW_BEDS)),
        ("beds:scheme-history", {"pk": theirs}, "get", None, "", hidden()),
        ("beds:placement-new", {"pk": mine}, "get", None, "", record(VIEW_BEDS, PLACE_BEDS)),
        ("beds:placement-new", {"pk": theirs}, "post", {"person_reference": "X-1"}, "",
         hidden()),
        ("beds:placement-detail", {"pk": own_p}, "get", None, "", record(VIEW_BEDS)),
        ("beds:placement-detail", {"pk": other_p}, "get", None, "", hidden()),
        ("beds:placement-edit", {"pk": own_p}, "get", None, "",
         record(VIEW_BEDS, PLACE_BEDS)),
        ("beds:placement-edit", {"pk": other_p}, "post", {"bed_number": "1"}, "", hidden()),
        ("beds:placement-discharge", {"pk": own_p}, "get", None, "",
         record(VIEW_BEDS, PLACE_BEDS)),
        ("beds:placement-discharge", {"pk": other_p}, "post", {"destination": "home"}, "",
         hidden()),
        ("beds:placement-history", {"pk": own_p}, "get", None, "", record(VIEW_BEDS)),
        ("beds:placement-history", {"pk": other_p}, "get", None, "", hidden()),
        ("beds:import-schemes", {}, "get", None, "", page(MANAGE_BEDS)),
        ("beds:import-placements", {}, "get", None, "", page(PLACE_BEDS)),
        # The API
        ("bed-scheme-list", {}, "get", None, day, api(VIEW_BEDS)),
        ("bed-scheme-list", {}, "post", {"name": ""}, "",
         api_write(VIEW_BEDS, MANAGE_BEDS, yes=400)),
        ("bed-scheme-detail", {"pk": mine}, "get", None, "", api(VIEW_BEDS)),
        ("bed-scheme-detail", {"pk": theirs}, "get", None, "", api_hidden(VIEW_BEDS)),
        ("bed-scheme-detail", {"pk": mine}, "patch", {"weekly_rate": "-1"}, "",
         api_write(VIEW_BEDS, MANAGE_BEDS, yes=400)),
        ("bed-scheme-detail", {"pk": theirs}, "patch", {"name": "x"}, "",
         api_write(VIEW_BEDS, MANAGE_BEDS, visible=False)),
        ("bed-scheme-capacity", {"pk": mine}, "post", {"beds": -1}, "",
         api_write(VIEW_BEDS, MANAGE_BEDS, yes=400)),
        ("bed-scheme-capacity", {"pk": theirs}, "post", {"beds": 1}, "",
         api_write(VIEW_BEDS, MANAGE_BEDS, visible=False)),
        ("placement-list", {}, "get", None, f"{day}&current=1", api(VIEW_BEDS)),
        ("placement-list", {}, "post", {"scheme": mine, "person_reference": "Jane"}, "",
         api_write(VIEW_BEDS, PLACE_BEDS, yes=400)),
        ("placement-detail", {"pk": own_p}, "get", None, "", api(VIEW_BEDS)),
        ("placement-detail", {"pk": other_p}, "get", None, "", api_hidden(VIEW_BEDS)),
        ("placement-detail", {"pk": own_p}, "patch", {"bed_number": 99}, "",
         api_write(VIEW_BEDS, PLACE_BEDS, yes=400)),
        ("placement-detail", {"pk": other_p}, "patch", {"bed_number": 1}, "",
         api_write(VIEW_BEDS, PLACE_BEDS, visible=False)),
        ("placement-discharge", {"pk": own_p}, "post", {"destination": "home"}, "",
         api_write(VIEW_BEDS, PLACE_BEDS, yes=400)),
        ("placement-discharge", {"pk": other_p}, "post", {"destination": "home"}, "",
         api_write(VIEW_BEDS, PLACE_BEDS, visible=False)),
        ("beds-occupancy", {}, "get", None, day, api(VIEW_BEDS)),
        ("beds-sitrep", {}, "get", None, day, api(VIEW_BEDS)),
    ]
