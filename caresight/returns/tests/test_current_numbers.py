"""Each service's current answers as numbers: the same on SQLite and on PostgreSQL's path."""

import datetime as dt

import pytest

from caresight.registry.models import Location
from caresight.registry.tests.factories import LocationFactory
from caresight.returns.selectors import current_numbers
from caresight.returns.services import return_submit
from caresight.returns.tests.test_submit import care_home_answers

DAY = dt.date(2020, 6, 10)


@pytest.mark.django_db
def test_current_answers_and_totals_come_from_the_latest_return_within_the_window(cambs, devon):
    home = LocationFactory(authority=cambs)
    stale = LocationFactory(authority=cambs)
    LocationFactory(authority=cambs, service_type="day_service", registered_beds=None)
    other = LocationFactory(authority=devon)
    return_submit(location=home, for_date=DAY - dt.timedelta(days=3),
                  answers=care_home_answers(ppe_days_gloves="9"), user=None)
    return_submit(location=home, for_date=DAY - dt.timedelta(days=1),
                  answers=care_home_answers(ppe_days_gloves="4",
                                            care_workers_absent_covid="5"), user=None)
    return_submit(location=home, for_date=DAY + dt.timedelta(days=1),
                  answers=care_home_answers(ppe_days_gloves="1"), user=None)  # after the day
    return_submit(location=stale, for_date=DAY - dt.timedelta(days=8),
                  answers=care_home_answers(), user=None)  # outside the 7-day window
    return_submit(location=other, for_date=DAY, answers=care_home_answers(), user=None)

    found = current_numbers(Location.objects.filter(authority=cambs), DAY,
                            ["ppe_days_gloves", "hours_paid"],
                            {"absent": ["nurses_absent_covid", "care_workers_absent_covid",
                                        "residents_flu_vaccinated_nope"]})
    assert found == {home.pk: {"ppe_days_gloves": 4.0, "hours_paid": 1500.5,
                               "absent": 5.0}}
