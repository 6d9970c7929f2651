"""Occupancy, brokerage, stays, the sitrep and money, for any day, within the reader's scope."""

import datetime as dt
from decimal import Decimal

import pytest

from caresight.accounts.models import Role
from caresight.core.tenancy import OPERATOR
from caresight.outbreaks.tests.test_services import report
from caresight.registry.tests.factories import LocalityFactory, LocationFactory

from .. import selectors, services
from ..models import Destination, Placement, SchemeKind
from . import factories as f

D = dt.date


@pytest.fixture
def area(cambs, devon):
    """Two schemes in Cambridgeshire (one block, one spot) and one in Devon."""
    fenland = LocalityFactory(authority=cambs, name="Fenland")
    block = f.scheme(cambs, name="Orchard step-down", beds=4,
                     location=LocationFactory(authority=cambs, locality=fenland))
    spot = f.scheme(cambs, name="Spot beds", kind=SchemeKind.SPOT, beds=3,
                    weekly_rate="910.00", funding_source="council")
    devon_beds = f.scheme(devon, name="Dartmoor D2A", kind=SchemeKind.PATHWAY_2, beds=5)
    return {"block": block, "spot": spot, "devon": devon_beds}


def discharge(placement, on, destination=Destination.HOME_WITH_CARE):
    return services.placement_discharge(placement=placement, discharged_on=on,
                                        destination=destination, user=OPERATOR)


class TestOccupancy:
    def test_beds_are_counted_by_the_night(self, area):
        stay = f.placement(area["block"], admitted_on=D(2020, 4, 2))
        discharge(stay, D(2020, 4, 5))
        on = {day: selectors.occupancy(user=OPERATOR, as_of=D(2020, 4, day))["occupied"]
              for day in (1, 2, 4, 5)}
        assert on == {1: 0, 2: 1, 4: 1, 5: 0}

    def test_totals_and_groups_add_up(self, area, cambs):
        f.placement(area["block"])
        f.placement(area["spot"], person_reference="CH-0002")
        f.placement(area["devon"], person_reference="DV-0001")
        found = selectors.occupancy(user=OPERATOR, as_of=D(2020, 4, 3))
        assert (found["commissioned"], found["occupied"], found["free"]) == (12, 3, 9)
        by_kind = {row["key"]: (row["commissioned"], row["occupied"]) for row in found["by_kind"]}
        assert by_kind == {"step_down": (4, 1), "pathway_2": (5, 1), "spot": (3, 1)}
        assert sum(r["free"] for r in found["by_locality"]) == found["free"]
        assert {r["label"] for r in found["by_locality"]} >= {"Fenland"}
        assert sum(r["commissioned"] for r in found["by_funding"]) == 12

    def test_capacity_changes_take_effect_from_their_day(self, area):
        services.capacity_set(scheme=area["block"], from_date=D(2020, 5, 1), beds=10,
                              user=OPERATOR)
        assert selectors.occupancy(user=OPERATOR, as_of=D(2020, 4, 30),
                                   authority="E10000003")["commissioned"] == 7
        assert selectors.occupancy(user=OPERATOR, as_of=D(2020, 5, 1),
                                   authority="E10000003")["commissioned"] == 13

    def test_a_scheme_counts_only_within_its_dates(self, cambs):
        f.scheme(cambs, name="Winter beds", starts_on=D(2020, 11, 1), ends_on=D(2021, 3, 31))
        assert selectors.occupancy(user=OPERATOR, as_of=D(2020, 10, 31))["commissioned"] == 0
        assert selectors.occupancy(user=OPERATOR, as_of=D(2021, 3, 31))["commissioned"] == 4
        assert selectors.occupancy(user=OPERATOR, as_of=D(2021, 4, 1))["commissioned"] == 0

    def test_an_officer_sees_only_their_councils_beds(self, area, make_user, cambs):
        officer = make_user(Role.COMMISSIONER, cambs)
        found = selectors.occupancy(user=officer, as_of=D(2020, 4, 3))
        assert found["commissioned"] == 7
        assert {d.scheme.name for d in selectors.scheme_days(
            user=officer, as_of=D(2020, 4, 3))} == {"Orchard step-down", "Spot beds"}

    def test_a_partner_sees_only_the_beds_it_commissions(self, area, make_user, cambs):
        partner = make_user(Role.PARTNER, cambs)
        own = partner.memberships.get().organisation
        f.scheme(cambs, name="CCG beds", beds=6, commissioned_by=own)
        assert selectors.occupancy(user=partner, as_of=D(2020, 4, 3))["commissioned"] == 6
        assert [d.scheme.name for d in selectors.scheme_days(
            user=partner, as_of=D(2020, 4, 3))] == ["CCG beds"]

    def test_a_provider_user_sees_only_its_own_services_schemes(self, area, make_user, cambs):
        provider = area["block"].location.provider
        user = make_user(Role.PROVIDER_USER, cambs, provider=provider)
        placement = f.placement(area["block"])
        f.placement(area["spot"], person_reference="CH-0002")
        assert [d.scheme.name for d in selectors.scheme_days(
            user=user, as_of=D(2020, 4, 3))] == ["Orchard step-down"]
        assert list(selectors.placement_list(user=user)) == [placement]

    def test_a_viewer_sees_no_beds(self, area, make_user, cambs):
        viewer = make_user(Role.VIEWER, cambs)
        assert selectors.occupancy(user=viewer, as_of=D(2020, 4, 3))["commissioned"] == 0
        assert selectors.scheme_days(user=viewer, as_of=D(2020, 4, 3)) == []

    def test_the_summary_has_the_commands_keys(self, area):
        f.placement(area["block"])
        found = selectors.summary(user=OPERATOR, as_of=D(2020, 4, 3), authority="e10000003")
        assert {"commissioned", "occupied", "free", "by_kind", "overstays"} <= found.keys()
        assert (found["commissioned"], found["occupied"], found["free"]) == (7, 1, 6)
        assert found["by_kind"]["step_down"]["occupied"] == 1


