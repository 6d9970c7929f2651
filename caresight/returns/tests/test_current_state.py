"""The kept current state and the kept summary totals: whatever is submitted, resubmitted and
imported, in whatever order, today's and past days' figures read from them are the figures
computed from the returns, and the check finds nothing to mend. On SQLite and on PostgreSQL.

Hypothesis plays random sequences of form submissions (new days, resubmissions of a day,
late returns for earlier days) and Capacity Tracker imports (care home and community
exports) against a few services, and compares after every step. Each example runs inside a
savepoint that is rolled back.
"""

import datetime as dt

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from caresight.core.tenancy import OPERATOR
from caresight.registry.models import Authority, Location, ServiceType
from caresight.registry.tests.factories import LocationFactory
from caresight.returns import current, kept_totals, partitions, selectors
from caresight.returns.models import CurrentReturn, Return
from caresight.returns.services import return_submit
from caresight.returns.tests.test_import import (
    COMMUNITY_COLUMNS,
    care_home_row,
    do_import,
    to_csv,
)
from caresight.returns.tests.test_submit import care_home_answers
from caresight.risk import rules

HOMES = 3
days_ago = st.integers(min_value=0, max_value=9)  # some beyond the 7-day window
variant = st.integers(min_value=0, max_value=3)
operation = st.one_of(
    st.tuples(st.just("submit"), st.integers(0, HOMES - 1), days_ago, variant),
    st.tuples(st.just("import"),
              st.lists(st.tuples(st.integers(0, HOMES - 1), days_ago, variant),
                       min_size=1, max_size=HOMES, unique_by=lambda row: row[0])),
    st.tuples(st.just("community"), days_ago, variant),
)
SETTINGS = settings(max_examples=15, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow,
                                           HealthCheck.function_scoped_fixture])


def _answers(n: int) -> dict:
    return care_home_answers(
        beds_occupied=str(34 + n), beds_vacant=str(6 - n), ppe_days_gloves=str(3 + 4 * n),
        admissions_open="yes" if n % 2 else "no", ipc_test_kits="no" if n == 2 else "yes",
        visiting_status=["open", "restricted", "closed", "restricted"][n])


def _tracker_day(day: dt.date) -> str:
    return f"{day.isoformat()}T09:15:00Z"


def _community_row(cqc_id: str, day: dt.date, n: int) -> dict:
    values = [cqc_id, "Agency", "Cambridgeshire", 100 + n, 80, 20, 50 + n, n, n, 1, 10, 10,
              3 + n * 3, 10, 10, "No", 30, 2000, 100, 50, _tracker_day(day)]
    return dict(zip(COMMUNITY_COLUMNS, values, strict=True))


def _figures(today: dt.date) -> dict:
    everyone = Location.objects.all()
    return {
        "summary": selectors.returns_summary(user=OPERATOR, as_of=today,
                                             previous=today - dt.timedelta(days=3)),
        # Past days, kept as summary totals once worked out (and forgotten by later writes).
        "past": [selectors.returns_summary(user=OPERATOR, as_of=today - dt.timedelta(days=n),
                                           previous=today - dt.timedelta(days=n + 2))
                 for n in (1, 4)],
        "cambridgeshire": selectors.returns_summary(user=OPERATOR, as_of=today,
                                                    authority="E10000003"),
        "dashboard": selectors.dashboard_counts(user=OPERATOR, as_of=today),
        "numbers": selectors.current_number_rows(everyone, today, rules.MEASURES,
                                                 rules.TOTALS),
        "current": sorted(selectors.current_returns(everyone, today)),
        "chase": [row["location_id"] for row in selectors.chase_list(user=OPERATOR,
                                                                       as_of=today)],
    }


def _check(today: dt.date) -> None:
    assert current.differences() == (0, [])
    kept = _figures(today)
    with current.computed_from_returns():
        computed = _figures(today)
    assert kept == computed
    assert kept_totals.differences() == (0, [])


