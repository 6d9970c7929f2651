"""Submitting a return: what cannot be true is refused, what is unlikely is warned about."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from caresight.accounts.models import Role
from caresight.core.timeutils import long_date
from caresight.registry.tests.factories import LocationFactory
from caresight.returns.models import Return
from caresight.returns.services import return_submit

TODAY = timezone.localdate


def care_home_answers(**changes) -> dict:
    answers = {
        "beds_registered": "40", "beds_occupied": "35", "beds_vacant": "5",
        "beds_vacant_accepting": "3", "admissions_open": "yes",
        "residents_covid_confirmed": "0", "residents_covid_suspected": "1",
        "nurses_employed": "8", "care_workers_employed": "30", "non_care_staff_employed": "10",
        "nurses_absent_covid": "0", "care_workers_absent_covid": "2",
        "non_care_staff_absent_covid": "0", "nurses_absent_other": "1",
        "care_workers_absent_other": "1", "non_care_staff_absent_other": "0",
        "agency_nurses": "1", "agency_care_workers": "2", "agency_non_care_staff": "0",
        "hours_paid": "1500.5", "hours_overtime": "40", "hours_agency": "60",
        "staff_multiple_settings": "2", "ppe_days_masks": "20", "ppe_days_aprons": "20",
        "ppe_days_gloves": "20", "ppe_days_eye_protection": "6", "ppe_days_sanitiser": "30",
        "visiting_status": "restricted", "staff_flu_vaccinated": "30",
        "staff_covid_vaccinated": "35", "residents_flu_vaccinated": "30",
        "residents_covid_vaccinated": "33",
    }
    answers.update({code: "yes" for code in [
        "ipc_isolate_residents", "ipc_restrict_staff_movement", "ipc_full_pay_isolating_staff",
        "ipc_testing_portal", "ipc_test_kits", "ipc_test_hospital_discharges",
        "ipc_sufficient_ppe", "ipc_medical_equipment", "ipc_ppe_training",
        "ipc_equipment_training", "ipc_additional_capacity", "ipc_named_clinical_lead",
        "ipc_mutual_aid"]})
    answers.update(changes)
    return answers


@pytest.fixture
def home(cambs):
    return LocationFactory(authority=cambs, registered_beds=40)


@pytest.fixture
def manager(make_user, cambs, home):
    return make_user(Role.PROVIDER_USER, cambs, provider=home.provider)


@pytest.mark.django_db
class TestSubmit:
    def test_a_provider_submits_for_its_own_home_and_it_is_audited(self, home, manager):
        submitted = return_submit(location=home, for_date=TODAY(), answers=care_home_answers(),
                                  user=manager)
        ret = submitted.ret
        assert ret.values["beds_occupied"] == 35 and ret.values["admissions_open"] is True
        assert ret.values["hours_paid"] == "1500.5"  # decimals are kept as text, never floats
        assert ret.measure_set.version == 1
        assert ret.history.get().history_user == manager

    def test_submitting_again_the_same_day_is_a_new_version_with_history(self, home, manager):
        return_submit(location=home, for_date=TODAY(), answers=care_home_answers(), user=manager)
        again = return_submit(location=home, for_date=TODAY(),
                              answers=care_home_answers(beds_occupied="36", beds_vacant="4"),
                              user=manager).ret
        assert Return.objects.count() == 1 and again.version == 2
        assert [h.values["beds_occupied"] for h in again.history.order_by("history_date")] == [
            35, 36]

    def test_an_officer_may_submit_on_the_providers_behalf(self, home, make_user, cambs):
        officer = make_user(Role.QUALITY_OFFICER, cambs)
        ret = return_submit(location=home, for_date=TODAY(), answers=care_home_answers(),
                            user=officer, source=Return.Source.OFFICER).ret
        assert ret.submitted_by == officer and ret.source == "officer"


@pytest.mark.django_db
class TestRefused:
    @pytest.mark.parametrize("changes, field, message", [
        ({"beds_occupied": "41"}, "beds_occupied", "cannot be more than registered beds"),
        ({"care_workers_absent_covid": "31"}, "care_workers_absent_covid",
         "cannot be more than care workers employed"),
        ({"beds_occupied": "-1"}, "beds_occupied", "Must be 0 or more"),
        ({"beds_occupied": "3.5"}, "beds_occupied", "Enter a whole number"),
        ({"beds_occupied": "lots"}, "beds_occupied", "Enter a number"),
        ({"admissions_open": "maybe"}, "admissions_open", "Answer yes or no"),
        ({"visiting_status": "sometimes"}, "visiting_status", "Choose one of"),
        ({"ppe_days_masks": ""}, "ppe_days_masks", "Answer this question"),
        ({"favourite_colour": "blue"}, "__all__", "not questions of this return"),
    ])
    def test_what_cannot_be_true_is_refused_and_nothing_written(self, home, manager, changes,
                                                                field, message):
        with pytest.raises(ValidationError) as raised:
            return_submit(location=home, for_date=TODAY(),
                          answers=care_home_answers(**changes), user=manager)
        assert message in " ".join(raised.value.message_dict[field])
        assert not Return.objects.exists()

    def test_a_date_in_the_future(self, home, manager):
        with pytest.raises(ValidationError, match="future"):
            return_submit(location=home, for_date=TODAY() + dt.timedelta(days=1),
                          answers=care_home_answers(), user=manager)

    def test_another_providers_home_or_another_councils(self, manager, cambs, devon, make_user):
        for location in (LocationFactory(authority=cambs), LocationFactory(authority=devon)):
            with pytest.raises(PermissionDenied):
                return_submit(location=location, for_date=TODAY(),
                              answers=care_home_answers(), user=manager)
        partner = make_user(Role.PARTNER, cambs)
        with pytest.raises(PermissionDenied):
            return_submit(location=LocationFactory(authority=cambs), for_date=TODAY(),
                          answers=care_home_answers(), user=partner)
        assert not Return.objects.exists()


@pytest.mark.django_db
def test_a_sudden_jump_is_warned_about_but_accepted(home, manager):
    return_submit(location=home, for_date=TODAY() - dt.timedelta(days=7),
                  answers=care_home_answers(), user=manager)
    submitted = return_submit(
        location=home, for_date=TODAY(), user=manager,
        answers=care_home_answers(care_workers_absent_covid="12"))
    assert submitted.ret.values["care_workers_absent_covid"] == 12
    assert submitted.warnings == [
        "Care workers absent because of COVID-19 went from 2 to 12 since the return for "
        f"{long_date(TODAY() - dt.timedelta(days=7))}. Check it is right."]