class TestAttention:
    def test_overstays_are_past_the_intended_stay(self, area):
        f.placement(area["block"], admitted_on=D(2020, 4, 1))
        f.placement(area["block"], person_reference="CH-0002", admitted_on=D(2020, 4, 5))
        assert selectors.overstays(user=OPERATOR, as_of=D(2020, 4, 15)) == []
        over = selectors.overstays(user=OPERATOR, as_of=D(2020, 4, 16))
        assert [p.person_reference for p in over] == ["CH-0001"]

    def test_a_discharged_person_is_no_overstay(self, area):
        stay = f.placement(area["block"])
        discharge(stay, D(2020, 4, 20))
        assert selectors.overstays(user=OPERATOR, as_of=D(2020, 4, 25)) == []
        assert [p.person_reference for p in selectors.overstays(
            user=OPERATOR, as_of=D(2020, 4, 18))] == ["CH-0001"]

    def test_placements_ending_this_week(self, area):
        f.placement(area["block"], expected_discharge_on=D(2020, 4, 9))
        f.placement(area["block"], person_reference="CH-0002", admitted_on=D(2020, 4, 2))
        f.placement(area["spot"], person_reference="CH-0003",
                    expected_discharge_on=D(2020, 4, 30))
        ending = selectors.ending_soon(user=OPERATOR, as_of=D(2020, 4, 10))
        # CH-0001 was due yesterday (an overstay now, not "ending"); CH-0002's 14 days end 16th
        assert [p.person_reference for p in ending] == ["CH-0002"]


    def test_people_past_their_expected_discharge_whatever_the_scheme(self, cambs):
        block = f.scheme(cambs, name="Block", kind=SchemeKind.BLOCK)
        assert block.max_stay_days is None
        f.placement(block, expected_discharge_on=D(2020, 4, 5))
        f.placement(block, person_reference="CH-0002", expected_discharge_on=D(2020, 4, 9))
        late = selectors.past_expected_discharge(user=OPERATOR, as_of=D(2020, 4, 9))
        assert [p.person_reference for p in late] == ["CH-0001"]
        assert selectors.overstays(user=OPERATOR, as_of=D(2020, 4, 9)) == []


class TestStaysAndSitrep:
    def test_length_of_stay_and_destinations(self, area):
        discharge(f.placement(area["block"]), D(2020, 4, 11))
        discharge(f.placement(area["block"], person_reference="CH-0002"), D(2020, 4, 21),
                  Destination.CARE_HOME)
        discharge(f.placement(area["spot"], person_reference="CH-0003"), D(2020, 4, 4),
                  Destination.READMITTED)
        stats = selectors.stay_statistics(user=OPERATOR, date_from=D(2020, 4, 1),
                                          date_to=D(2020, 4, 30))
        assert stats["discharged"] == 3
        assert stats["median_nights"] == 10 and stats["longest_nights"] == 20
        assert stats["mean_nights"] == 11.0
        counts = {d["key"]: d["count"] for d in stats["destinations"]}
        assert counts["care_home"] == 1 and counts["readmitted"] == 1
        assert sum(counts.values()) == 3
        assert {k["key"]: k["discharged"] for k in stats["by_kind"]} == {"step_down": 2,
                                                                          "spot": 1}

    def test_the_sitrep_counts_the_24_hours_before_8am(self, area):
        f.placement(area["block"], admitted_on=D(2020, 4, 1))
        second = f.placement(area["block"], person_reference="CH-0002", admitted_on=D(2020, 4, 2))
        f.placement(area["spot"], person_reference="CH-0003", admitted_on=D(2020, 4, 3))
        discharge(second, D(2020, 4, 3))
        rep = selectors.sitrep(user=OPERATOR, as_of=D(2020, 4, 4), authority="E10000003")
        rows = {r["key"]: r for r in rep["rows"]}
        assert (rows["step_down"]["occupied"], rows["step_down"]["admissions"],
                rows["step_down"]["discharges"]) == (1, 0, 1)
        assert (rows["spot"]["occupied"], rows["spot"]["admissions"]) == (1, 1)
        assert rep["total"] == {"schemes": 2, "commissioned": 7, "occupied": 2, "free": 5,
                                "admissions": 1, "discharges": 1}