def _play(step, homes: list[Location], agency: Location, today: dt.date) -> None:
    kind = step[0]
    if kind == "submit":
        _, home, back, n = step
        return_submit(location=homes[home], for_date=today - dt.timedelta(days=back),
                      answers=_answers(n), user=OPERATOR)
    elif kind == "import":
        rows = [care_home_row(homes[home].cqc_location_id, usedbeds=str(34 + n),
                              declaredvacancies=str(6 - n),
                              isacceptingadmissions="Yes" if n % 2 else "No",
                              lastupdatedutc=_tracker_day(today - dt.timedelta(days=back)))
                for home, back, n in step[1]]
        result = do_import(to_csv(rows))
        assert result.ok, result.as_dict()
    else:
        _, back, n = step
        result = do_import(to_csv([_community_row(agency.cqc_location_id,
                                                  today - dt.timedelta(days=back), n)],
                                  COMMUNITY_COLUMNS))
        assert result.ok, result.as_dict()


@pytest.mark.django_db
@SETTINGS
@given(st.lists(operation, min_size=1, max_size=6))
def test_todays_figures_from_the_kept_state_are_those_computed_from_the_returns(steps):
    today = timezone.localdate()
    savepoint = transaction.savepoint()
    try:
        cambs = Authority.objects.get(ons_code="E10000003")
        devon = Authority.objects.get(ons_code="E10000008")
        homes = [LocationFactory(authority=cambs), LocationFactory(authority=cambs),
                 LocationFactory(authority=devon)]
        agency = LocationFactory(authority=cambs, service_type=ServiceType.DOMICILIARY,
                                 registered_beds=None)
        for step in steps:
            _play(step, homes, agency, today)
            _check(today)
    finally:
        transaction.savepoint_rollback(savepoint)


@pytest.mark.django_db
def test_a_late_return_for_an_earlier_day_does_not_replace_the_latest(cambs):
    home = LocationFactory(authority=cambs)
    today = timezone.localdate()
    latest = return_submit(location=home, for_date=today, answers=_answers(1),
                           user=OPERATOR).ret
    return_submit(location=home, for_date=today - dt.timedelta(days=2), answers=_answers(2),
                  user=OPERATOR)
    kept = CurrentReturn.objects.get(location=home)
    assert (kept.ret_id, kept.for_date, kept.ipc_test_kits) == (latest.pk, today, True)
    resubmitted = return_submit(location=home, for_date=today, answers=_answers(2),
                                user=OPERATOR).ret
    kept.refresh_from_db()
    assert (resubmitted.pk, resubmitted.version) == (latest.pk, 2)
    assert (kept.ret_id, kept.beds_occupied, kept.ipc_test_kits, kept.visiting_status) == (
        latest.pk, 36.0, False, "closed")


@pytest.mark.django_db
def test_the_command_finds_a_kept_state_out_of_step_and_rebuilds_it(cambs, capsys):
    homes = [LocationFactory(authority=cambs) for _ in range(3)]
    today = timezone.localdate()
    for n, home in enumerate(homes):
        return_submit(location=home, for_date=today - dt.timedelta(days=n), answers=_answers(n),
                      user=OPERATOR)
    call_command("current_returns", "check")
    assert "match" in capsys.readouterr().out
    # Written behind the services' backs: one kept row lost, one with a wrong figure.
    CurrentReturn.objects.filter(location=homes[0]).delete()
    CurrentReturn.objects.filter(location=homes[1]).update(beds_vacant=99)
    partitions.ensure_for([today - dt.timedelta(days=5)])  # its month, on PostgreSQL
    Return.objects.filter(location=homes[2]).update(for_date=today - dt.timedelta(days=5))
    with pytest.raises(CommandError, match="3 services"):
        call_command("current_returns", "check")
    out = capsys.readouterr().out
    assert f"Service {homes[0].pk}: its latest return" in out
    assert f"Service {homes[1].pk}: kept beds_vacant differ" in out
    assert f"Service {homes[2].pk}: kept for_date differ" in out
    call_command("current_returns", "rebuild")
    assert "Kept the latest return of 3 services" in capsys.readouterr().out
    call_command("current_returns", "check")
    assert CurrentReturn.objects.get(location=homes[1]).beds_vacant == 6 - 1
