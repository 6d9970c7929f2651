"""The status pathway as a pure function: thresholds, new cases and overrides."""

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from caresight.outbreaks.models import Status
from caresight.outbreaks.pathway import Override, closed_on, status_changes, status_on

JUNE_1 = dt.date(2020, 6, 1)


def days(n: int) -> dt.date:
    return JUNE_1 + dt.timedelta(days=n)


def changes(case_days=(), overrides=(), t1=14, t2=28):
    return status_changes(reported_on=JUNE_1, case_days=[days(d) for d in case_days],
                          overrides=list(overrides), de_escalation_days=t1, closure_days=t2)


def test_an_outbreak_without_new_cases_de_escalates_after_14_days_and_closes_after_28():
    found = changes()
    assert [(c.on, c.status) for c in found] == [
        (JUNE_1, Status.LIVE), (days(14), Status.DE_ESCALATION), (days(28), Status.CLOSED)]
    assert status_on(found, days(13)) == Status.LIVE
    assert status_on(found, days(27)) == Status.DE_ESCALATION
    assert status_on(found, JUNE_1 - dt.timedelta(days=1)) is None


def test_a_new_case_restarts_the_clock_and_a_case_during_de_escalation_makes_it_live_again():
    found = changes(case_days=[5, 25])
    assert [(c.on, c.status) for c in found] == [
        (JUNE_1, Status.LIVE), (days(19), Status.DE_ESCALATION), (days(25), Status.LIVE),
        (days(39), Status.DE_ESCALATION), (days(53), Status.CLOSED)]


def test_a_case_on_the_day_of_de_escalation_keeps_it_live():
    assert [c.status for c in changes(case_days=[14])][:2] == [Status.LIVE,
                                                               Status.DE_ESCALATION]
    assert changes(case_days=[14])[1].on == days(28)


def test_the_authoritys_thresholds_are_used():
    assert closed_on(changes(t1=7, t2=10)) == days(10)


def test_closing_by_hand_closes_it_and_later_cases_belong_to_another_outbreak():
    found = changes(case_days=[20], overrides=[Override(days(3), Status.CLOSED, "All negative")])
    assert closed_on(found) == days(3)
    assert found[-1].automatic is False and found[-1].reason == "All negative"


def test_keeping_it_live_by_hand_stops_the_clock_until_the_next_new_case():
    kept = changes(overrides=[Override(days(10), Status.LIVE, "Concerns remain")])
    assert closed_on(kept) is None
    restarted = changes(case_days=[30],
                        overrides=[Override(days(10), Status.LIVE, "Concerns remain")])
    assert closed_on(restarted) == days(58)


def test_de_escalating_by_hand_still_closes_on_time():
    found = changes(overrides=[Override(days(3), Status.DE_ESCALATION, "Contained")])
    assert [(c.on, c.status) for c in found][1:] == [(days(3), Status.DE_ESCALATION),
                                                     (days(28), Status.CLOSED)]


@given(st.lists(st.integers(0, 120), max_size=12), st.integers(1, 30), st.integers(1, 30))
def test_closure_always_comes_the_closure_days_after_the_last_case(cases, t1, extra):
    t2 = t1 + extra
    found = changes(case_days=cases, t1=t1, t2=t2)
    closes = closed_on(found)
    # Cases after closure would open a new outbreak, so the last case before closure counts.
    before = [d for d in sorted(set([0, *cases])) if days(d) < (closes or dt.date.max)]
    assert closes == days(before[-1] + t2)
    statuses = [c.status for c in found]
    assert statuses[0] == Status.LIVE and statuses[-1] == Status.CLOSED
    assert all(a.on <= b.on for a, b in zip(found, found[1:], strict=False))
    assert all(a.status != b.status for a, b in zip(found, found[1:], strict=False))