class TestMoney:
    def test_block_beds_are_paid_whether_occupied_or_not_spot_only_when_used(self, area):
        discharge(f.placement(area["spot"], person_reference="CH-0003"), D(2020, 4, 8))
        april = selectors.costs(user=OPERATOR, date_from=D(2020, 4, 1), date_to=D(2020, 4, 30),
                                authority="E10000003")
        rows = {r["scheme"].name: r for r in april["rows"]}
        # 4 block beds × 30 nights × £700 ÷ 7; 7 spot nights × £910 ÷ 7
        assert rows["Orchard step-down"]["cost"] == Decimal("12000.00")
        assert rows["Orchard step-down"]["void_cost"] == Decimal("12000.00")
        assert rows["Spot beds"]["cost"] == Decimal("910.00")
        assert april["cost"] == Decimal("12910.00") == april["block_cost"] + april["spot_cost"]
        assert april["block_share"] == Decimal("93.0")
        assert {r["key"]: r["cost"] for r in april["by_source"]} == {
            "nhs_discharge": Decimal("12000.00"), "council": Decimal("910.00")}

    def test_spot_nights_are_paid_only_within_the_schemes_dates(self, cambs):
        spot = f.scheme(cambs, name="Short spot", kind=SchemeKind.SPOT, beds=1,
                        ends_on=D(2020, 4, 10))
        # Still open after the end came (the end was set while the person was in a bed, and
        # the day has since passed), as the services cannot now write it
        Placement.objects.create(scheme=spot, bed_number=1, person_reference="CH-0001",
                                 source="hospital", admitted_on=D(2020, 4, 1),
                                 covid_status="negative", pathway="2",
                                 funding_source="council")
        found = selectors.costs(user=OPERATOR, date_from=D(2020, 4, 1), date_to=D(2020, 4, 30))
        # the nights of 1 to 10 April (its last day), not the 29 to the end of the month
        assert found["rows"][0]["occupied_nights"] == 10
        assert found["cost"] == Decimal("1000.00")

    def test_costs_add_up_to_the_penny(self, cambs):
        odd = f.scheme(cambs, name="Odd rate", beds=3, weekly_rate="733.33")
        f.placement(odd)
        found = selectors.costs(user=OPERATOR, date_from=D(2020, 4, 1), date_to=D(2020, 4, 10))
        row = found["rows"][0]
        # 30 bed-nights at £733.33 a week: £3,142.842… → £3,142.84; occupied 10 of 30
        assert row["cost"] == Decimal("3142.84")
        assert row["void_cost"] == Decimal("2095.23")
        assert found["cost"] == sum(r["cost"] for r in found["rows"])

    def test_reconciliation_compares_nhs_funded_cost_with_claims(self, area, cambs):
        services.claim_record(authority=cambs, month=D(2020, 4, 1), claimed_from=f.organisation(),
                              amount="11000.00", submitted_on=D(2020, 5, 5), user=OPERATOR)
        months = selectors.reconciliation(user=OPERATOR, as_of=D(2020, 5, 31), months=2,
                                          authority="E10000003")
        may, april = months
        assert (april["nhs_cost"], april["claimed"], april["difference"]) == (
            Decimal("12000.00"), Decimal("11000.00"), Decimal("1000.00"))
        assert may["nhs_cost"] == Decimal("12400.00") and may["claimed"] == Decimal("0.00")

    def test_another_councils_claims_are_not_seen(self, area, cambs, devon, make_user):
        services.claim_record(authority=devon, month=D(2020, 4, 1), claimed_from=f.organisation(),
                              amount="5.00", submitted_on=D(2020, 5, 5), user=OPERATOR)
        officer = make_user(Role.FINANCE, cambs)
        assert list(selectors.claim_list(user=officer)) == []
        assert selectors.reconciliation(user=officer, as_of=D(2020, 4, 30),
                                        months=1)[0]["claimed"] == Decimal("0.00")


class TestBrokerage:
    def test_free_beds_by_client_group_with_outbreaks_flagged(self, area, make_user, cambs):
        report(area["block"].location, on=D(2020, 4, 2))
        officer = make_user(Role.BROKERAGE, cambs)
        found = selectors.brokerage(user=officer, as_of=D(2020, 4, 3))
        assert found["free"] == 7
        assert [g["key"] for g in found["by_group"]] == ["older_people"]
        flagged = {r["scheme"].name: r["flag"] for r in found["rows"]}
        assert flagged == {"Orchard step-down": True, "Spot beds": False}
        # the flagged home comes last, so the first offered has no outbreak
        assert found["rows"][0]["scheme"].name == "Spot beds"
        assert found["rows"][1]["outbreak"] is not None

    def test_a_full_scheme_is_not_offered(self, area):
        for n in range(3):
            f.placement(area["spot"], person_reference=f"CH-000{n}")
        names = [r["scheme"].name for r in selectors.brokerage(
            user=OPERATOR, as_of=D(2020, 4, 3), authority="E10000003")["rows"]]
        assert names == ["Orchard step-down"]
