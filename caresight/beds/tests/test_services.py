"""Schemes, capacity and placements: what is refused, and that nothing is written when it is."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from caresight.core.tenancy import OPERATOR

from .. import services
from ..models import BedCapacity, BedScheme, Destination, Placement, SchemeKind
from ..pseudonyms import clean_nhs_number, nhs_number_hash
from . import factories as f

D = dt.date


def refused(field: str, call, *args, **kwargs) -> str:
    """Call and expect a ValidationError on `field`; return its message."""
    with pytest.raises(ValidationError) as caught:
        call(*args, **kwargs)
    assert field in caught.value.message_dict, caught.value.message_dict
    return " ".join(caught.value.message_dict[field])


@pytest.fixture
def scheme(cambs):
    return f.scheme(cambs, beds=2)


class TestNhsNumbers:
    def test_a_valid_number_is_kept_as_its_digits(self):
        assert clean_nhs_number("943 476 5919") == "9434765919"
        assert clean_nhs_number("943-476-5919") == "9434765919"

    @pytest.mark.parametrize("value", ["943 476 5918", "12345", "94347659AB", "0000000010"])
    def test_a_malformed_number_is_refused(self, value):
        with pytest.raises(ValidationError):
            clean_nhs_number(value)

    def test_the_hash_is_keyed_and_never_the_number(self, settings):
        first = nhs_number_hash("9434765919")
        assert "9434765919" not in first and len(first) == 64
        settings.CARESIGHT_PSEUDONYM_KEY = "another key"
        assert nhs_number_hash("9434765919") != first

    def test_a_placement_keeps_only_the_hash(self, scheme):
        placement = f.placement(scheme, nhs_number=f.VALID_NHS_NUMBER)
        assert placement.nhs_number_hash == nhs_number_hash(f.VALID_NHS_NUMBER)
        history = placement.history.first()
        assert not hasattr(history, "nhs_number_hash")

    def test_a_malformed_nhs_number_names_the_field_and_writes_nothing(self, scheme):
        message = refused("nhs_number", f.placement, scheme, nhs_number="943 476 5918")
        assert "check digit" in message
        assert not Placement.objects.exists()


class TestSchemes:
    def test_a_scheme_starts_with_its_beds_and_intended_stay(self, scheme):
        assert scheme.capacities.get().beds == 2
        assert scheme.max_stay_days == 14
        assert scheme.history.count() == 1

    def test_a_negative_rate_is_refused_naming_the_field(self, cambs):
        message = refused("weekly_rate", f.scheme, cambs, weekly_rate="-10")
        assert "negative" in message
        assert not BedScheme.objects.exists() and not BedCapacity.objects.exists()

    def test_a_rate_with_fractions_of_a_penny_is_refused(self, cambs):
        assert "two decimal places" in refused("weekly_rate", f.scheme, cambs,
                                               weekly_rate="700.005")

    def test_money_reads_pounds_with_a_sign_and_commas(self, cambs):
        assert f.scheme(cambs, weekly_rate="£1,050.50").weekly_rate == Decimal("1050.50")

    def test_a_scheme_cannot_end_before_it_starts(self, cambs):
        refused("ends_on", f.scheme, cambs, ends_on=f.START - dt.timedelta(days=1))

    def test_only_a_designated_setting_has_an_assurance_date(self, cambs):
        refused("cqc_assured_on", f.scheme, cambs, cqc_assured_on=f.START)

    def test_an_unknown_client_group_is_refused(self, cambs):
        refused("client_groups", f.scheme, cambs, client_groups=["wizards"])

    def test_two_schemes_of_one_name_are_refused(self, cambs, scheme):
        refused("name", f.scheme, cambs)

    def test_capacity_changes_from_a_day(self, scheme):
        services.capacity_set(scheme=scheme, from_date=D(2020, 5, 1), beds=5, user=OPERATOR)
        assert list(scheme.capacities.values_list("beds", flat=True)) == [2, 5]

    def test_capacity_cannot_drop_below_a_bed_in_use(self, scheme):
        f.placement(scheme)
        f.placement(scheme, person_reference="CH-0002")
        message = refused("beds", services.capacity_set, scheme=scheme, from_date=D(2020, 4, 10),
                          beds=1, user=OPERATOR)
        assert "CH-0002 is in bed 2" in message
        assert scheme.capacities.count() == 1

    def test_moving_the_start_after_a_placement_is_refused(self, scheme):
        f.placement(scheme, admitted_on=D(2020, 4, 2))
        refused("starts_on", services.scheme_update, scheme=scheme, starts_on=D(2020, 4, 5),
                user=OPERATOR)

    def test_a_scheme_cannot_have_ended_with_someone_still_in_a_bed(self, scheme):
        f.placement(scheme)
        assert "still in a bed" in refused("ends_on", services.scheme_update, scheme=scheme,
                                           ends_on=D(2020, 4, 30), user=OPERATOR)

    def test_a_start_moved_later_starts_with_the_beds_it_then_had(self, scheme):
        services.capacity_set(scheme=scheme, from_date=D(2020, 4, 10), beds=6, user=OPERATOR)
        services.scheme_update(scheme=scheme, starts_on=D(2020, 4, 15), user=OPERATOR)
        assert list(scheme.capacities.values_list("from_date", "beds")) == [
            (D(2020, 4, 15), 6)]
        services.scheme_update(scheme=scheme, starts_on=D(2020, 4, 12), user=OPERATOR)
        assert list(scheme.capacities.values_list("from_date", "beds")) == [
            (D(2020, 4, 12), 6)]

    def test_only_named_fields_change(self, scheme):
        refused("authority", services.scheme_update, scheme=scheme, authority=None,
                user=OPERATOR)


class TestPlacements:
    def test_the_lowest_free_bed_is_taken(self, scheme):
        assert f.placement(scheme).bed_number == 1
        assert f.placement(scheme, person_reference="CH-0002").bed_number == 2

    def test_two_placements_in_one_bed_on_a_day_are_refused(self, scheme):
        f.placement(scheme, bed_number=1)
        message = refused("bed_number", f.placement, scheme, person_reference="CH-0002",
                          bed_number=1, admitted_on=D(2020, 4, 5))
        assert "taken by CH-0001" in message and "one person per bed" in message
        assert Placement.objects.count() == 1

    def test_more_placements_than_beds_are_refused(self, scheme):
        f.placement(scheme)
        f.placement(scheme, person_reference="CH-0002")
        message = refused("admitted_on", f.placement, scheme, person_reference="CH-0003")
        assert "All 2 beds" in message
        assert Placement.objects.count() == 2

    def test_a_bed_beyond_the_schemes_beds_is_refused(self, scheme):
        assert "no bed 3" in refused("bed_number", f.placement, scheme, bed_number=3)

    def test_a_bed_freed_in_the_morning_can_be_taken_that_day(self, scheme):
        first = f.placement(scheme, bed_number=1)
        services.placement_discharge(placement=first, discharged_on=D(2020, 4, 10),
                                     destination=Destination.HOME_WITH_CARE, user=OPERATOR)
        again = f.placement(scheme, person_reference="CH-0002", bed_number=1,
                            admitted_on=D(2020, 4, 10))
        assert again.bed_number == 1

    def test_a_backdated_stay_into_a_bed_later_taken_is_refused(self, scheme):
        f.placement(scheme, bed_number=1, admitted_on=D(2020, 4, 10))
        refused("bed_number", f.placement, scheme, person_reference="CH-0002", bed_number=1,
                admitted_on=D(2020, 4, 2), discharged_on=D(2020, 4, 11),
                destination=Destination.HOME)

    def test_a_discharge_before_the_admission_is_refused(self, scheme):
        placement = f.placement(scheme, admitted_on=D(2020, 4, 5))
        message = refused("discharged_on", services.placement_discharge, placement=placement,
                          discharged_on=D(2020, 4, 4), destination=Destination.HOME,
                          user=OPERATOR)
        assert "before the admission" in message
        placement.refresh_from_db()
        assert placement.discharged_on is None

    def test_a_placement_before_the_scheme_starts_is_refused(self, scheme):
        assert "outside the scheme" in refused("admitted_on", f.placement, scheme,
                                               admitted_on=D(2020, 3, 31))

    def test_a_placement_after_the_scheme_ends_is_refused(self, cambs):
        ended = f.scheme(cambs, ends_on=D(2020, 6, 30))
        refused("admitted_on", f.placement, ended, admitted_on=D(2020, 7, 1))
        refused("discharged_on", f.placement, ended, discharged_on=D(2020, 7, 2),
                destination=Destination.HOME)

    def test_a_designated_setting_takes_nobody_before_cqc_assures_it(self, cambs):
        setting = f.scheme(cambs, name="Fen designated", kind=SchemeKind.DESIGNATED_SETTING,
                           cqc_assured_on=D(2020, 4, 20))
        message = refused("admitted_on", f.placement, setting, admitted_on=D(2020, 4, 19))
        assert "assured by CQC on 20 April 2020" in message
        assert f.placement(setting, admitted_on=D(2020, 4, 20)).pk

    def test_a_designated_setting_not_yet_assured_takes_nobody(self, cambs):
        setting = f.scheme(cambs, name="Fen designated", kind=SchemeKind.DESIGNATED_SETTING)
        assert "not yet assured" in refused("admitted_on", f.placement, setting)

    def test_a_name_is_refused_as_a_person_reference(self, scheme):
        assert "Never a name" in refused("person_reference", f.placement, scheme,
                                         person_reference="Jane Smith")

    @pytest.mark.parametrize("value", ["9434765919", "943 476 5919", "943-476-5919"])
    def test_an_nhs_number_is_refused_as_a_person_reference(self, scheme, value):
        assert "ten digits like an NHS number" in refused("person_reference", f.placement,
                                                          scheme, person_reference=value)
        assert not Placement.objects.exists()

    def test_another_organisations_reference_is_somebody_else(self, cambs, scheme):
        other = f.scheme(cambs, name="Council beds",
                         commissioned_by=f.organisation("Cambridgeshire County Council",
                                                        kind="council"))
        f.placement(scheme)
        assert f.placement(other).pk  # the same "CH-0001", another organisation's person

    def test_a_partner_is_not_told_of_a_scheme_it_cannot_see(self, cambs, scheme, make_user):
        from caresight.accounts.models import Role

        partner = make_user(Role.PARTNER, cambs)
        own = f.scheme(cambs, name="The partner's beds",
                       commissioned_by=partner.memberships.get().organisation)
        f.placement(scheme, nhs_number=f.VALID_NHS_NUMBER)
        message = refused("person_reference", f.placement, own, person_reference="PB-1",
                          nhs_number=f.VALID_NHS_NUMBER, user=partner)
        assert "another scheme" in message and "Orchard" not in message

    def test_one_person_is_not_in_two_beds_at_once(self, cambs, scheme):
        other = f.scheme(cambs, name="Other beds")
        f.placement(scheme, nhs_number=f.VALID_NHS_NUMBER)
        message = refused("person_reference", f.placement, other, person_reference="CH-0099",
                          nhs_number=f.VALID_NHS_NUMBER)
        assert "already placed in Orchard House step-down" in message

    def test_a_discharge_needs_a_destination(self, scheme):
        placement = f.placement(scheme)
        refused("destination", services.placement_update, placement=placement,
                discharged_on=D(2020, 4, 9), user=OPERATOR)

    def test_a_future_admission_is_refused(self, scheme):
        refused("admitted_on", f.placement, scheme,
                admitted_on=dt.date.today() + dt.timedelta(days=2))

    def test_every_change_is_audited_with_who_and_why(self, scheme, make_user, cambs):
        from caresight.accounts.models import Role

        officer = make_user(Role.BROKERAGE, cambs)
        placement = f.placement(scheme, user=officer)
        services.placement_discharge(placement=placement, discharged_on=D(2020, 4, 12),
                                     destination=Destination.CARE_HOME, user=officer)
        reasons = list(placement.history.order_by("history_date").values_list(
            "history_change_reason", "history_user_id"))
        assert reasons == [("Placed", officer.pk), ("Discharged", officer.pk)]
        assert placement.placed_by_id == officer.pk


class TestClaims:
    def test_a_claim_is_recorded_once_a_month_and_corrected_in_place(self, cambs):
        ccg = f.organisation()
        services.claim_record(authority=cambs, month=D(2020, 5, 14), claimed_from=ccg,
                              amount="1,000.00", submitted_on=D(2020, 6, 3), user=OPERATOR)
        claim = services.claim_record(authority=cambs, month=D(2020, 5, 1), claimed_from=ccg,
                                      amount="1200.50", submitted_on=D(2020, 6, 4),
                                      user=OPERATOR)
        assert claim.month == D(2020, 5, 1) and claim.amount == Decimal("1200.50")
        assert claim.history.count() == 2

    def test_a_negative_claim_is_refused(self, cambs):
        refused("amount", services.claim_record, authority=cambs, month=D(2020, 5, 1),
                claimed_from=f.organisation(), amount="-1", submitted_on=D(2020, 6, 3),
                user=OPERATOR)
