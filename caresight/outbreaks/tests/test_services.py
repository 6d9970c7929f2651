"""Reporting, updating and overriding outbreaks: what is kept, what is refused."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from caresight.core.tenancy import OPERATOR
from caresight.outbreaks import services
from caresight.outbreaks.models import Outbreak, Status, StatusChange, Update
from caresight.outbreaks.selectors import open_outbreak
from caresight.registry.tests.factories import LocationFactory

JUNE_1 = dt.date(2020, 6, 1)


def counts(**kwargs) -> services.Counts:
    return services.Counts(**{"kind": "confirmed", "new_cases_residents": 2, **kwargs})


def report(location, on=JUNE_1, user=OPERATOR, **kwargs):
    return services.outbreak_report(location=location, reported_on=on, reported_by="provider",
                                    counts=counts(**kwargs), user=user)


def statuses(outbreak):
    return [(c.on, c.status, c.automatic) for c in outbreak.status_changes.order_by("on", "pk")]


@pytest.mark.django_db
class TestOutbreaks:
    def test_a_report_opens_an_outbreak_with_its_first_update_and_dated_status_changes(
            self, cambs):
        home = LocationFactory(authority=cambs)
        outbreak = report(home, admissions_closed=True)
        assert outbreak.updates.get().new_cases_residents == 2
        assert outbreak.admissions_closed is True
        assert statuses(outbreak) == [
            (JUNE_1, Status.LIVE, True), (dt.date(2020, 6, 15), Status.DE_ESCALATION, True),
            (dt.date(2020, 6, 29), Status.CLOSED, True)]
        assert outbreak.closed_on == dt.date(2020, 6, 29)
        assert outbreak.history.count() >= 1 and outbreak.updates.get().history.count() == 1

    def test_an_update_with_new_cases_moves_closure_and_one_without_does_not(self, cambs):
        outbreak = report(LocationFactory(authority=cambs))
        services.update_record(outbreak=outbreak, on=dt.date(2020, 6, 5),
                               counts=counts(new_cases_residents=0, deaths=1), user=OPERATOR)
        outbreak.refresh_from_db()
        assert outbreak.closed_on == dt.date(2020, 6, 29)
        services.update_record(outbreak=outbreak, on=dt.date(2020, 6, 20),
                               counts=counts(new_cases_staff=1, new_cases_residents=0),
                               user=OPERATOR)
        outbreak.refresh_from_db()
        assert outbreak.last_case_on == dt.date(2020, 6, 20)
        assert outbreak.closed_on == dt.date(2020, 7, 18)
        # De-escalated on 15 June, live again on 20 June: the past stays dated.
        assert (dt.date(2020, 6, 15), Status.DE_ESCALATION, True) in statuses(outbreak)
        assert (dt.date(2020, 6, 20), Status.LIVE, True) in statuses(outbreak)

    def test_the_authoritys_thresholds_apply_to_outbreaks_reported_afterwards(self, cambs):
        first = report(LocationFactory(authority=cambs))
        services.thresholds_set(authority=cambs, de_escalation_days=7, closure_days=10,
                                user=OPERATOR)
        second = report(LocationFactory(authority=cambs))
        first.refresh_from_db()
        assert first.closed_on == dt.date(2020, 6, 29)
        assert second.closed_on == dt.date(2020, 6, 11)

    def test_a_second_open_outbreak_is_refused_and_one_after_closure_is_new(self, cambs):
        home = LocationFactory(authority=cambs, name="Fen View")
        report(home)
        with pytest.raises(ValidationError) as error:
            report(home, on=dt.date(2020, 6, 10))
        assert "Fen View already has an open outbreak, reported on 1 June 2020" in str(error.value)
        assert Outbreak.objects.count() == 1
        second = report(home, on=dt.date(2020, 7, 1))
        assert open_outbreak(home, dt.date(2020, 7, 2)) == second
        assert open_outbreak(home, dt.date(2020, 6, 2)).reported_on == JUNE_1

    @pytest.mark.parametrize("on, message", [
        (dt.date(2020, 5, 30), "30 May 2020 is before the day the outbreak was reported"),
        (dt.date(2020, 6, 30), "This outbreak closed on 29 June 2020"),
    ])
    def test_updates_outside_the_outbreak_are_refused_and_nothing_is_written(
            self, cambs, on, message):
        outbreak = report(LocationFactory(authority=cambs))
        with pytest.raises(ValidationError) as error:
            services.update_record(outbreak=outbreak, on=on, counts=counts(), user=OPERATOR)
        assert message in str(error.value)
        assert outbreak.updates.count() == 1

    def test_future_dates_and_negative_counts_are_refused(self, cambs):
        home = LocationFactory(authority=cambs)
        tomorrow = timezone.localdate() + dt.timedelta(days=1)
        with pytest.raises(ValidationError, match="is in the future"):
            report(home, on=tomorrow)
        with pytest.raises(ValidationError) as error:
            report(home, new_cases_staff=-1)
        assert error.value.message_dict["new_cases_staff"] == [
            "New cases among staff must be a whole number, 0 or more."]
        assert not Outbreak.objects.exists() and not Update.objects.exists()

    def test_a_duplicate_update_for_a_day_is_refused(self, cambs):
        outbreak = report(LocationFactory(authority=cambs))
        with pytest.raises(ValidationError, match="already recorded"):
            services.update_record(outbreak=outbreak, on=JUNE_1, counts=counts(), user=OPERATOR)

    def test_an_override_needs_a_reason_and_is_kept_dated_with_it(self, cambs, make_user):
        officer = make_user("public_health", cambs)
        outbreak = report(LocationFactory(authority=cambs))
        with pytest.raises(ValidationError) as error:
            services.status_override(outbreak=outbreak, on=dt.date(2020, 6, 5),
                                     status=Status.CLOSED, reason="  ", user=officer)
        assert error.value.message_dict["reason"] == [
            "Give the reason for changing the status by hand."]
        assert not StatusChange.objects.filter(automatic=False).exists()
        services.status_override(outbreak=outbreak, on=dt.date(2020, 6, 5),
                                 status=Status.CLOSED, reason="Negative tests", user=officer)
        outbreak.refresh_from_db()
        assert outbreak.closed_on == dt.date(2020, 6, 5)
        manual = StatusChange.objects.get(automatic=False)
        assert (manual.reason, manual.recorded_by) == ("Negative tests", officer)
        assert not StatusChange.objects.filter(status=Status.DE_ESCALATION).exists()

    def test_a_learning_review_waits_for_closure(self, cambs):
        outbreak = report(LocationFactory(authority=cambs))
        with pytest.raises(ValidationError, match="after the outbreak has closed"):
            services.learning_review_record(outbreak=outbreak, reviewed_on=dt.date(2020, 6, 20),
                                            what_happened="x", lessons="y", shared_with="z",
                                            user=OPERATOR)
        review = services.learning_review_record(
            outbreak=outbreak, reviewed_on=dt.date(2020, 7, 10), what_happened="Staff case",
            lessons="Cohort staff", shared_with="All homes", user=OPERATOR)
        assert review.history.count() == 1

    def test_imt_actions_are_due_after_the_meeting(self, cambs):
        outbreak = report(LocationFactory(authority=cambs))
        meeting = services.imt_meeting_record(location=outbreak.location, outbreak=outbreak,
                                              held_on=dt.date(2020, 6, 3),
                                              attendees="DPH\nCCG", summary="", user=OPERATOR)
        with pytest.raises(ValidationError, match="before the meeting"):
            services.imt_action_add(meeting=meeting, description="Swab all", owner="CCG",
                                    due_on=dt.date(2020, 6, 2), user=OPERATOR)
        action = services.imt_action_add(meeting=meeting, description="Swab all", owner="CCG",
                                         due_on=dt.date(2020, 6, 5), user=OPERATOR)
        services.imt_action_done(action=action, done_on=dt.date(2020, 6, 4), user=OPERATOR)
        action.refresh_from_db()
        assert action.done_on == dt.date(2020, 6, 4)


@pytest.mark.django_db
class TestOutbreaksStayApart:
    def test_a_new_case_on_an_earlier_outbreak_may_not_overlap_the_next(self, cambs):
        home = LocationFactory(authority=cambs)
        first = report(home)  # closes 29 June
        report(home, on=dt.date(2020, 7, 5))
        with pytest.raises(ValidationError, match="after the next one was reported"):
            services.update_record(outbreak=first, on=dt.date(2020, 6, 19), counts=counts(),
                                   user=OPERATOR)
        first.refresh_from_db()
        assert first.closed_on == dt.date(2020, 6, 29) and first.updates.count() == 1

    def test_a_closure_by_hand_comes_after_the_last_update_and_overrides_go_forwards(
            self, cambs):
        outbreak = report(LocationFactory(authority=cambs))
        services.update_record(outbreak=outbreak, on=dt.date(2020, 6, 10), counts=counts(),
                               user=OPERATOR)
        with pytest.raises(ValidationError, match="only after its last update"):
            services.status_override(outbreak=outbreak, on=dt.date(2020, 6, 5),
                                     status=Status.CLOSED, reason="Negative", user=OPERATOR)
        services.status_override(outbreak=outbreak, on=dt.date(2020, 6, 20), status=Status.LIVE,
                                 reason="Concerns", user=OPERATOR)
        with pytest.raises(ValidationError, match="must be from that day or later"):
            services.status_override(outbreak=outbreak, on=dt.date(2020, 6, 15),
                                     status=Status.CLOSED, reason="Negative", user=OPERATOR)
        assert StatusChange.objects.filter(automatic=False).count() == 1

    def test_a_correction_replaces_the_days_counts(self, cambs):
        outbreak = report(LocationFactory(authority=cambs))
        services.update_record(outbreak=outbreak, on=JUNE_1, counts=counts(deaths=1),
                               user=OPERATOR, replace=True)
        assert outbreak.updates.get().deaths == 1
        assert outbreak.updates.get().history.count() == 2
