"""Each service's current answers as numbers: the same on SQLite and on PostgreSQL's path,
and the same whether read from the JSON or from the numbers a return keeps in columns."""

import datetime as dt

import pytest

from caresight.core.tenancy import OPERATOR
from caresight.registry.models import Location
from caresight.registry.tests.factories import LocationFactory
from caresight.returns.models import STORED_NUMBERS, STORED_TOTALS, Return
from caresight.returns.selectors import current_number_rows, current_numbers
from caresight.returns.services import return_submit
from caresight.returns.tests.test_import import care_home_row, do_import, to_csv
from caresight.returns.tests.test_submit import care_home_answers

DAY = dt.date(2020, 6, 10)


@pytest.mark.django_db
def test_current_answers_and_totals_come_from_the_latest_return_within_the_window(cambs, devon):
    home = LocationFactory(authority=cambs)
    stale = LocationFactory(authority=cambs)
    LocationFactory(authority=cambs, service_type="day_service", registered_beds=None)
    other = LocationFactory(authority=devon)
    return_submit(location=home, for_date=DAY - dt.timedelta(days=3),
                  answers=care_home_answers(ppe_days_gloves="9"), user=OPERATOR)
    return_submit(location=home, for_date=DAY - dt.timedelta(days=1),
                  answers=care_home_answers(ppe_days_gloves="4",
                                            care_workers_absent_covid="5"), user=OPERATOR)
    return_submit(location=home, for_date=DAY + dt.timedelta(days=1),
                  answers=care_home_answers(ppe_days_gloves="1"), user=OPERATOR)  # after the day
    return_submit(location=stale, for_date=DAY - dt.timedelta(days=8),
                  answers=care_home_answers(), user=OPERATOR)  # outside the 7-day window
    return_submit(location=other, for_date=DAY, answers=care_home_answers(), user=OPERATOR)

    found = current_numbers(Location.objects.filter(authority=cambs), DAY,
                            ["ppe_days_gloves", "hours_paid"],
                            {"absent": ["nurses_absent_covid", "care_workers_absent_covid",
                                        "residents_flu_vaccinated_nope"]})
    assert found == {home.pk: {"ppe_days_gloves": 4.0, "hours_paid": 1500.5,
                               "absent": 5.0}}


def _stored(location) -> dict[str, float | None]:
    return Return.objects.filter(location=location).values(*STORED_NUMBERS, *STORED_TOTALS)[0]


def _from_answers(location) -> dict[str, float | None]:
    """The stored numbers worked out here from the return's answers."""
    values = Return.objects.get(location=location).values
    numbers: dict[str, float | None] = {
        code: float(values[code]) if code in values else None for code in STORED_NUMBERS}
    for name, codes in STORED_TOTALS.items():
        numbers[name] = sum(float(values.get(code, 0)) for code in codes)
    return numbers


@pytest.mark.django_db
def test_the_numbers_a_return_keeps_are_its_answers_after_corrections_and_imports(cambs):
    day = dt.date(2020, 6, 4)  # the day of the Capacity Tracker rows
    home = LocationFactory(authority=cambs, cqc_location_id="1-100000001")
    imported = LocationFactory(authority=cambs, cqc_location_id="1-100000002")
    return_submit(location=home, for_date=day, answers=care_home_answers(), user=OPERATOR)
    assert _stored(home) == _from_answers(home)
    assert (_stored(home)["staff_employed"], _stored(home)["staff_absent"],
            _stored(home)["ppe_days_eye_protection"]) == (48.0, 4.0, 6.0)

    # A second submission that day (a correction) changes them with the answers.
    return_submit(location=home, for_date=day, user=OPERATOR, answers=care_home_answers(
        ppe_days_gloves="3", nurses_absent_covid="2", hours_paid="12.5"))
    assert _stored(home) == _from_answers(home)
    assert (_stored(home)["ppe_days_gloves"], _stored(home)["staff_absent"]) == (3.0, 6.0)

    # The import updates one return and creates another (bulk writes), whose PPE and
    # staff across settings the tracker does not ask: unanswered, so no number, and not
    # counted in the totals.
    result = do_import(to_csv([care_home_row(home.cqc_location_id, careworkersabsentcovid="9"),
                               care_home_row(imported.cqc_location_id)]))
    assert result.counts == {"created": 1, "updated": 1, "unchanged": 0,
                             "outside": 0}
    assert _stored(home) == _from_answers(home) and _stored(home)["staff_absent"] == 12.0
    assert _stored(imported) == _from_answers(imported)
    assert _stored(imported)["ppe_days_masks"] is None
    assert _stored(imported)["staff_absent"] == 6.0

    # What the risk log asks for, read from the stored numbers, is the same.
    found = current_numbers(Location.objects.filter(authority=cambs), day,
                            [*STORED_NUMBERS], dict(STORED_TOTALS))
    assert found == {
        location.pk: {k: v for k, v in _from_answers(location).items() if v is not None}
        for location in (home, imported)}
    # The same as tuples, unanswered as None, for reads of every service at once.
    assert current_number_rows(Location.objects.filter(authority=cambs), day,
                               [*STORED_NUMBERS], dict(STORED_TOTALS)) == {
        location.pk: tuple(_from_answers(location).values()) for location in (home, imported)}
