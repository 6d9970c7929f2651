"""Completeness and summaries: current returns on any date, every figure with its base."""

import datetime as dt

import pytest

from caresight.accounts.models import Role
from caresight.core.tenancy import OPERATOR
from caresight.registry.models import ServiceType
from caresight.registry.selectors import area_choices
from caresight.registry.tests.factories import LocalityFactory, LocationFactory
from caresight.returns import selectors
from caresight.returns.services import return_submit
from caresight.returns.tests.test_submit import care_home_answers

DAY = dt.date(2020, 6, 4)
WEEK_BEFORE = DAY - dt.timedelta(days=7)


def submit(location, day, **changes):
    return return_submit(location=location, for_date=day, answers=care_home_answers(**changes),
                         user=OPERATOR).ret


@pytest.fixture
def area(cambs, devon):
    ely = LocalityFactory(authority=cambs, name="East Cambridgeshire")
    fens = LocalityFactory(authority=cambs, name="Fenland")
    homes = {
        "a": LocationFactory(authority=cambs, locality=ely, name="Ash House"),
        "b": LocationFactory(authority=cambs, locality=ely, name="Beech House",
                             service_type=ServiceType.CARE_HOME_NURSING),
        "c": LocationFactory(authority=cambs, locality=fens, name="Cedar House"),
        "late": LocationFactory(authority=cambs, locality=fens, name="Larch House"),
        "devon": LocationFactory(authority=devon, name="Dartmoor House"),
    }
    submit(homes["a"], DAY)
    submit(homes["b"], DAY - dt.timedelta(days=3), ipc_isolate_residents="no",
           admissions_open="no", ppe_days_masks="3", visiting_status="closed")
    submit(homes["c"], DAY, ipc_isolate_residents="no")
    submit(homes["late"], DAY - dt.timedelta(days=7))  # 8 days old on DAY: not current
    submit(homes["devon"], DAY)
    # A week before, everyone isolated residents
    for home in (homes["a"], homes["b"], homes["c"]):
        submit(home, WEEK_BEFORE)
    return homes


