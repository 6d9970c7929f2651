"""Sharing a round out: who is eligible, their units, and amounts exact to the penny."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from caresight.core.tenancy import OPERATOR
from caresight.grants import services
from caresight.grants.allocation import plan_round, spec_from_template, spec_of
from caresight.grants.models import Method
from caresight.registry.models import ServiceType
from caresight.registry.tests.factories import LocationFactory

from .factories import (
    ELIGIBILITY,
    ROUND_1,
    ROUND_2,
    care_home,
    community_return,
    home_care,
    round_from_template,
    simple_round,
)

# 75% of this is £93,761.00: over 100 beds, exactly £937.61 a bed.
ROUND_AMOUNT = "125014.67"


@pytest.fixture
def register(cambs, devon):
    """A small register on 13 May 2020, with one service for every reason to leave one out."""
    day = ELIGIBILITY
    found = {
        "home_28": care_home(cambs, beds=28, name="Fen View", cqc_location_id="1-300000001"),
        "nursing_72": LocationFactory(authority=cambs, service_type=ServiceType.CARE_HOME_NURSING,
                                      registered_beds=72, name="Ouse Lodge",
                                      cqc_location_id="1-300000002"),
        "home_care": home_care(cambs, name="Ely Home Care", cqc_location_id="1-300000003"),
        "home_care_no_cqc": home_care(cambs, name="Council Home Care", cqc_location_id=None),
        "home_care_no_return": home_care(cambs, name="Quiet Care"),
        "home_care_stale": home_care(cambs, name="Stale Care"),
        # Left out of every per-bed element:
        "day_service": LocationFactory(authority=cambs, service_type=ServiceType.DAY_SERVICE,
                                       registered_beds=None, name="Day Centre"),
        "deregistered": care_home(cambs, beds=50, name="Closed House",
                                  registration_date=dt.date(2010, 1, 1),
                                  deregistration_date=day - dt.timedelta(days=1)),
        "deregistered_on_the_day": care_home(cambs, beds=50, name="Closing House",
                                             deregistration_date=day),
        "registered_after": care_home(cambs, beds=50, name="New House",
                                      registration_date=day + dt.timedelta(days=1)),
        "other_authority": care_home(devon, beds=50, name="Dartmoor House"),
        "no_cqc_id": care_home(cambs, beds=50, name="Unregistered House", cqc_location_id=None),
        "no_beds": care_home(cambs, beds=None, name="Bedless House"),
    }
    community_return(found["home_care"], 40)
    community_return(found["home_care_no_cqc"], 10, on=day - dt.timedelta(days=2))
    community_return(found["home_care_stale"], 99, on=day - dt.timedelta(days=8))
    community_return(found["home_care_no_return"], 77, on=day + dt.timedelta(days=1))
    community_return(home_care(devon, name="Devon Home Care"), 500)
    return found


def by_name(plan) -> dict[str, object]:
    return {line.name: line for element in plan.elements for line in element.lines}


@pytest.mark.django_db
class TestRound1:
    def test_element_totals_add_up_to_the_round_and_amounts_to_each_element_exactly(
            self, cambs, register):
        plan = plan_round(spec_of(round_from_template(cambs, amount=ROUND_AMOUNT)))
        plan.check()
        homes, discretionary = plan.elements
        assert homes.total + discretionary.total == Decimal(ROUND_AMOUNT)
        assert (homes.total, discretionary.total) == (Decimal("93761.00"), Decimal("31253.67"))
        for element in plan.elements:
            assert element.allocated == element.total
            assert sum(line.amount for line in element.lines) == element.total
        assert plan.allocated == Decimal(ROUND_AMOUNT) and plan.unassigned == 0

    def test_each_home_is_allocated_per_bed_with_a_plain_english_explanation(
            self, cambs, register):
        plan = plan_round(spec_of(round_from_template(cambs, amount=ROUND_AMOUNT)))
        homes = plan.elements[0]
        assert homes.units == 100 and homes.rate == Decimal("937.61")
        assert [(line.name, line.units, line.amount, line.explanation) for line in homes.lines] == [
            ("Fen View", Decimal(28), Decimal("26253.08"), "28 beds × £937.61 per bed"),
            ("Ouse Lodge", Decimal(72), Decimal("67507.92"), "72 beds × £937.61 per bed"),
        ]

    def test_services_not_eligible_on_the_day_are_left_out(self, cambs, register):
        plan = plan_round(spec_of(round_from_template(cambs, amount=ROUND_AMOUNT)))
        homes = plan.elements[0]
        allocated = {line.name for line in homes.lines}
        assert allocated == {"Fen View", "Ouse Lodge"}
        # Wrong type, deregistered (before or on the day), registered after, another
        # authority, no CQC ID: not even considered. A home without beds is considered and
        # said to have none.
        assert homes.not_allocated == [("Bedless House", "No registered beds recorded.")]
        everyone = set(by_name(plan))
        for left_out in ["Day Centre", "Closed House", "Closing House", "New House",
                         "Dartmoor House", "Unregistered House", "Bedless House",
                         "Devon Home Care"]:
            assert left_out not in everyone

    def test_people_supported_come_from_the_current_return_on_the_eligibility_date(
            self, cambs, register):
        plan = plan_round(spec_of(round_from_template(cambs, amount=ROUND_AMOUNT)))
        discretionary = plan.elements[1]
        # The discretionary element does not need a CQC ID; a return 8 days old is not current
        # and one made after the day does not count.
        lines = {line.name: line for line in discretionary.lines}
        assert {name: line.units for name, line in lines.items()} == {
            "Ely Home Care": Decimal(40), "Council Home Care": Decimal(10)}
        assert discretionary.rate == Decimal("625.07")
        assert lines["Ely Home Care"].explanation == "40 people × £625.07 per person"
        assert sum(line.amount for line in lines.values()) == Decimal("31253.67")
        missing = dict(discretionary.not_allocated)
        assert set(missing) == {"Quiet Care", "Stale Care"}
        assert missing["Quiet Care"] == ("No number of people supported: no current return on "
                                         "13 May 2020 and none entered.")

    def test_the_issues_example_gives_the_care_home_element_1313250(self, cambs, register):
        plan = plan_round(spec_of(round_from_template(cambs)))
        homes, discretionary = plan.elements
        assert homes.total == Decimal("1313250.00")
        assert discretionary.total == Decimal("437750.00")
        assert homes.allocated == Decimal("1313250.00")
        assert plan.as_json()["elements"][0]["total"] == "1313250.00"

    def test_the_preview_before_a_round_exists_is_the_same_as_the_rounds_own(
            self, cambs, register):
        before = plan_round(spec_from_template(authority=cambs, template=ROUND_1,
                                               amount=Decimal(ROUND_AMOUNT),
                                               eligibility_date=ELIGIBILITY)).as_json()
        after = plan_round(spec_of(round_from_template(cambs, amount=ROUND_AMOUNT))).as_json()
        assert before == after

    def test_a_contingency_is_kept_back_from_the_discretionary_element(self, cambs, register):
        plan = plan_round(spec_of(round_from_template(cambs, amount=ROUND_AMOUNT,
                                                      contingency="1,253.67")))
        homes, discretionary = plan.elements
        assert homes.allocated == Decimal("93761.00")
        assert discretionary.spec.retained == Decimal("1253.67")
        assert discretionary.allocatable == discretionary.allocated == Decimal("30000.00")
        assert discretionary.rate == Decimal("600.00")
        assert plan.allocated + discretionary.spec.retained == Decimal(ROUND_AMOUNT)

    def test_a_contingency_larger_than_the_element_is_a_problem(self, cambs, register):
        plan = plan_round(spec_of(round_from_template(cambs, amount=ROUND_AMOUNT,
                                                      contingency="40000")))
        assert plan.problems == ["“Discretionary, wider care market”: the contingency retained "
                                 "(£40,000.00) is more than the element's £31,253.67."]
        assert plan.elements[1].lines == []
        with pytest.raises(ValidationError):
            plan.check()


@pytest.mark.django_db
class TestRound2:
    def test_three_elements_add_up_and_the_community_element_needs_a_cqc_id(
            self, cambs, register):
        round = round_from_template(cambs, template=ROUND_2, amount="100000.00")
        plan = plan_round(spec_of(round))
        plan.check()
        assert [e.total for e in plan.elements] == [
            Decimal("56000.00"), Decimal("24000.00"), Decimal("20000.00")]
        for element in plan.elements:
            assert element.allocated == element.total
        community, wider = plan.elements[1], plan.elements[2]
        assert [line.name for line in community.lines] == ["Ely Home Care"]
        assert community.lines[0].explanation == "40 people × £600.00 per person"
        assert {line.name for line in wider.lines} == {"Ely Home Care", "Council Home Care"}
        # A day service makes no return, so it has no people supported unless entered.
        assert "Day Centre" in dict(wider.not_allocated)

    def test_people_entered_for_a_service_are_used_in_place_of_its_return(
            self, cambs, register):
        round = round_from_template(cambs, template=ROUND_2, amount="100000.00")
        wider = round.elements.get(position=3)
        services.element_inputs_set(element=wider, values={
            register["day_service"]: "25", register["home_care"]: "15"}, user=OPERATOR)
        plan = plan_round(spec_of(round))
        units = {line.name: line.units for line in plan.elements[2].lines}
        assert units == {"Day Centre": Decimal(25), "Ely Home Care": Decimal(15),
                         "Council Home Care": Decimal(10)}
        assert plan.elements[2].rate == Decimal("400.00")
        assert by_name(plan)["Day Centre"].explanation == "25 people × £400.00 per person"
        # The community element still reads the return.
        assert plan.elements[1].lines[0].units == 40

    def test_units_entered_for_a_service_that_is_not_eligible_are_a_problem(
            self, cambs, register):
        round = round_from_template(cambs, template=ROUND_2, amount="100000.00")
        services.element_inputs_set(element=round.elements.get(position=2), values={
            register["other_authority"]: "5", register["deregistered"]: "5"}, user=OPERATOR)
        plan = plan_round(spec_of(round))
        assert plan.problems == [
            "“Community care, per person supported”: 2 service(s) with units or awards entered "
            "are not eligible on 13 May 2020 (wrong type, not registered, or another "
            "authority)."]
        assert plan.elements[1].lines == []


@pytest.mark.django_db
class TestOtherMethods:
    def test_panel_awards_are_paid_as_entered_and_the_rest_stays_unallocated(self, cambs):
        homes = [care_home(cambs, beds=10) for _ in range(3)]
        round = simple_round(cambs, amount="20000.00", method=Method.PANEL,
                             service_types=["care_home"], discretionary=True)
        services.element_inputs_set(element=round.elements.get(), values={
            homes[0]: "5,000", homes[1]: "2500.50"}, user=OPERATOR)
        plan = plan_round(spec_of(round))
        plan.check()
        element = plan.elements[0]
        assert sorted(line.amount for line in element.lines) == [Decimal("2500.50"),
                                                                 Decimal("5000.00")]
        assert {line.explanation for line in element.lines} == {
            "Panel award of £5,000.00", "Panel award of £2,500.50"}
        assert element.rate is None and element.units == 2
        assert element.unallocated == Decimal("12499.50")
        assert dict(element.not_allocated) == {homes[2].name: "No award entered."}

    def test_fixed_amounts_more_than_the_element_are_a_problem(self, cambs):
        homes = [care_home(cambs, beds=10) for _ in range(2)]
        round = simple_round(cambs, amount="1000.00", method=Method.FIXED,
                             service_types=["care_home"])
        services.element_inputs_set(element=round.elements.get(), values={
            homes[0]: "600", homes[1]: "400.01"}, user=OPERATOR)
        plan = plan_round(spec_of(round))
        assert plan.problems == ["“Element 1”: awards add up to £1,000.01, more than the "
                                 "£1,000.00 available."]

    def test_per_hour_needs_hours_entered_and_shares_by_them(self, cambs):
        a, b = home_care(cambs), home_care(cambs)
        round = simple_round(cambs, amount="1000.00", method=Method.PER_HOUR,
                             service_types=["domiciliary"])
        assert plan_round(spec_of(round)).problems == [
            "“Element 1”: no eligible services on 13 May 2020: domiciliary care (home care) in "
            "Cambridgeshire, registered with CQC (2 found, none with units)."]
        services.element_inputs_set(element=round.elements.get(), values={a: "12.5", b: "37.5"},
                                    user=OPERATOR)
        plan = plan_round(spec_of(round))
        assert {line.location_id: line.amount for line in plan.elements[0].lines} == {
            a.pk: Decimal("250.00"), b.pk: Decimal("750.00")}
        assert plan.elements[0].lines[0].explanation == "12.50 hours × £20.00 per hour"

    def test_equal_homes_share_the_odd_penny_by_cqc_location_id(self, cambs):
        later = care_home(cambs, beds=10, cqc_location_id="1-400000002")
        earlier = care_home(cambs, beds=10, cqc_location_id="1-400000001")
        plan = plan_round(spec_of(simple_round(cambs, amount="100.01")))
        amounts = {line.location_id: line.amount for line in plan.elements[0].lines}
        assert amounts == {earlier.pk: Decimal("50.01"), later.pk: Decimal("50.00")}
        assert plan_round(spec_of(simple_round(cambs, amount="100.01"))).as_json()[
            "locations"] == plan.as_json()["locations"]

    def test_elements_under_100_percent_leave_the_rest_unassigned(self, cambs):
        care_home(cambs, beds=10)
        plan = plan_round(spec_of(simple_round(cambs, amount="1000.00", shares=("30", "30.5"))))
        assert [e.total for e in plan.elements] == [Decimal("300.00"), Decimal("305.00")]
        assert plan.unassigned == Decimal("395.00")
        assert plan.allocated + plan.unassigned == Decimal("1000.00")


@pytest.mark.django_db
class TestProblems:
    def test_a_round_with_no_eligible_services_says_why_for_each_element(self, cambs, devon):
        care_home(devon, beds=40)  # another authority's home is never eligible
        plan = plan_round(spec_of(round_from_template(cambs)))
        assert plan.problems == [
            "“Care homes, per registered bed”: no eligible services on 13 May 2020: care home "
            "without nursing, care home with nursing in Cambridgeshire, registered with CQC.",
            "“Discretionary, wider care market”: no eligible services on 13 May 2020: "
            "domiciliary care (home care), extra care housing, supported living in "
            "Cambridgeshire."]
        assert plan.allocated == 0
        with pytest.raises(ValidationError) as error:
            plan.check()
        assert error.value.messages == plan.problems

    def test_homes_without_beds_only_is_a_problem_that_counts_them(self, cambs):
        care_home(cambs, beds=None)
        care_home(cambs, beds=0)
        plan = plan_round(spec_of(simple_round(cambs)))
        assert plan.problems == [
            "“Element 1”: no eligible services on 13 May 2020: care home without nursing, care "
            "home with nursing in Cambridgeshire, registered with CQC (2 found, none with "
            "units)."]

    def test_a_service_marked_deregistered_without_a_date_is_not_eligible(self, cambs):
        care_home(cambs, beds=10, name="Open House")
        care_home(cambs, beds=10, name="Shut House", registration_status="deregistered")
        plan = plan_round(spec_of(simple_round(cambs)))
        assert [line.name for line in plan.elements[0].lines] == ["Open House"]

    @pytest.mark.parametrize("amount", [Decimal("0.00"), Decimal("-1.00")])
    def test_a_round_of_nothing_cannot_be_planned(self, cambs, amount):
        spec = spec_from_template(authority=cambs, template=ROUND_1, amount=amount,
                                  eligibility_date=ELIGIBILITY)
        with pytest.raises(ValidationError, match="more than £0.00"):
            plan_round(spec)

    def test_elements_over_100_percent_cannot_be_planned(self, cambs):
        spec = spec_from_template(authority=cambs, template=ROUND_2, amount=Decimal(100),
                                  eligibility_date=ELIGIBILITY)
        spec.elements[0].share = Decimal("57")
        with pytest.raises(ValidationError, match="Elements add up to 101%, more than 100%."):
            plan_round(spec)

    def test_an_unknown_template_is_refused(self, cambs):
        with pytest.raises(ValidationError, match="Unknown template 'icf-2099'"):
            spec_from_template(authority=cambs, template="icf-2099", amount=Decimal(1),
                               eligibility_date=ELIGIBILITY)