@pytest.mark.django_db
class TestSummary:
    def test_the_authority_summary_counts_current_returns_only(self, area, make_user, cambs):
        user = make_user(Role.COMMISSIONER, cambs)
        summary = selectors.returns_summary(user=user, as_of=DAY, previous=WEEK_BEFORE)
        assert summary["locations"] == 4 and summary["reported"] == 3
        assert summary["not_reported"] == [area["late"].cqc_location_id]
        assert summary["completion_rate"] == 75.0
        assert summary["beds"] == {"registered": 120, "occupied": 105, "vacant": 15,
                                   "vacant_accepting": 9, "based_on": 3}
        isolate = next(m for m in summary["measures"] if m["code"] == "ipc_isolate_residents")
        assert isolate["label"] == "Ability to isolate residents"
        assert isolate["current_pct"] == 33.3 and isolate["based_on"] == 3
        assert isolate["previous_pct"] == 100.0 and isolate["previous_based_on"] == 4
        assert len(summary["measures"]) == 13
        assert summary["admissions_closed"] == {"locations": 1, "based_on": 3}
        assert summary["ppe_under_7_days"]["by_item"]["masks"] == 1
        # every home reports eye protection for 6 days (the test answers), so all are short
        assert summary["ppe_under_7_days"]["locations"] == 3
        closed = next(s for s in summary["visiting"]["statuses"] if s["status"] == "closed")
        assert closed["locations"] == 1

    def test_staff_absence_and_vaccination_rates_use_the_same_homes_on_both_sides(
            self, area, make_user, cambs):
        user = make_user(Role.COMMISSIONER, cambs)
        summary = selectors.returns_summary(user=user, as_of=DAY)
        care_workers = next(r for r in summary["absence"] if r["group"] ==
                            "Care home care workers")
        assert care_workers == {"group": "Care home care workers", "employed": 90,
                                "absent_covid": 6, "absent_other": 3, "absence_rate": 10.0,
                                "based_on": 3}
        staff = next(r for r in summary["vaccination"] if r["group"] == "Care home staff")
        assert staff["people"] == 144 and staff["covid"] == 105 and staff["covid_rate"] == 72.9

    def test_beds_are_broken_down_by_locality_and_type(self, area, make_user, cambs):
        user = make_user(Role.COMMISSIONER, cambs)
        rows = selectors.returns_summary(user=user, as_of=DAY)["beds_by_locality"]
        assert [(r["locality"], r["service_type"], r["occupied"]) for r in rows] == [
            ("East Cambridgeshire", "Care home with nursing", 35),
            ("East Cambridgeshire", "Care home without nursing", 35),
            ("Fenland", "Care home without nursing", 35),
        ]

    def test_another_councils_returns_are_never_in_the_summary(self, area, make_user, devon):
        user = make_user(Role.COMMISSIONER, devon)
        summary = selectors.returns_summary(user=user, as_of=DAY)
        assert summary["locations"] == 1 and summary["beds"]["registered"] == 40

    def test_a_regional_viewer_sees_totals_but_no_service_names(self, area, make_user, cambs,
                                                               devon):
        viewer = make_user(Role.VIEWER, cambs, devon)
        summary = selectors.returns_summary(user=viewer, as_of=DAY)
        assert summary["locations"] == 5 and summary["reported"] == 4
        assert summary["not_reported"] == []

    def test_a_region_is_an_area_too(self, area, make_user, cambs, devon):
        viewer = make_user(Role.VIEWER, cambs, devon)
        east = selectors.returns_summary(user=viewer, as_of=DAY, authority="E12000006")
        south_west = selectors.returns_summary(user=viewer, as_of=DAY, authority="E12000009")
        assert (east["locations"], south_west["locations"]) == (4, 1)
        assert [group for group, _ in area_choices(user=viewer)] == [
            "Regions", "Authorities"]

    def test_an_area_outside_the_users_scope_is_empty(self, area, make_user, cambs):
        user = make_user(Role.COMMISSIONER, cambs)
        assert selectors.returns_summary(user=user, as_of=DAY,
                                         authority="E10000008")["locations"] == 0

    def test_a_provider_user_gets_no_aggregates(self, area, make_user, cambs):
        user = make_user(Role.PROVIDER_USER, cambs, provider=area["a"].provider)
        assert selectors.returns_summary(user=user, as_of=DAY)["locations"] == 0

    def test_a_past_date_is_reproduced_from_the_returns_current_then(self, area):
        summary = selectors.returns_summary(user=OPERATOR, as_of=WEEK_BEFORE, authority="E10000003")
        assert summary["reported"] == 4  # the late home's return was current a week before
        assert summary["measures"][0]["current_pct"] == 100.0


@pytest.mark.django_db
class TestCompleteness:
    def test_overdue_returns_are_flagged_with_the_contact_to_chase(self, area, make_user, cambs):
        user = make_user(Role.QUALITY_OFFICER, cambs)
        rows = selectors.chase_list(user=user, as_of=DAY)
        assert [r["name"] for r in rows] == ["Larch House"]
        assert rows[0]["locality"] == "Fenland"
        assert rows[0]["last_return"] == DAY - dt.timedelta(days=7)
        assert rows[0]["manager"] == "Sam Example" and rows[0]["phone"] == "01223 000000"

    def test_the_completion_rate_is_given_week_by_week(self, area, make_user, cambs):
        user = make_user(Role.QUALITY_OFFICER, cambs)
        points = selectors.completion_over_time(user=user, as_of=DAY, weeks=3)
        assert [(p["date"], p["reported"], p["locations"]) for p in points] == [
            (DAY - dt.timedelta(days=14), 0, 4), (WEEK_BEFORE, 4, 4), (DAY, 3, 4)]

    def test_a_window_set_on_the_measure_set_changes_who_is_overdue(self, area):
        from caresight.returns.models import MeasureSet

        MeasureSet.objects.filter(service_group="care_home").update(expected_every_days=14)
        assert selectors.chase_list(user=OPERATOR, as_of=DAY, authority="E10000003") == []
